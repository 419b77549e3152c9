from __future__ import annotations

from django.apps import AppConfig


class AuditsConfig(AppConfig):
    """Fairness audits of model outputs (evidence packs moved to the ``evidence`` app)."""

    name = "audits"
    verbose_name = "Fairness audits"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from audits import events  # noqa: F401  (declares the app's audit-log event types in core.events)
