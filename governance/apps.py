from __future__ import annotations

from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    """Registry of AI systems and models, classified under the EU AI Act."""

    name = "governance"
    verbose_name = "AI registry (EU AI Act)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from governance import events  # noqa: F401  (declares the app's audit-log event types in core.events)
