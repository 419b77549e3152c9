"""Reads of the notification outbox: channels and deliveries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Min, Q, QuerySet

from notifications.choices import DeliveryStatus
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


@dataclass(frozen=True)
class OutboxCount:
    """Deliveries of one channel (``channel`` None: direct e-mails) in one status (for ``/metrics``)."""

    channel: str | None
    kind: str
    status: str
    count: int
    #: of those, how many were already tried and failed at least once (``pending``: waiting for their next attempt)
    failed_attempts: int
    oldest_created_at: datetime | None


def outbox_counts() -> list[OutboxCount]:
    """Deliveries per channel and status, with every channel and every status present (0 when none), plus the
    direct e-mails. Two queries."""
    channels = {pk: (name, kind) for pk, name, kind in Channel.objects.values_list("pk", "name", "kind")}
    grouped = (
        Delivery.objects.values_list("channel_id", "status")
        .annotate(n=Count("id"), failed=Count("id", filter=Q(attempts__gt=0)), oldest=Min("created_at"))
        .order_by()
    )
    rows: dict[tuple[int | None, str], dict[str, Any]] = {
        (channel_id, status): {"n": n, "failed": failed, "oldest": oldest}
        for channel_id, status, n, failed, oldest in grouped
    }
    counts = []
    for pk in [*channels, None]:
        name, kind = channels[pk] if pk is not None else (None, "email")
        for status in DeliveryStatus.values:
            row = rows.get((pk, status))
            counts.append(
                OutboxCount(
                    channel=name,
                    kind=kind,
                    status=status,
                    count=row["n"] if row else 0,
                    failed_attempts=row["failed"] if row else 0,
                    oldest_created_at=row["oldest"] if row else None,
                )
            )
    return counts
