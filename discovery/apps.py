from __future__ import annotations

from django.apps import AppConfig


class DiscoveryConfig(AppConfig):
    """Shadow-AI discovery from proxy and network logs: sources, the AI-service catalogue and its policy,
    ingestion, usage, pseudonyms, block lists and promotion into the registry."""

    name = "discovery"
    verbose_name = "Shadow-AI discovery"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core import checks

        from core.monitoring import metrics_collector_register
        from discovery import events  # noqa: F401  (declares the app's audit-log event types in core.events)
        from discovery.checks import pseudonym_key_check
        from discovery.monitoring import discovery_collect

        metrics_collector_register("discovery", discovery_collect)
        checks.register(pseudonym_key_check, checks.Tags.security)
