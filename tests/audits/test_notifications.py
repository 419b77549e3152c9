"""A failed or newly failing audit reaches the alert channels subscribed to audit findings: one outbox row per
channel in the transaction that opens the finding, enqueued on commit; nothing for a run that stays failing, a
re-executed task or an unsubscribed channel; the message carries the system, the verdicts and the run link."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from alerts.choices import AlertSeverity
from audits import services
from audits.choices import FindingKind, RunStatus, RunVerdict
from audits.models import AuditRun, Finding
from audits.tasks import execute_audit_run_task
from notifications import services as notification_services
from notifications.choices import ChannelKind
from notifications.models import Delivery
from tests.audits.factories import AuditDefinitionFactory, write_outputs
from tests.governance.factories import AISystemFactory, ModelVersionFactory
from tests.notifications.factories import ChannelFactory
from tests.notifications.receivers import HTTPReceiver, start_http_receiver

pytestmark = pytest.mark.django_db
FINDINGS = ["audit_finding"]


@pytest.fixture
def enqueued(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Delivery ids handed to the alerts queue (the task's ``delay``), recorded instead of sent to a broker."""
    from notifications.tasks import send_delivery_task

    sent: list[int] = []
    monkeypatch.setattr(send_delivery_task, "delay", sent.append)
    return sent


@pytest.fixture
def http_receiver() -> Iterator[HTTPReceiver]:
    receiver = start_http_receiver()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


def _schedule_and_execute(definition: Any, slot: datetime) -> AuditRun:
    run, _ = services.audit_run_schedule(definition=definition, slot=slot, enqueue=False)
    result = services.audit_run_execute(run_id=run.pk)
    assert result is not None
    return result


def test_newly_failing_run_queues_one_delivery_per_subscribed_channel_on_commit(
    enqueued: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    # given
    grc = ChannelFactory(name="grc", topics=FINDINGS)
    both = ChannelFactory(name="both", topics=["shadow_ai_alert", "audit_finding"])
    ChannelFactory(name="soc-siem")  # alerts only: the default
    ChannelFactory(name="off", topics=FINDINGS, enabled=False)
    definition = AuditDefinitionFactory(source_path=str(write_outputs("biased-n1", bias=0.25)))
    # when
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = _schedule_and_execute(definition, datetime(2026, 1, 1, tzinfo=UTC))
        assert enqueued == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()
    # then
    assert run.verdict == RunVerdict.FAIL
    deliveries = Delivery.objects.order_by("channel__name")
    assert [d.channel for d in deliveries] == [both, grc]
    assert sorted(enqueued) == sorted(d.pk for d in deliveries)
    finding = Finding.objects.get(run=run)
    for delivery in deliveries:
        assert delivery.topic == "audit_finding"
        assert delivery.event_key == f"audits.run.{run.pk}.1"
        assert delivery.target == finding


def test_the_delivery_snapshot_describes_the_finding() -> None:
    # given
    from governance.models import Obligation

    ChannelFactory(topics=FINDINGS)
    system = AISystemFactory(name="CV ranker")
    Obligation.objects.create(
        system=system, obligation_id="art-10", article="Art. 10", duty="Data governance", applies_from=date(2026, 8, 2)
    )
    release = ModelVersionFactory(system=system, version="ranker-9")
    definition = AuditDefinitionFactory(
        ai_system=system, model_version=release, source_path=str(write_outputs("biased-n2", bias=0.25))
    )
    # when
    run = _schedule_and_execute(definition, datetime(2026, 1, 1, tzinfo=UTC))
    # then
    finding = Finding.objects.get(run=run)
    snapshot = Delivery.objects.get().payload  # the message as every channel renders it
    assert (snapshot["topic"], snapshot["title"]) == ("audit_finding", finding.title)
    payload = snapshot["data"]  # the finding's machine-readable body
    assert (payload["finding_id"], payload["finding_kind"], payload["severity"]) == (finding.pk, "failing", "high")
    assert (payload["system_id"], payload["system_name"]) == (system.pk, str(system))
    assert (payload["definition_id"], payload["run_id"], payload["verdict"]) == (definition.pk, run.pk, "fail")
    assert payload["title"] == finding.title
    assert payload["model_version"] == "ranker-9"
    assert payload["obligation"] == "Art. 10 (art-10)"
    assert payload["legal_basis"] == "EU AI Act Art. 10(2)(f)-(g)"
    assert payload["link"].endswith(f"/admin/audits/auditrun/{run.pk}/change/")
    assert payload["finding_link"].endswith(f"/admin/audits/finding/{finding.pk}/change/")
    failing = [m for m in payload["metrics"] if m["verdict"] == "fail"]
    assert any(m["metric"] == "impact_ratio" and m["group"] == "F" and m["analysis"] == "sex" for m in failing)
    assert all(m["verdict"] in ("fail", "warn") for m in payload["metrics"])


def test_a_run_that_stays_failing_queues_nothing_more() -> None:
    # given
    ChannelFactory(topics=FINDINGS)
    definition = AuditDefinitionFactory(source_path=str(write_outputs("biased-n3", bias=0.25)))
    _schedule_and_execute(definition, datetime(2026, 1, 1, tzinfo=UTC))
    # when
    second = _schedule_and_execute(definition, datetime(2026, 1, 2, tzinfo=UTC))
    # then
    assert second.verdict == RunVerdict.FAIL
    assert Delivery.objects.count() == 1


def test_a_re_executed_task_queues_nothing_more() -> None:
    # given
    ChannelFactory(topics=FINDINGS)
    definition = AuditDefinitionFactory(source_path=str(write_outputs("biased-n4", bias=0.25)))
    run, _ = services.audit_run_schedule(definition=definition, slot=datetime(2026, 1, 1, tzinfo=UTC), enqueue=False)
    # when: the broker delivers the task twice
    execute_audit_run_task(run.pk)
    execute_audit_run_task(run.pk)
    # then
    assert Delivery.objects.count() == 1


def test_a_passing_run_queues_nothing() -> None:
    ChannelFactory(topics=FINDINGS)
    run = _schedule_and_execute(AuditDefinitionFactory(), datetime(2026, 1, 1, tzinfo=UTC))
    assert run.verdict in (RunVerdict.PASS, RunVerdict.WARN)
    assert Delivery.objects.count() == 0


def test_a_failed_run_queues_a_medium_run_error_and_each_failed_attempt_its_own(alice: Any) -> None:
    # given: one channel for everything, one only for high and above
    everything = ChannelFactory(name="everything", topics=FINDINGS)
    ChannelFactory(name="high-only", topics=FINDINGS, min_severity=AlertSeverity.HIGH)
    definition = AuditDefinitionFactory(source_path=str(Path(write_outputs("n5")).with_name("missing-n5.csv")))
    # when: it fails, is retried and fails again (the e-mail goes out each time too)
    run = _schedule_and_execute(definition, datetime(2026, 1, 1, tzinfo=UTC))
    services.audit_run_retry(run=run, actor=alice, enqueue=False)
    again = services.audit_run_execute(run_id=run.pk)
    # then
    assert again is not None and again.status == RunStatus.FAILED
    finding = Finding.objects.get(definition=definition, kind=FindingKind.RUN_ERROR)  # one open finding
    deliveries = list(Delivery.objects.order_by("id"))
    assert [d.event_key for d in deliveries] == [f"audits.run.{run.pk}.1", f"audits.run.{run.pk}.2"]
    assert {d.channel for d in deliveries} == {everything}
    payload = deliveries[0].payload["data"]
    assert (payload["finding_kind"], payload["severity"], payload["verdict"]) == ("run_error", "medium", "")
    assert payload["finding_id"] == finding.pk
    assert payload["error"] == run.error and "missing-n5.csv" in run.error


def test_a_finding_reaches_a_real_webhook_through_the_outbox(http_receiver: HTTPReceiver) -> None:
    # given
    ChannelFactory(kind=ChannelKind.WEBHOOK, config={"url": http_receiver.url, "secret": "k"}, topics=FINDINGS)
    system = AISystemFactory(name="Loan scoring")
    definition = AuditDefinitionFactory(ai_system=system, source_path=str(write_outputs("biased-n6", bias=0.25)))
    run = _schedule_and_execute(definition, datetime(2026, 1, 1, tzinfo=UTC))
    # when
    outcome = notification_services.delivery_send(delivery_id=Delivery.objects.get().pk)
    # then
    assert outcome.status == "sent"
    body = http_receiver.requests[0].json()
    assert body["kind"] == "audit_finding"
    assert body["rule"]["id"] == "audit.failing"
    assert body["aigov"]["system_name"] == str(system)
    assert body["event"]["url"].endswith(f"/admin/audits/auditrun/{run.pk}/change/")
