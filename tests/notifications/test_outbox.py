"""The notification outbox, with a fairness-audit finding as the event: channel topics, one delivery per (event,
channel) and per direct e-mail enforced by the database, send/retry/dead letter/re-send with the real receivers,
direct e-mails, and alert routing unaffected by the topics."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction

from alerts import services
from alerts.choices import AlertSeverity
from audits.payloads import FINDING_TOPIC, AuditFindingPayload
from core.models import AuditLogEntry
from discovery.models import LogSource
from notifications import services as notification_services
from notifications.choices import ChannelKind, DeliveryStatus
from notifications.models import Channel, Delivery
from tests.alerts.factories import AlertRuleFactory, add_usage
from tests.notifications.factories import ChannelFactory
from tests.notifications.receivers import HTTPReceiver

BOTH = ["shadow_ai_alert", "audit_finding"]
D0 = date(2026, 3, 2)
pytestmark = pytest.mark.django_db


def queue(payload: AuditFindingPayload, target: Any, *, recipients: tuple[str, ...] = ()) -> list[int]:
    return notification_services.notification_queue(
        topic=FINDING_TOPIC,
        event_key=payload.event_id,
        message=payload.to_message(),
        target=target,
        recipients=recipients,
    )


@pytest.fixture
def target() -> LogSource:
    """Any model instance stands in for the finding: discovery links it generically."""
    return LogSource.objects.create(name="stand-in for a finding")


def test_new_and_existing_channels_default_to_alerts_only() -> None:
    channel = Channel.objects.create(name="c", kind=ChannelKind.EMAIL, config={"to": ["a@b.c"]})
    channel.refresh_from_db()
    assert channel.topics == ["shadow_ai_alert"]


def test_finding_goes_to_enabled_subscribed_channels_at_or_below_its_severity(
    finding_payload: AuditFindingPayload, target: LogSource, django_capture_on_commit_callbacks: Any
) -> None:
    # given
    grc = ChannelFactory(name="grc", topics=["audit_finding"])
    both = ChannelFactory(name="both", topics=BOTH, min_severity=AlertSeverity.HIGH)
    ChannelFactory(name="soc-siem")  # alerts only (the default)
    ChannelFactory(name="off", topics=BOTH, enabled=False)
    ChannelFactory(name="critical-only", topics=BOTH, min_severity=AlertSeverity.CRITICAL)
    # when
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ids = queue(finding_payload, target)
    # then
    deliveries = Delivery.objects.filter(pk__in=ids).order_by("channel__name")
    assert [d.channel for d in deliveries] == [both, grc]
    for delivery in deliveries:
        assert (delivery.topic, delivery.event_key, delivery.status) == (
            "audit_finding",
            "audits.run.41.1",
            DeliveryStatus.PENDING,
        )
        assert delivery.payload == finding_payload.to_message().to_dict()
        assert delivery.target == target
        assert delivery.title == finding_payload.to_message().title
    assert len(callbacks) == 1  # enqueued after commit, not before
    entry = AuditLogEntry.objects.get(event_type="notifications.delivery.queued")
    assert entry.extra_data["channels"] == ["grc", "both"]
    assert entry.target_object_id == str(target.pk)


def test_notifying_the_same_event_again_creates_nothing(
    finding_payload: AuditFindingPayload, target: LogSource, django_capture_on_commit_callbacks: Any
) -> None:
    # given
    ChannelFactory(topics=["audit_finding"])
    queue(finding_payload, target)
    # when
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        again = queue(finding_payload, target)
    # then
    assert again == [] and callbacks == []
    assert Delivery.objects.count() == 1
    assert AuditLogEntry.objects.filter(event_type="notifications.delivery.queued").count() == 1


def test_the_database_refuses_a_second_delivery_of_one_event_to_one_channel(
    finding_payload: AuditFindingPayload,
) -> None:
    # given
    channel = ChannelFactory(topics=["audit_finding"])
    row = {"channel": channel, "topic": "audit_finding", "event_key": "audits.run.1.1"}
    Delivery.objects.create(**row, next_attempt_at=datetime.now(UTC))
    # then
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(**row, next_attempt_at=datetime.now(UTC))


def test_a_delivery_needs_its_event_key() -> None:
    channel = ChannelFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(channel=channel, topic="audit_finding", event_key="", next_attempt_at=datetime.now(UTC))


def test_the_database_refuses_a_second_direct_e_mail_of_one_event() -> None:
    row = {"channel": None, "recipients": ["a@example.com"], "topic": "audit_finding", "event_key": "audits.run.1.1"}
    Delivery.objects.create(**row, next_attempt_at=datetime.now(UTC))
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(**row, next_attempt_at=datetime.now(UTC))


def test_direct_recipients_get_one_e_mail_beside_the_channels_and_only_once(
    finding_payload: AuditFindingPayload, target: LogSource, mailoutbox: list[Any]
) -> None:
    # given
    ChannelFactory(name="grc", topics=["audit_finding"], config={"to": ["grc@example.com"]})
    # when
    ids = queue(finding_payload, target, recipients=("co@example.com", "owner@example.com", "co@example.com"))
    again = queue(finding_payload, target, recipients=("co@example.com",))
    outcomes = [notification_services.delivery_send(delivery_id=i).status for i in ids]
    # then
    assert again == [] and outcomes == ["sent", "sent"]
    direct = Delivery.objects.get(channel__isnull=True)
    assert direct.recipients == ["co@example.com", "owner@example.com"]
    assert sorted(tuple(m.to) for m in mailoutbox) == [("co@example.com", "owner@example.com"), ("grc@example.com",)]
    assert all(finding_payload.title in m.subject for m in mailoutbox)
    entry = AuditLogEntry.objects.get(event_type="notifications.delivery.queued")
    assert (entry.extra_data["channels"], entry.extra_data["direct_recipients"]) == (["grc"], 2)


def test_an_unregistered_topic_is_refused_before_anything_is_written(finding_payload: AuditFindingPayload) -> None:
    with pytest.raises(LookupError):
        notification_services.notification_queue(
            topic="no_such_topic", event_key="x.y.1", message=finding_payload.to_message()
        )
    assert not Delivery.objects.exists()


def test_a_finding_delivery_is_sent_with_the_snapshot(
    http_receiver: HTTPReceiver, finding_payload: AuditFindingPayload, target: LogSource
) -> None:
    # given
    ChannelFactory(kind=ChannelKind.WEBHOOK, config={"url": http_receiver.url, "secret": "k"}, topics=BOTH)
    (delivery_id,) = queue(finding_payload, target)
    # when
    first = notification_services.delivery_send(delivery_id=delivery_id)
    second = notification_services.delivery_send(delivery_id=delivery_id)
    # then
    delivery = Delivery.objects.get(pk=delivery_id)
    assert (first.status, second.status, delivery.status, delivery.attempts) == ("sent", "skipped", "sent", 1)
    (request,) = http_receiver.requests
    body = request.json()
    assert body["kind"] == "audit_finding"
    assert body["aigov"]["finding_id"] == 7


def test_a_finding_delivery_retries_dead_letters_and_is_resent(
    http_receiver: HTTPReceiver, finding_payload: AuditFindingPayload, target: LogSource, sam: Any
) -> None:
    # given
    ChannelFactory(kind=ChannelKind.SLACK, config={"url": http_receiver.url}, topics=["audit_finding"])
    (delivery_id,) = queue(finding_payload, target)
    http_receiver.respond((503, {}), (404, {}))
    # when
    transient = notification_services.delivery_send(delivery_id=delivery_id)
    delivery = Delivery.objects.get(pk=delivery_id)
    permanent = notification_services.delivery_send(delivery_id=delivery_id, now=delivery.next_attempt_at)
    dead = Delivery.objects.get(pk=delivery_id)
    dead_status = dead.status
    notification_services.delivery_resend(delivery=dead, actor=sam, reason="fixed the webhook")
    resent = notification_services.delivery_send(delivery_id=delivery_id, now=datetime.now(UTC) + timedelta(seconds=1))
    # then
    assert (transient.status, permanent.status, dead_status, resent.status) == ("retry", "dead", "dead", "sent")
    assert len(http_receiver.requests) == 3
    assert http_receiver.requests[-1].json()["blocks"][0]["text"]["text"] == f"[HIGH] {finding_payload.title}"
    target_type = ContentType.objects.get_for_model(LogSource)
    for event in ("notifications.delivery.dead_lettered", "notifications.delivery.resent"):
        entry = AuditLogEntry.objects.get(event_type=event)
        assert (entry.target_content_type, entry.target_object_id) == (target_type, str(target.pk))
        assert entry.extra_data["topic"] == "audit_finding"


def test_an_unreadable_snapshot_is_a_dead_letter_at_once(
    finding_payload: AuditFindingPayload,
) -> None:
    # given
    channel = ChannelFactory(topics=["audit_finding"])
    delivery = Delivery.objects.create(
        channel=channel,
        topic="audit_finding",
        event_key="audits.run.9.1",
        payload={"title": "no ids"},
        next_attempt_at=datetime.now(UTC),
    )
    # when
    outcome = notification_services.delivery_send(delivery_id=delivery.pk)
    # then
    delivery.refresh_from_db()
    assert (outcome.status, delivery.status, delivery.attempts) == ("dead", DeliveryStatus.DEAD, 1)
    assert delivery.last_error.startswith("unreadable event snapshot: KeyError")


@pytest.mark.usefixtures("catalog")
def test_alerts_skip_channels_subscribed_only_to_audit_findings() -> None:
    # given
    AlertRuleFactory()
    ChannelFactory(name="grc", topics=["audit_finding"])
    soc = ChannelFactory(name="soc")
    both = ChannelFactory(name="both", topics=BOTH)
    add_usage("u1", "deepseek", D0)
    # when
    services.alert_rules_evaluate(since=D0, until=D0, now=datetime(2026, 3, 2, 18, tzinfo=UTC))
    # then
    assert sorted(d.channel.name for d in Delivery.objects.all()) == [both.name, soc.name]
    assert all(d.topic == "shadow_ai_alert" and d.target is not None for d in Delivery.objects.all())
