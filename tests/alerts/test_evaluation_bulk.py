"""Bulk alert evaluation: findings are recorded a batch at a time with a fixed number of queries, and the result is
the same as recording them one by one (folding several findings of one alert, silences starting and ending, lost
insert races, re-runs that change nothing)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alerts import services
from alerts.choices import AlertRuleKind, AlertSeverity
from alerts.models import Alert, Silence
from core.models import AuditLogEntry
from discovery.choices import PolicyStatus, SubjectKind
from discovery.models import AIService, LogBatch, LogChunk, LogSource, UsageRecord
from notifications import services as notification_services
from notifications.models import Delivery
from tests.alerts.factories import AlertRuleFactory, add_usage
from tests.notifications.factories import ChannelFactory

D0 = date(2026, 3, 2)
NOW = datetime(2026, 3, 3, 18, tzinfo=UTC)
pytestmark = pytest.mark.usefixtures("catalog")

SERVICES = ["deepseek", "chatgpt", "claude", "manus", "poe"]


def evaluate(now: datetime = NOW, since: date = D0) -> services.EvaluationOutcome:
    return services.alert_rules_evaluate(since=since, until=now.date(), now=now)


def bulk_usage(users: int, days: int) -> int:
    """``users`` x len(SERVICES) x ``days`` usage rows in one chunk, with upload volumes that cross the limits of
    :func:`rules` for some users and days."""
    source = LogSource.objects.create(name="bulk")
    batch = LogBatch.objects.create(source=source, sha256="1" * 64, log_format="squid")
    chunk = LogChunk.objects.create(batch=batch, index=0, start_offset=0, end_offset=0)
    services_by_slug = {s.slug: s for s in AIService.objects.filter(slug__in=SERVICES)}
    rows = []
    for u in range(users):
        for d in range(days):
            day = D0 + timedelta(days=d)
            at = datetime.combine(day, time(8 + u % 8), tzinfo=UTC)
            for i, slug in enumerate(SERVICES):
                policy = PolicyStatus.SANCTIONED if slug == "chatgpt" else PolicyStatus.UNSANCTIONED
                rows.append(
                    UsageRecord(
                        chunk=chunk,
                        batch=batch,
                        service=services_by_slug[slug],
                        subject=f"user{u:03d}",
                        subject_kind=SubjectKind.USER,
                        key_version=1,
                        day=day,
                        requests=1 + (u + i + d) % 5,
                        bytes_up=1000 * ((u * 7 + i * 3 + d) % 9),
                        max_request_bytes=4000 if (u + i) % 11 == 0 else None,
                        first_seen=at,
                        last_seen=at + timedelta(minutes=20),
                        policy_status=policy,
                    )
                )
    UsageRecord.objects.bulk_create(rows)
    return len(rows)


def rules() -> None:
    AlertRuleFactory(key="unsanctioned", kind=AlertRuleKind.UNSANCTIONED, severity=AlertSeverity.HIGH)
    AlertRuleFactory(key="risk", kind=AlertRuleKind.HIGH_RISK_SERVICE, severity=AlertSeverity.LOW)
    AlertRuleFactory(key="first-user", kind=AlertRuleKind.FIRST_USE_USER, severity=AlertSeverity.LOW)
    AlertRuleFactory(key="first-org", kind=AlertRuleKind.FIRST_USE_ORG, severity=AlertSeverity.MEDIUM)
    AlertRuleFactory(
        key="volume",
        kind=AlertRuleKind.UPLOAD_VOLUME,
        severity=AlertSeverity.MEDIUM,
        window_hours=24 * 7,  # several days' findings fold into one alert per week
        params={"user_bytes_per_day": 3000, "org_bytes_per_day": 50_000, "escalate_factor": 2},
    )
    AlertRuleFactory(
        key="large", kind=AlertRuleKind.LARGE_UPLOAD, severity=AlertSeverity.MEDIUM, params={"request_bytes": 3000}
    )


def state() -> dict[str, Any]:
    """Everything an evaluation writes, keyed by stable values (not ids)."""
    alerts = {a.pk: (a.fingerprint, a.window_start) for a in Alert.objects.all()}
    return {
        "alerts": sorted(
            Alert.objects.values_list(
                "fingerprint",
                "window_start",
                "rule__key",
                "subject",
                "service__slug",
                "severity",
                "summary",
                "count",
                "first_seen",
                "last_seen",
                "silenced",
                "notifications",
                "notified_severity",
                "notified_last_seen",
            )
        ),
        "details": sorted((a.fingerprint, a.window_start, sorted(a.details.items())) for a in Alert.objects.all()),
        "deliveries": sorted(
            (*alerts[int(d.target_object_id)], d.channel.name, d.event_key.rsplit(".", 1)[1], d.status)
            for d in Delivery.objects.select_related("channel")
        ),
        "history": sorted(
            (*alerts[h.id], h.history_type, h.history_change_reason or "", h.severity, h.silenced, h.notifications)
            for h in Alert.history.all()
        ),
        "audit": sorted(
            (e.target_object_id and alerts[int(e.target_object_id)], sorted(e.extra_data.items()))
            for e in AuditLogEntry.objects.filter(event_type="alerts.alert.raised")
        ),
    }


def forget_alerts() -> None:
    Alert.objects.all().delete()
    Alert.history.all().delete()
    AuditLogEntry.objects.filter(event_type="alerts.alert.raised").delete()


def test_evaluation_runs_a_bounded_number_of_queries(django_assert_max_num_queries: Any) -> None:
    # given: 300 usage rows, six rules, two channels
    assert bulk_usage(users=30, days=2) == 300
    rules()
    ChannelFactory(name="all")
    ChannelFactory(name="high", min_severity=AlertSeverity.HIGH)
    # when: the first run opens an alert per finding and notifies it
    with django_assert_max_num_queries(100):
        first = evaluate()
    # then: hundreds of findings, alerts, history and audit rows and deliveries, in a few dozen statements: ~20
    # reads (rules, usage, first use, silences, existing alerts, channels per rule and severity) and the bulk
    # writes, which SQLite splits at 999 parameters (75 here; one statement each on PostgreSQL). Recording one
    # finding at a time took 6-8 queries per finding, over 4,000 for this data.
    assert first.findings > 500
    assert first.created == Alert.objects.count() > 400
    assert len(first.deliveries) == Delivery.objects.count() > first.created
    assert Alert.history.filter(history_type="+").count() == first.created
    assert Alert.history.filter(history_change_reason="severity increased").exists()
    # when: the same traffic again
    with CaptureQueriesContext(connection) as queries:
        again = evaluate()
    # then: only reads; nothing is written when nothing changed
    assert (again.findings, again.created, again.notified) == (first.findings, 0, 0)
    writes = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert writes == []
    assert len(queries) <= 15


def test_batch_size_and_one_at_a_time_recording_give_the_same_result(monkeypatch: pytest.MonkeyPatch) -> None:
    # given: usage, rules, channels, a silence and a resolved alert from an earlier evaluation of day one
    bulk_usage(users=6, days=3)
    rules()
    ChannelFactory(name="all")
    ChannelFactory(name="high", min_severity=AlertSeverity.HIGH)
    Silence.objects.create(subject="user002", until=NOW + timedelta(days=1))
    real = services.alerts_record

    def one_at_a_time(*, items: Any, **kwargs: Any) -> list[services.RecordResult]:
        return [result for item in items for result in real(items=[item], **kwargs)]

    outcomes = {}
    states = {}
    for label, patch in [
        ("bulk", {}),
        ("batches of one alert", {"EVALUATION_BATCH": 1}),
        ("one finding per transaction", {"alerts_record": one_at_a_time}),
    ]:
        forget_alerts()
        with monkeypatch.context() as m:
            for name, value in patch.items():
                m.setattr(services, name, value)
            evaluate(now=datetime(2026, 3, 2, 20, tzinfo=UTC), since=D0)
            services.alert_transition(
                alert=Alert.objects.order_by("pk").first(), to="resolved", actor=None, reason="blocked"
            )
            second = evaluate()
        outcomes[label] = (second.findings, second.created, second.updated, second.notified, len(second.deliveries))
        states[label] = state()
    # then
    assert outcomes["bulk"] == outcomes["batches of one alert"] == outcomes["one finding per transaction"]
    assert states["bulk"] == states["batches of one alert"] == states["one finding per transaction"]
    assert any(row[10] for row in states["bulk"]["alerts"]), "the silence muted some alerts"


def test_findings_of_one_alert_in_one_run_fold_like_separate_evaluations() -> None:
    # given: a weekly upload-volume rule; over the limit on day one, over 4x the limit on day two (same window)
    rule = AlertRuleFactory(
        kind=AlertRuleKind.UPLOAD_VOLUME,
        severity=AlertSeverity.MEDIUM,
        window_hours=24 * 7,
        params={"user_bytes_per_day": 1000, "org_bytes_per_day": 0},
    )
    ChannelFactory()
    add_usage("u1", "deepseek", D0, bytes_up=1500, hour=8)
    add_usage("u1", "deepseek", D0 + timedelta(days=1), bytes_up=5000, hour=9)
    # when: one evaluation sees both days
    outcome = evaluate()
    # then: one alert, opened at medium and raised to high, notified at opening and again for the raise
    alert = rule.alerts.get()
    assert (outcome.findings, outcome.created, outcome.updated, outcome.notified) == (2, 1, 1, 2)
    assert (alert.severity, alert.notifications, alert.notified_severity) == (AlertSeverity.HIGH, 2, "high")
    assert alert.details["day_bytes_up"] == 5000
    assert alert.last_seen == datetime(2026, 3, 3, 9, 30, tzinfo=UTC)
    numbers = sorted(int(key.rsplit(".", 1)[1]) for key in Delivery.objects.values_list("event_key", flat=True))
    assert numbers == [1, 2]
    history = list(alert.history.order_by("history_date", "history_id"))
    assert [(h.history_type, h.history_change_reason, h.severity) for h in history] == [
        ("+", None, AlertSeverity.MEDIUM),
        ("~", "severity increased", AlertSeverity.HIGH),
    ]
    assert history[0].notifications == 0  # recorded as opened, before the notification
    assert AuditLogEntry.objects.filter(event_type="alerts.alert.raised").count() == 1


def test_a_silence_starting_and_ending_is_in_the_alert_history() -> None:
    # given: a notified alert
    AlertRuleFactory(repeat_interval_hours=1)
    ChannelFactory()
    add_usage("u1", "deepseek", D0, hour=8)
    evaluate(now=datetime(2026, 3, 2, 9, tzinfo=UTC))
    # when: silenced, with new traffic
    silence = Silence.objects.create(subject="u1", until=datetime(2026, 3, 2, 15, tzinfo=UTC))
    add_usage("u1", "deepseek", D0, hour=11)
    evaluate(now=datetime(2026, 3, 2, 12, tzinfo=UTC))
    alert = Alert.objects.get()
    assert (alert.silenced, alert.count, Delivery.objects.count()) == (True, 2, 1)
    # when: the silence has ended
    evaluate(now=datetime(2026, 3, 2, 16, tzinfo=UTC))
    # then: unmuted, and the traffic seen meanwhile is notified
    alert.refresh_from_db()
    assert (alert.silenced, alert.notifications, Delivery.objects.count()) == (False, 2, 2)
    reasons = list(
        alert.history.order_by("history_date", "history_id").values_list("history_change_reason", "silenced")
    )
    assert reasons == [(None, False), ("silence changed", True), ("silence changed", False)]
    assert silence.pk


def test_a_batch_that_loses_an_insert_race_is_recorded_over_the_winners_alert() -> None:
    # given: a concurrent evaluation created the alert after this one looked for it
    AlertRuleFactory()
    ChannelFactory()
    add_usage("u1", "deepseek", D0, requests=3)
    evaluate()
    Delivery.objects.all().delete()
    Alert.objects.update(count=1, notifications=0, notified_at=None, notified_last_seen=None, notified_severity="")
    winner = Alert.objects.get()
    real = Alert.objects.select_for_update
    calls = []

    def late_view(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return Alert.objects.none() if len(calls) == 1 else real(*args, **kwargs)

    # when
    with mock.patch.object(Alert.objects, "select_for_update", side_effect=late_view):
        outcome = evaluate()
    # then: the insert failed on the unique constraint, the batch was recorded again and merged into the winner
    assert len(calls) == 2
    assert (outcome.created, outcome.updated, outcome.notified) == (0, 1, 1)
    alert = Alert.objects.get()
    assert (alert.pk, alert.count, alert.notifications) == (winner.pk, 3, 1)
    assert Delivery.objects.get().target == alert
    assert AuditLogEntry.objects.filter(event_type="alerts.alert.raised").count() == 1


def test_notifications_are_enqueued_once_per_batch_on_commit(
    monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    # given
    AlertRuleFactory()
    ChannelFactory()
    for who in ("u1", "u2", "u3"):
        add_usage(who, "deepseek", D0)
    monkeypatch.setattr(services, "EVALUATION_BATCH", 2)
    sent: list[list[int]] = []
    monkeypatch.setattr(notification_services, "deliveries_enqueue", lambda ids: sent.append(list(ids)))
    # when
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        outcome = evaluate()
    assert sent == []  # nothing before the commit
    for callback in callbacks:
        callback()
    # then
    assert [len(ids) for ids in sent] == [2, 1]
    assert sorted(i for ids in sent for i in ids) == sorted(outcome.deliveries)
    assert sorted(outcome.deliveries) == sorted(Delivery.objects.values_list("pk", flat=True))
