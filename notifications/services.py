"""Writes of the notification outbox: queueing an event's messages, sending them with retries and dead letters,
re-sending, and the channels themselves.

Producers (alerts, audits, governance, evidence) call :func:`notification_queue` — or, for thousands of alerts at
once, :func:`deliveries_build` + :func:`deliveries_insert` — inside the transaction of the event, so the outbox
rows commit with it; the sends run on the ``alerts`` queue after commit, outside any transaction (Healthchecks'
``Flip`` / transactional-outbox pattern). Every delivery gets the same retries (backoff with jitter, at least
``Retry-After``), the same dead letters and the same audit-log rows, whatever its topic.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone

from core.exceptions import Conflict
from core.services import audit_log_record, model_create_audited, model_delete_audited, model_update_audited
from notifications import events
from notifications.backoff import MAX_ATTEMPTS, backoff_delay
from notifications.choices import SEVERITY_RANK, ChannelKind, DeliveryStatus
from notifications.models import Channel, Delivery
from notifications.notifiers import NotifierError, notifier_for
from notifications.notifiers.message import Message
from notifications.secrets import config_merge_secrets
from notifications.topics import UnknownTopic, topic_get

logger = logging.getLogger(__name__)

#: a delivery claimed longer ago than this is assumed lost with its worker and is put back to pending
STALE_CLAIM = timedelta(minutes=10)
#: due deliveries fanned out per dispatcher run
DISPATCH_BATCH = 500


# --- queueing --------------------------------------------------------------------------------------------------------


def channels_for_topic(*, topic: str, severity: str) -> list[Channel]:
    """Enabled channels subscribed to ``topic`` whose minimum severity lets ``severity`` through."""
    return [
        channel
        for channel in Channel.objects.filter(enabled=True).order_by("pk")
        if topic in (channel.topics or []) and SEVERITY_RANK[severity] >= SEVERITY_RANK[channel.min_severity]
    ]


def deliveries_build(
    *,
    topic: str,
    event_key: str,
    message: Message | None,
    channels: Iterable[Channel],
    target: models.Model | None = None,
    recipients: Sequence[str] = (),
    now: datetime | None = None,
    title: str = "",
) -> list[Delivery]:
    """Unsaved outbox rows for one event: one per channel, plus one direct e-mail when ``recipients`` are given.
    For producers that write many events in bulk (alert evaluation); insert them with :func:`deliveries_insert`.

    ``message=None`` stores only ``title``, for topics whose ``refresh`` rebuilds the message when it is sent
    (alerts: thousands of rows per evaluation, each message rebuilt with the latest counts anyway)."""
    now = now or timezone.now()
    snapshot_data = message.to_dict() if message is not None else {"title": title}
    target_type = ContentType.objects.get_for_model(target) if target is not None else None
    target_id = str(target.pk) if target is not None else ""
    common = {
        "topic": topic,
        "event_key": event_key,
        "payload": snapshot_data,
        "target_content_type": target_type,
        "target_object_id": target_id,
        "next_attempt_at": now,
    }
    rows = [Delivery(channel=channel, **common) for channel in channels]
    addresses = sorted({a.strip() for a in recipients if a and a.strip()})
    if addresses:
        rows.append(Delivery(channel=None, recipients=addresses, **common))
    return rows


def deliveries_insert(rows: Sequence[Delivery]) -> list[int]:
    """Insert outbox rows built by :func:`deliveries_build` (in the caller's transaction) and send them once it
    commits. Returns their ids."""
    if not rows:
        return []
    Delivery.objects.bulk_create(rows)
    ids = [row.pk for row in rows]
    transaction.on_commit(lambda: deliveries_enqueue(ids))
    return ids


def deliveries_enqueue(ids: Iterable[int]) -> None:
    from notifications.tasks import send_delivery_task  # tasks import services: avoid the cycle

    for delivery_id in ids:
        send_delivery_task.delay(delivery_id)


@transaction.atomic
def notification_queue(
    *,
    topic: str,
    event_key: str,
    message: Message,
    target: models.Model | None = None,
    recipients: Sequence[str] = (),
    channels: Callable[[list[Channel]], list[Channel]] | None = None,
    now: datetime | None = None,
) -> list[int]:
    """Queue one event's message on every enabled channel subscribed to ``topic`` (at or above the channel's
    minimum severity; ``channels`` may narrow the list further) and, when ``recipients`` are given, as one direct
    e-mail to them. Written in the caller's transaction, sent after commit.

    Idempotent per event: rows are unique on (channel, ``event_key``) and on the direct ``event_key``, so calling
    it again for the same event (a redelivered task, a re-run) creates nothing. ``target`` is linked for the admin
    and the audit trail. One ``notifications.delivery.queued`` audit-log row names what was queued. Returns the
    ids of the rows created."""
    topic_get(topic)  # an unregistered topic is a programming error: fail before writing
    now = now or timezone.now()
    wanted = channels_for_topic(topic=topic, severity=message.severity)
    if channels is not None:
        wanted = channels(wanted)
    have = set(Delivery.objects.filter(event_key=event_key).values_list("channel_id", flat=True))
    direct = [] if None in have else list(recipients)
    rows = deliveries_build(
        topic=topic,
        event_key=event_key,
        message=message,
        channels=[c for c in wanted if c.pk not in have],
        target=target,
        recipients=direct,
        now=now,
    )
    if not rows:
        return []
    try:
        with transaction.atomic():  # a concurrent producer of the same event wins; this one then adds nothing
            ids = deliveries_insert(rows)
    except IntegrityError:
        return []
    audit_log_record(
        event_type=events.DELIVERY_QUEUED,
        actor=None,
        target=target,
        extra_data={
            "topic": topic,
            "event": event_key,
            "severity": message.severity,
            "channels": [row.channel.name for row in rows if row.channel is not None],
            "direct_recipients": sum(len(row.recipients) for row in rows if row.channel is None),
        },
    )
    return ids


# --- sending ---------------------------------------------------------------------------------------------------------


def delivery_message(delivery: Delivery) -> Message:
    """The message of a delivery: rebuilt now when its topic says so (an alert's latest counts), else the snapshot
    stored when the event happened. A message that cannot be built never will be: a permanent error."""
    try:
        topic = topic_get(delivery.topic)
    except UnknownTopic as exc:
        raise NotifierError(str(exc), permanent=True) from exc
    if topic.refresh is not None:
        message = topic.refresh(delivery)
        if message is None:
            raise NotifierError("the object this notification is about is gone", permanent=True)
        return message
    try:
        return Message.from_dict(delivery.payload)
    except (KeyError, TypeError, ValueError) as exc:
        raise NotifierError(f"unreadable event snapshot: {type(exc).__name__}: {exc}", permanent=True) from exc


def _delivery_target(delivery: Delivery) -> models.Model | None:
    target = delivery.target
    return target if isinstance(target, models.Model) else None


@dataclass(frozen=True, slots=True)
class SendOutcome:
    status: str  # "sent", "retry", "dead" or "skipped"
    delay: float | None = None
    error: str = ""


def delivery_send(*, delivery_id: int, now: datetime | None = None) -> SendOutcome:
    """Claim a due delivery (conditional UPDATE pending -> sending; only one worker wins), send it, record the
    result. Transient failures are rescheduled with backoff and jitter (at least ``Retry-After``); permanent ones
    and the last attempt become dead letters. The send happens outside any transaction."""
    now = now or timezone.now()
    claimed = Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now).update(
        status=DeliveryStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if claimed != 1:
        return SendOutcome("skipped")
    delivery = Delivery.objects.select_related("channel", "target_content_type").get(pk=delivery_id)
    try:
        if delivery.channel is None:
            notifier = notifier_for(ChannelKind.EMAIL, {"to": list(delivery.recipients)})
        elif not delivery.channel.enabled:
            raise NotifierError("channel disabled", permanent=True)
        else:
            notifier = notifier_for(delivery.channel.kind, delivery.channel.config)
        notifier.send(delivery_message(delivery))
    except NotifierError as exc:
        return _delivery_failed(delivery, error=exc.message, permanent=exc.permanent, retry_after=exc.retry_after)
    except Exception as exc:  # a bug in a notifier (or a bad snapshot) must not leave the row stuck in "sending"
        logger.exception("delivery %s failed unexpectedly", delivery_id)
        return _delivery_failed(delivery, error=f"{type(exc).__name__}: {exc}", permanent=False, retry_after=None)
    Delivery.objects.filter(pk=delivery_id).update(
        status=DeliveryStatus.SENT, sent_at=timezone.now(), last_error="", claimed_at=None
    )
    return SendOutcome("sent")


def _where(delivery: Delivery) -> str:
    return delivery.channel.name if delivery.channel is not None else "direct e-mail"


@transaction.atomic
def _delivery_failed(delivery: Delivery, *, error: str, permanent: bool, retry_after: float | None) -> SendOutcome:
    attempts = delivery.attempts
    if permanent or attempts >= MAX_ATTEMPTS:
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.DEAD, last_error=error[:2000], claimed_at=None
        )
        audit_log_record(
            event_type=events.DELIVERY_DEAD_LETTERED,
            actor=None,
            target=_delivery_target(delivery),
            extra_data={
                "delivery": delivery.pk,
                "topic": delivery.topic,
                "event": delivery.event_key,
                "channel": _where(delivery),
                "attempts": attempts,
                "error": error[:500],
            },
        )
        return SendOutcome("dead", error=error)
    delay = backoff_delay(attempts, retry_after=retry_after)
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.PENDING,
        last_error=error[:2000],
        claimed_at=None,
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
    )
    return SendOutcome("retry", delay=delay, error=error)


def deliveries_due(*, now: datetime | None = None, limit: int = DISPATCH_BATCH) -> list[int]:
    """Put deliveries whose worker died mid-send back to pending, then return the ids due now (oldest first)."""
    now = now or timezone.now()
    Delivery.objects.filter(status=DeliveryStatus.SENDING, claimed_at__lt=now - STALE_CLAIM).update(
        status=DeliveryStatus.PENDING, claimed_at=None, next_attempt_at=now
    )
    return list(
        Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )


@transaction.atomic
def delivery_resend(*, delivery: Delivery, actor: Any, reason: str = "") -> Delivery:
    """Put a dead (or sent) delivery back into the outbox with a fresh attempt budget."""
    if delivery.status in (DeliveryStatus.PENDING, DeliveryStatus.SENDING):
        raise Conflict("this delivery is already queued")
    before = delivery.status
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=timezone.now(), claimed_at=None
    )
    audit_log_record(
        event_type=events.DELIVERY_RESENT,
        actor=actor,
        target=_delivery_target(delivery),
        reason=reason,
        extra_data={
            "delivery": delivery.pk,
            "topic": delivery.topic,
            "event": delivery.event_key,
            "channel": _where(delivery),
            "before": before,
        },
    )
    transaction.on_commit(lambda: deliveries_enqueue([delivery.pk]))
    delivery.refresh_from_db()
    return delivery


# --- channels --------------------------------------------------------------------------------------------------------


@transaction.atomic
def channel_create(*, actor: Any, reason: str = "", data: dict[str, Any]) -> Channel:
    """Add a delivery channel; its config is validated by the channel kind's notifier."""
    return model_create_audited(
        Channel, event_type=events.CHANNEL_CREATED, actor=actor, reason=reason or "channel created", data=data
    )


@transaction.atomic
def channel_update(*, channel: Channel, actor: Any, reason: str = "", data: dict[str, Any]) -> Channel:
    """Change a channel. Its secrets are write-only: a secret left out of ``config``, blank or still masked keeps
    the stored value; ``None`` removes it (:func:`notifications.secrets.config_merge_secrets`)."""
    if "config" in data:
        stored = Channel.objects.only("config").get(pk=channel.pk).config
        data["config"] = config_merge_secrets(data.get("kind") or channel.kind, stored, data["config"])
    return model_update_audited(channel, event_type=events.CHANNEL_UPDATED, actor=actor, reason=reason, data=data)


@transaction.atomic
def channel_delete(*, channel: Channel, actor: Any, reason: str = "") -> None:
    """Delete a channel and its outbox rows (history keeps what it was)."""
    model_delete_audited(channel, event_type=events.CHANNEL_DELETED, actor=actor, reason=reason)
