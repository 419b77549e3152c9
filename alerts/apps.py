from __future__ import annotations

from django.apps import AppConfig


class AlertsConfig(AppConfig):
    """Shadow-AI alerting: detection rules over discovered usage, deduplicated alerts with triage, silences.
    Depends on discovery (the usage it evaluates) and notifications (where its alerts go)."""

    name = "alerts"
    verbose_name = "Shadow-AI alerts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from alerts import events  # noqa: F401  (declares the app's audit-log event types in core.events)
        from alerts.selectors import alert_subjects_retained
        from alerts.services import (
            TOPIC,
            alert_delivery_message,
            alert_subjects_rekey,
            alert_subjects_unconverted,
            alerts_evaluate_after_batch,
        )
        from core.dashboards import Dashboard, dashboard_register
        from discovery.signals import log_batch_finished, pseudonym_holder_register, retained_subjects_register
        from notifications.topics import topic_register

        topic_register(
            TOPIC,
            "Shadow-AI alerts",
            description="A detection rule fired on discovered AI usage (by severity; each rule may name channels).",
            default=True,
            refresh=alert_delivery_message,
            order=10,
        )
        log_batch_finished.connect(alerts_evaluate_after_batch, dispatch_uid="alerts.evaluate_after_batch")
        retained_subjects_register(alert_subjects_retained)
        dashboard_register(
            Dashboard(
                "Security home",
                "admin:alerts_security_home",
                "Open shadow-AI alerts by severity, new AI services this week, top users and departments by upload "
                "volume, log sources and their last data.",
                permission="alerts.view_alert",
                order=10,
            )
        )
        pseudonym_holder_register(alert_subjects_rekey, alert_subjects_unconverted)
