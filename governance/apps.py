from __future__ import annotations

from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    """Registry of AI systems and models, classified under the EU AI Act."""

    name = "governance"
    verbose_name = "AI registry (EU AI Act)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core.dashboards import Dashboard, dashboard_register
        from governance import events  # noqa: F401  (declares the app's audit-log event types in core.events)
        from governance.services import REMINDER_TOPIC
        from notifications.topics import topic_register

        topic_register(
            REMINDER_TOPIC,
            "Obligation reminders",
            description="An EU AI Act obligation is coming due or overdue (its owner is e-mailed directly).",
            order=30,
        )
        dashboard_register(
            Dashboard(
                "AI governance overview",
                "admin:governance_overview",
                "Systems by risk class and lifecycle, obligations due in 30/90 days and overdue, recent "
                "classification changes.",
                permission="governance.view_aisystem",
                order=20,
            )
        )
