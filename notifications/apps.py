from __future__ import annotations

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """The notification outbox: channels, deliveries with retries and dead letters, and the notifiers (e-mail,
    signed webhook, Slack, Teams, syslog CEF, Splunk HEC). Depends on core only; apps register their topics."""

    name = "notifications"
    verbose_name = "Notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from simple_history.signals import pre_create_historical_record

        from core.monitoring import metrics_collector_register
        from notifications import events  # noqa: F401  (declares the app's audit-log event types in core.events)
        from notifications.models import Channel, channel_history_mask_secrets
        from notifications.monitoring import notifications_collect

        metrics_collector_register("notifications", notifications_collect)

        pre_create_historical_record.connect(
            channel_history_mask_secrets,
            sender=Channel.history.model,
            dispatch_uid="notifications.channel_history_mask_secrets",
        )
