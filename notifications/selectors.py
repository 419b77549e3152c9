"""Reads of the notification outbox: channels and deliveries."""

from __future__ import annotations

from django.db.models import QuerySet

from notifications.models import Channel, Delivery


def channel_list() -> QuerySet[Channel]:
    return Channel.objects.all()


def channels_with_topic(queryset: QuerySet[Channel], *, topic: str) -> QuerySet[Channel]:
    """The channels of ``queryset`` subscribed to ``topic``. Membership is tested in Python: ``topics`` is a short
    JSON list, SQLite has no JSON-array containment lookup, and a channel table holds dozens of rows."""
    ids = [pk for pk, topics in queryset.values_list("pk", "topics") if isinstance(topics, list) and topic in topics]
    return queryset.filter(pk__in=ids)


def delivery_list() -> QuerySet[Delivery]:
    return Delivery.objects.select_related("channel", "target_content_type")


def deliveries_for(*, target_type_id: int, target_id: str) -> QuerySet[Delivery]:
    """The outbox rows about one object (an alert's notifications, a finding's)."""
    return delivery_list().filter(target_content_type_id=target_type_id, target_object_id=target_id)
