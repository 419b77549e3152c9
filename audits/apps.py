from __future__ import annotations

from django.apps import AppConfig


class AuditsConfig(AppConfig):
    """Fairness audits of model outputs and signed evidence packs."""

    name = "audits"
    verbose_name = "Fairness audits and evidence"
    default_auto_field = "django.db.models.BigAutoField"
