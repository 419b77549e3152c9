from __future__ import annotations

from django.apps import AppConfig


class AuditsConfig(AppConfig):
    """Fairness audits of model outputs (evidence packs moved to the ``evidence`` app)."""

    name = "audits"
    verbose_name = "Fairness audits"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from audits import events  # noqa: F401  (declares the app's audit-log event types in core.events)
        from audits.monitoring import audits_collect
        from audits.payloads import FINDING_TOPIC
        from core.monitoring import metrics_collector_register
        from notifications.topics import topic_register

        metrics_collector_register("audits", audits_collect)

        topic_register(
            FINDING_TOPIC,
            "Fairness-audit findings",
            description="A fairness audit failed, turned failing, or could not run (EU AI Act Art. 10(2)(f)-(g)).",
            order=20,
        )
