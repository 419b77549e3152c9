from __future__ import annotations

from django.apps import AppConfig


class DiscoveryConfig(AppConfig):
    """Shadow-AI discovery from proxy and network logs, and alerts to security teams."""

    name = "discovery"
    verbose_name = "Shadow-AI discovery"
    default_auto_field = "django.db.models.BigAutoField"
