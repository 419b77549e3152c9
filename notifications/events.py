"""Audit-log event types of the notification outbox (registered in ``core.events`` by
``NotificationsConfig.ready()``)."""

from __future__ import annotations

from core.events import event_type_declare

DELIVERY_QUEUED = event_type_declare(
    "notifications.delivery.queued",
    "An event was queued for delivery (topic, event, channels, direct recipients counted).",
)
DELIVERY_DEAD_LETTERED = event_type_declare(
    "notifications.delivery.dead_lettered", "A notification gave up after its retries (or a permanent error)."
)
DELIVERY_RESENT = event_type_declare(
    "notifications.delivery.resent", "A user queued a dead-lettered notification again."
)
CHANNEL_CREATED = event_type_declare("notifications.channel.created", "A notification channel was added.")
CHANNEL_UPDATED = event_type_declare(
    "notifications.channel.updated",
    "A channel changed: topics, severity, config or secret (the fields changed; secrets only as tags in its history).",
)
CHANNEL_DELETED = event_type_declare("notifications.channel.deleted", "A notification channel was deleted.")
