"""One notification outbox for every topic, end to end against a real local receiver: a shadow-AI alert, a
fairness-audit finding, an obligation reminder and an evidence pack ready all reach the same signed webhook once,
with the same retries; the pack's requester and the obligation's owner get their direct e-mails.

In the evidence tests because the evidence world (tests/evidence/conftest.py) has every app's data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from alerts.services import alert_rules_evaluate
from audits.models import Finding
from core.models import AuditLogEntry
from evidence.services import evidence_pack_build, evidence_pack_request
from governance.services import obligation_reminders_send, obligation_update
from notifications.choices import ChannelKind
from notifications.models import Delivery
from notifications.notifiers.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from tests.alerts.factories import AlertRuleFactory
from tests.notifications.factories import ChannelFactory
from tests.notifications.outbox import outbox_drain
from tests.notifications.receivers import HTTPReceiver

from .conftest import World

EVERY_TOPIC = ["shadow_ai_alert", "audit_finding", "obligation_reminder", "evidence_pack_ready"]
SECRET = "one-secret"


@pytest.fixture
def webhook(db: None, http_receiver: HTTPReceiver) -> HTTPReceiver:
    ChannelFactory(
        name="SIEM", kind=ChannelKind.WEBHOOK, config={"url": http_receiver.url, "secret": SECRET}, topics=EVERY_TOPIC
    )
    return http_receiver


def test_every_topic_goes_through_the_one_outbox(webhook: HTTPReceiver, world: World, alice: Any) -> None:
    # given: the world's failing audit run already queued its finding; an alert rule, an owned obligation coming
    # due, and a requested pack
    alice.email = "alice@example.com"
    alice.save()
    AlertRuleFactory(key="any-use", kind="first_use_org", severity="medium")
    alert_rules_evaluate(since=datetime(2026, 1, 1, tzinfo=UTC).date(), until=timezone.now().date())
    obligation = world.system.obligations.filter(status="open").first()
    assert obligation is not None
    obligation_update(
        obligation=obligation,
        actor=alice,
        data={"owner": alice, "due_date": timezone.localdate() + timedelta(days=5)},
    )
    obligation_reminders_send()
    pack = evidence_pack_request(ai_system=world.system, actor=alice, enqueue=False)
    evidence_pack_build(pack_id=pack.pk)
    # when: the alerts-queue worker sends what is due, then runs again
    first = outbox_drain()
    second = outbox_drain()
    # then: each event reached the webhook once, signed, as a JSON event of its topic
    assert second == [] and set(first) == {"sent"}
    kinds = sorted(request.json()["kind"] for request in webhook.requests)
    assert set(kinds) == set(EVERY_TOPIC)
    for request in webhook.requests:
        headers = request.headers
        assert verify(SECRET, headers[TIMESTAMP_HEADER.lower()], request.body, headers[SIGNATURE_HEADER.lower()])
        event = request.json()
        assert event["event"]["url"].startswith("http") and event["message"]
    channel_rows = Delivery.objects.filter(channel__isnull=False)
    assert channel_rows.count() == len(webhook.requests)
    assert {d.topic for d in channel_rows} == set(EVERY_TOPIC)
    # the obligation's owner and the pack's requester were e-mailed directly, through the same outbox
    direct = {d.topic: d for d in Delivery.objects.filter(channel__isnull=True)}
    assert direct["obligation_reminder"].recipients == ["alice@example.com"]
    assert direct["evidence_pack_ready"].recipients == ["alice@example.com"]
    pack.refresh_from_db()
    ready = next(m for m in mail.outbox if "Evidence pack ready" in m.subject)
    assert pack.sha256 in ready.body and pack.key_id in ready.body
    # one queued row in the audit log per event, whatever its topic
    queued = AuditLogEntry.objects.filter(event_type="notifications.delivery.queued")
    assert {e.extra_data["topic"] for e in queued} >= {"audit_finding", "obligation_reminder", "evidence_pack_ready"}


def test_a_down_receiver_retries_every_topic_alike(webhook: HTTPReceiver, world: World) -> None:
    # given: the finding of the world's failing run is queued; the receiver is down
    assert Finding.objects.exists()
    webhook.respond(*[(503, {})] * 20)
    # when
    outcomes = outbox_drain()
    # then: transient failures are rescheduled with backoff, not lost
    assert outcomes and set(outcomes) == {"retry"}
    for delivery in Delivery.objects.filter(channel__isnull=False):
        assert delivery.status == "pending" and delivery.attempts == 1 and delivery.next_attempt_at > timezone.now()
        assert "HTTP 503" in delivery.last_error


def test_a_built_pack_notifies_its_requester_once(world: World, alice: Any) -> None:
    # given
    alice.email = "alice@example.com"
    alice.save()
    pack = evidence_pack_request(ai_system=world.system, actor=alice, enqueue=False)
    # when: built, and the build task delivered twice
    evidence_pack_build(pack_id=pack.pk)
    evidence_pack_build(pack_id=pack.pk)
    # then
    (row,) = Delivery.objects.filter(topic="evidence_pack_ready")
    assert (row.channel, row.recipients, row.target, row.event_key) == (
        None,
        ["alice@example.com"],
        pack,
        f"evidence.pack.{pack.pk}.built",
    )
    assert outbox_drain().count("sent") >= 1
    assert any(str(world.system) in m.subject and m.to == ["alice@example.com"] for m in mail.outbox)
