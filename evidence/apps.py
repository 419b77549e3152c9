from __future__ import annotations

from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    """Signed, reproducible evidence packs: built from the registry, audits and discovery; nothing imports it."""

    name = "evidence"
    verbose_name = "Evidence packs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core import checks

        from evidence import events  # noqa: F401  (declares the app's audit-log event types in core.events)
        from evidence.checks import tsa_ca_certificate_check
        from evidence.services import PACK_READY_TOPIC
        from notifications.topics import topic_register

        topic_register(
            PACK_READY_TOPIC,
            "Evidence packs ready",
            description="A requested evidence pack was built and signed (its requester is e-mailed directly).",
            order=40,
        )
        checks.register(tsa_ca_certificate_check)
