from __future__ import annotations

from django.apps import AppConfig


class DiscoveryConfig(AppConfig):
    """Shadow-AI discovery from proxy and network logs, and alerts to security teams."""

    name = "discovery"
    verbose_name = "Shadow-AI discovery"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from simple_history.signals import pre_create_historical_record

        from discovery import events  # noqa: F401  (declares the app's audit-log event types in core.events)
        from discovery.alert_models import Channel, channel_history_mask_secrets

        pre_create_historical_record.connect(
            channel_history_mask_secrets,
            sender=Channel.history.model,
            dispatch_uid="discovery.channel_history_mask_secrets",
        )
