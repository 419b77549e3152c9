from __future__ import annotations

from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    """Signed, reproducible evidence packs: built from the registry, audits and discovery; nothing imports it."""

    name = "evidence"
    verbose_name = "Evidence packs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from evidence import events  # noqa: F401  (declares the app's audit-log event types in core.events)
