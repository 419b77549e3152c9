"""Alert services: evaluation into deduplicated alerts, notification decisions, silences, the outbox, triage,
promotion into the registry and the policy flowing back. Real HTTP receiver for deliveries."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from alerts import services
from alerts.choices import AlertRuleKind, AlertSeverity, AlertStatus
from alerts.models import Alert, Silence
from core.exceptions import Conflict, InvalidTransition, ValidationFailed
from core.models import AuditLogEntry
from discovery import services as discovery_services
from discovery.choices import PolicyStatus
from discovery.models import AIService, LogSource, ServicePromotion
from discovery.selectors import blocklist_domains, blocklist_render
from discovery.services import ai_service_policy_update, log_batch_ingest
from notifications import services as notification_services
from notifications.backoff import MAX_ATTEMPTS
from notifications.choices import ChannelKind, DeliveryStatus
from notifications.models import Delivery
from tests.alerts.factories import AlertRuleFactory, add_usage
from tests.discovery.factories import squid_bytes
from tests.notifications.factories import ChannelFactory
from tests.notifications.receivers import HTTPReceiver

D0 = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 18, tzinfo=UTC)
pytestmark = pytest.mark.usefixtures("catalog")


def evaluate(now: datetime = NOW, since: date = D0) -> services.EvaluationOutcome:
    return services.alert_rules_evaluate(since=since, until=now.date(), now=now)


def test_evaluation_raises_one_alert_per_fingerprint_and_window(django_capture_on_commit_callbacks: Any) -> None:
    # given
    rule = AlertRuleFactory(key="unsanctioned", kind=AlertRuleKind.UNSANCTIONED)
    add_usage("u1", "deepseek", D0, requests=3)
    add_usage("u2", "deepseek", D0)
    add_usage("u1", "chatgpt", D0, policy=PolicyStatus.SANCTIONED)
    # when
    with django_capture_on_commit_callbacks(execute=False):
        first = evaluate()
        again = evaluate()
    # then
    assert (first.created, again.created, again.updated) == (2, 0, 2)
    alerts = Alert.objects.order_by("subject")
    assert [(a.subject, a.service.slug, a.count, a.rule) for a in alerts] == [
        ("u1", "deepseek", 3, rule),
        ("u2", "deepseek", 1, rule),
    ]
    assert AuditLogEntry.objects.filter(event_type="alerts.alert.raised").count() == 2


def test_repeats_update_count_and_last_seen_instead_of_new_alerts() -> None:
    # given
    AlertRuleFactory(kind=AlertRuleKind.UNSANCTIONED, window_hours=24)
    add_usage("u1", "deepseek", D0, requests=2, hour=9)
    evaluate()
    # when: more traffic the same day
    add_usage("u1", "deepseek", D0, requests=5, hour=15)
    outcome = evaluate()
    # then
    alert = Alert.objects.get()
    assert outcome.created == 0
    assert alert.count == 7
    assert alert.last_seen == datetime(2026, 3, 2, 15, 30, tzinfo=UTC)
    assert alert.first_seen == datetime(2026, 3, 2, 9, tzinfo=UTC)


def test_next_window_opens_a_new_alert() -> None:
    AlertRuleFactory(kind=AlertRuleKind.UNSANCTIONED, window_hours=24)
    add_usage("u1", "deepseek", D0)
    add_usage("u1", "deepseek", D0 + timedelta(days=1))
    evaluate(now=NOW + timedelta(days=1))
    assert Alert.objects.count() == 2
    assert len(set(Alert.objects.values_list("fingerprint", flat=True))) == 1


def test_the_unique_constraint_refuses_a_second_alert_for_the_same_fingerprint_and_window() -> None:
    # given
    AlertRuleFactory()
    add_usage("u1", "deepseek", D0)
    evaluate()
    alert = Alert.objects.get()
    # when / then
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(
            rule=alert.rule,
            fingerprint=alert.fingerprint,
            window_start=alert.window_start,
            service=alert.service,
            severity=alert.severity,
            summary="dup",
            first_seen=alert.first_seen,
            last_seen=alert.last_seen,
        )


def test_dedup_under_repeated_ingestion_of_the_same_traffic(
    catalog: None, django_capture_on_commit_callbacks: Any
) -> None:
    # given: the squid sample (2026-03-02/03) ingested, rules evaluated by the batch hook
    AlertRuleFactory(key="unsanctioned", kind=AlertRuleKind.UNSANCTIONED, window_hours=24 * 7)
    source = LogSource.objects.create(name="proxy", log_format="squid")
    now = datetime(2026, 3, 3, 23, tzinfo=UTC)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        batch = log_batch_ingest(source=source, fileobj=io.BytesIO(squid_bytes()), name="a.log", synchronous=True)
    assert callbacks, "finalising the batch enqueues the rule evaluation on commit"
    services.alert_rules_evaluate(since=batch.batch.first_seen.date(), until=now.date(), now=now)
    before = sorted(Alert.objects.values_list("fingerprint", "count"))
    # when: the same file again (a duplicate) and the same lines under another name (new bytes, same traffic)
    log_batch_ingest(source=source, fileobj=io.BytesIO(squid_bytes()), name="a.log", synchronous=True)
    services.alert_rules_evaluate(since=D0, until=now.date(), now=now)
    services.alert_rules_evaluate(since=D0, until=now.date(), now=now)
    # then
    assert before and sorted(Alert.objects.values_list("fingerprint", "count")) == before


def test_channels_get_one_delivery_per_notification_with_severity_and_rule_filters() -> None:
    # given
    high = AlertRuleFactory(key="high", severity=AlertSeverity.HIGH)
    low = AlertRuleFactory(key="low", kind=AlertRuleKind.HIGH_RISK_SERVICE, severity=AlertSeverity.LOW)
    ChannelFactory(name="all")
    ChannelFactory(name="high+", min_severity=AlertSeverity.HIGH)
    only_low_rule = ChannelFactory(name="low rule")
    low.channels.set([only_low_rule])  # the low rule routes to its own channel only
    ChannelFactory(name="off", enabled=False)
    add_usage("u1", "deepseek", D0)
    # when
    evaluate()
    # then: a rule naming no channel goes to every subscribed one its severity passes
    got = sorted((d.target.rule.key, d.channel.name) for d in Delivery.objects.prefetch_related("target", "channel"))
    assert got == [("high", "all"), ("high", "high+"), ("high", "low rule"), ("low", "low rule")]
    assert {d.event_key for d in Delivery.objects.all()} == {f"alerts.alert.{a.pk}.1" for a in Alert.objects.all()}
    assert high.alerts.get().notifications == 1


def test_renotify_only_after_repeat_interval_with_new_traffic_or_on_severity_increase() -> None:
    # given
    rule = AlertRuleFactory(
        kind=AlertRuleKind.UPLOAD_VOLUME,
        severity=AlertSeverity.MEDIUM,
        params={"user_bytes_per_day": 1000, "org_bytes_per_day": 0},
        repeat_interval_hours=4,
    )
    ChannelFactory()
    add_usage("u1", "deepseek", D0, bytes_up=1500, hour=8)
    evaluate(now=datetime(2026, 3, 2, 9, tzinfo=UTC))
    assert Delivery.objects.count() == 1
    # when: nothing new, long after: quiet
    evaluate(now=datetime(2026, 3, 2, 20, tzinfo=UTC))
    assert Delivery.objects.count() == 1
    # when: new traffic inside the repeat interval: quiet
    add_usage("u1", "deepseek", D0, bytes_up=100, hour=9)
    evaluate(now=datetime(2026, 3, 2, 10, tzinfo=UTC))
    assert Delivery.objects.count() == 1
    # when: the repeat interval has passed (new traffic was seen): notified again
    evaluate(now=datetime(2026, 3, 2, 13, 30, tzinfo=UTC))
    assert Delivery.objects.count() == 2
    # when: severity rises (>= 4x the limit): notified at once
    add_usage("u1", "deepseek", D0, bytes_up=5000, hour=11)
    evaluate(now=datetime(2026, 3, 2, 13, 45, tzinfo=UTC))
    # then
    alert = rule.alerts.get()
    assert alert.severity == AlertSeverity.HIGH
    numbers = sorted(int(key.rsplit(".", 1)[1]) for key in Delivery.objects.values_list("event_key", flat=True))
    assert numbers == [1, 2, 3]
    assert alert.history.filter(severity=AlertSeverity.HIGH).exists()


def test_resolved_alerts_update_counts_but_are_not_notified() -> None:
    AlertRuleFactory(repeat_interval_hours=1)
    ChannelFactory()
    add_usage("u1", "deepseek", D0, hour=8)
    evaluate(now=datetime(2026, 3, 2, 9, tzinfo=UTC))
    alert = Alert.objects.get()
    services.alert_transition(alert=alert, to=AlertStatus.FALSE_POSITIVE, actor=None, reason="test traffic")
    add_usage("u1", "deepseek", D0, requests=4, hour=12)
    evaluate(now=datetime(2026, 3, 2, 14, tzinfo=UTC))
    alert.refresh_from_db()
    assert (alert.count, alert.status, Delivery.objects.count()) == (5, AlertStatus.FALSE_POSITIVE, 1)


@pytest.mark.parametrize("part", ["rule", "subject", "service"])
def test_silences_record_the_alert_but_mute_notifications(part: str) -> None:
    # given
    rule = AlertRuleFactory()
    ChannelFactory()
    deepseek = AIService.objects.get(slug="deepseek")
    data: dict[str, Any] = {"rule": rule, "subject": "u1", "service": deepseek}
    Silence.objects.create(until=NOW + timedelta(days=1), **{part: data[part]})
    add_usage("u1", "deepseek", D0)
    # when
    evaluate()
    # then
    alert = Alert.objects.get()
    assert alert.silenced is True
    assert Delivery.objects.count() == 0


def test_expired_or_non_matching_silences_do_not_mute() -> None:
    AlertRuleFactory()
    ChannelFactory()
    Silence.objects.create(subject="u1", until=NOW - timedelta(minutes=1))
    Silence.objects.create(subject="someone-else", until=NOW + timedelta(days=1))
    add_usage("u1", "deepseek", D0)
    evaluate()
    assert Alert.objects.get().silenced is False
    assert Delivery.objects.count() == 1


def test_silence_needs_a_rule_user_or_service(sam: Any) -> None:
    with pytest.raises(Exception, match="Give a rule"):
        services.silence_create(actor=sam, data={"until": NOW})


def _one_delivery(kind: str, config: dict[str, Any]) -> Delivery:
    AlertRuleFactory()
    ChannelFactory(kind=kind, config=config)
    add_usage("u1", "deepseek", D0)
    evaluate()
    return Delivery.objects.get()


def test_delivery_is_sent_to_a_real_webhook(http_receiver: HTTPReceiver) -> None:
    # given
    delivery = _one_delivery(ChannelKind.WEBHOOK, {"url": http_receiver.url, "secret": "k"})
    # when
    outcome = notification_services.delivery_send(delivery_id=delivery.pk)
    # then
    delivery.refresh_from_db()
    assert (outcome.status, delivery.status, delivery.attempts) == ("sent", DeliveryStatus.SENT, 1)
    body = http_receiver.requests[0].json()
    assert body["user"]["id"] == "u1"
    assert body["aigov"]["alert_id"] == str(delivery.target.uuid)
    # the outbox row keeps only the title; the message sent is rebuilt from the alert and has the same title
    assert delivery.payload == {"title": notification_services.delivery_message(delivery).title}
    assert body["event"]["url"].endswith(f"/admin/alerts/alert/{delivery.target.pk}/change/")


def test_a_claimed_delivery_is_not_sent_twice(http_receiver: HTTPReceiver) -> None:
    delivery = _one_delivery(ChannelKind.SLACK, {"url": http_receiver.url})
    assert notification_services.delivery_send(delivery_id=delivery.pk).status == "sent"
    assert notification_services.delivery_send(delivery_id=delivery.pk).status == "skipped"
    assert len(http_receiver.requests) == 1


def test_retry_with_backoff_then_recovery(http_receiver: HTTPReceiver) -> None:
    # given: the receiver fails twice, then recovers
    delivery = _one_delivery(ChannelKind.SLACK, {"url": http_receiver.url})
    http_receiver.respond((503, {}), (502, {}))
    # when
    first = notification_services.delivery_send(delivery_id=delivery.pk)
    early = notification_services.delivery_send(delivery_id=delivery.pk)  # not due yet
    delivery.refresh_from_db()
    due = delivery.next_attempt_at
    second = notification_services.delivery_send(delivery_id=delivery.pk, now=due)
    delivery.refresh_from_db()
    third = notification_services.delivery_send(delivery_id=delivery.pk, now=delivery.next_attempt_at)
    # then
    assert [first.status, early.status, second.status, third.status] == ["retry", "skipped", "retry", "sent"]
    assert first.delay is not None and second.delay is not None
    assert 30 * 0.75 <= first.delay <= 30 * 1.25
    assert 60 * 0.75 <= second.delay <= 60 * 1.25
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (DeliveryStatus.SENT, 3, "")
    assert len(http_receiver.requests) == 3


def test_retry_after_is_honoured_on_429(http_receiver: HTTPReceiver) -> None:
    delivery = _one_delivery(ChannelKind.SLACK, {"url": http_receiver.url})
    http_receiver.respond((429, {"Retry-After": "600"}))
    outcome = notification_services.delivery_send(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert outcome.status == "retry" and outcome.delay is not None and outcome.delay >= 600
    assert delivery.status == DeliveryStatus.PENDING
    assert "429" in delivery.last_error


def test_permanent_error_dead_letters_at_once(http_receiver: HTTPReceiver) -> None:
    delivery = _one_delivery(ChannelKind.SLACK, {"url": http_receiver.url})
    http_receiver.respond((404, {}))
    assert notification_services.delivery_send(delivery_id=delivery.pk).status == "dead"
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DEAD
    assert AuditLogEntry.objects.filter(event_type="notifications.delivery.dead_lettered").count() == 1


def test_dead_letter_after_max_attempts_then_resend_recovers(http_receiver: HTTPReceiver, sam: Any) -> None:
    # given: a receiver that is down for MAX_ATTEMPTS attempts
    delivery = _one_delivery(ChannelKind.SLACK, {"url": http_receiver.url})
    http_receiver.respond(*[(500, {})] * MAX_ATTEMPTS)
    outcomes = []
    for _ in range(MAX_ATTEMPTS):
        delivery.refresh_from_db()
        outcomes.append(
            notification_services.delivery_send(delivery_id=delivery.pk, now=delivery.next_attempt_at).status
        )
    assert outcomes == ["retry"] * (MAX_ATTEMPTS - 1) + ["dead"]
    # when: an analyst re-sends it after the receiver recovered
    delivery.refresh_from_db()
    notification_services.delivery_resend(delivery=delivery, actor=sam, reason="receiver fixed")
    outcome = notification_services.delivery_send(delivery_id=delivery.pk, now=datetime.now(UTC) + timedelta(seconds=1))
    # then
    delivery.refresh_from_db()
    assert outcome.status == "sent"
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 1)
    assert AuditLogEntry.objects.filter(event_type="notifications.delivery.resent", acting_user=sam).exists()


def test_resend_refuses_a_queued_delivery(sam: Any) -> None:
    delivery = _one_delivery(ChannelKind.EMAIL, {"to": ["a@b.c"]})
    with pytest.raises(Conflict):
        notification_services.delivery_resend(delivery=delivery, actor=sam)


def test_a_down_channel_does_not_block_the_others(http_receiver: HTTPReceiver, mailoutbox: list[Any]) -> None:
    # given
    AlertRuleFactory()
    ChannelFactory(kind=ChannelKind.SLACK, config={"url": "http://127.0.0.1:9/down"})
    ChannelFactory(kind=ChannelKind.EMAIL, config={"to": ["soc@example.com"]})
    add_usage("u1", "deepseek", D0)
    evaluate()
    # when
    results = {
        d.channel.kind: notification_services.delivery_send(delivery_id=d.pk).status for d in Delivery.objects.all()
    }
    # then
    assert results == {"slack": "retry", "email": "sent"}
    assert len(mailoutbox) == 1
    assert "u1" in mailoutbox[0].body


def test_deliveries_due_recovers_rows_whose_worker_died() -> None:
    delivery = _one_delivery(ChannelKind.EMAIL, {"to": ["a@b.c"]})
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.SENDING, claimed_at=long_ago)
    assert notification_services.deliveries_due() == [delivery.pk]
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING


# --- triage -----------------------------------------------------------------------------------------------------


def _alert() -> Alert:
    AlertRuleFactory()
    add_usage("u1", "deepseek", D0)
    evaluate()
    return Alert.objects.get()


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ([AlertStatus.ACKNOWLEDGED, AlertStatus.RESOLVED, AlertStatus.OPEN], True),
        ([AlertStatus.FALSE_POSITIVE, AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED], True),
        ([AlertStatus.RESOLVED, AlertStatus.ACKNOWLEDGED], False),
        ([AlertStatus.FALSE_POSITIVE, AlertStatus.RESOLVED], False),
        ([AlertStatus.OPEN], False),
    ],
)
def test_transition_table(sam: Any, path: list[str], allowed: bool) -> None:
    alert = _alert()
    if allowed:
        for status in path:
            alert = services.alert_transition(alert=alert, to=status, actor=sam, reason="triage")
        assert alert.status == path[-1]
    else:
        with pytest.raises(InvalidTransition):
            for status in path:
                alert = services.alert_transition(alert=alert, to=status, actor=sam, reason="triage")


def test_transition_is_in_history_and_audit_log(sam: Any) -> None:
    alert = _alert()
    services.alert_transition(alert=alert, to=AlertStatus.RESOLVED, actor=sam, reason="blocked at proxy")
    alert.refresh_from_db()
    assert alert.resolved_at is not None
    record = alert.history.first()
    assert (record.status, record.history_user, record.history_change_reason) == ("resolved", sam, "blocked at proxy")
    entry = AuditLogEntry.objects.get(event_type="alerts.alert.transitioned")
    assert entry.extra_data == {"before": "open", "after": "resolved"}
    assert entry.acting_user == sam


def test_bulk_transition_reports_skipped(sam: Any) -> None:
    AlertRuleFactory()
    add_usage("u1", "deepseek", D0)
    add_usage("u2", "deepseek", D0)
    evaluate()
    first, second = Alert.objects.order_by("subject")
    services.alert_transition(alert=first, to=AlertStatus.RESOLVED, actor=sam, reason="blocked")
    outcome = services.alerts_bulk_transition(alerts=[first, second], to=AlertStatus.ACKNOWLEDGED, actor=sam)
    assert outcome.changed == [second.pk]
    assert list(outcome.skipped) == [first.pk]


def test_assign_only_to_users_who_can_triage(sam: Any, audrey: Any) -> None:
    alert = _alert()
    services.alert_assign(alert=alert, assignee=sam, actor=sam)
    assert Alert.objects.get().assignee == sam
    with pytest.raises(ValidationFailed):
        services.alert_assign(alert=alert, assignee=audrey, actor=sam)


def test_comments_are_appended_and_audited(sam: Any) -> None:
    alert = _alert()
    services.alert_comment_add(alert=alert, body="talked to the team lead", actor=sam)
    with pytest.raises(ValidationFailed):
        services.alert_comment_add(alert=alert, body="  ", actor=sam)
    assert [c.body for c in alert.comments.all()] == ["talked to the team lead"]
    assert AuditLogEntry.objects.filter(event_type="alerts.alert.commented").count() == 1


# --- promotion and policy flow-back -----------------------------------------------------------------------------


def test_compliance_officer_promotes_a_discovered_service_into_the_registry(alice: Any) -> None:
    # given
    add_usage("u1", "deepseek", datetime.now(UTC).date(), requests=4, bytes_up=3 * 1_048_576)
    deepseek = AIService.objects.get(slug="deepseek")
    # when
    promotion = discovery_services.ai_service_promote(service=deepseek, actor=alice, reason="classify it")
    # then
    system = promotion.system
    assert system.name == f"{deepseek.name} (discovered)"
    assert system.vendor == deepseek.vendor
    assert system.lifecycle_stage == "proposed"
    assert "1 pseudonymous users, 4 requests, 3.0 MB uploaded" in system.purpose
    assert system.history.first().history_user == alice
    assert AuditLogEntry.objects.filter(event_type="discovery.ai_service.promoted", acting_user=alice).exists()
    with pytest.raises(Conflict):
        discovery_services.ai_service_promote(service=deepseek, actor=alice)


def test_security_analyst_cannot_write_the_registry(sam: Any) -> None:
    with pytest.raises(PermissionDenied):
        discovery_services.ai_service_promote(service=AIService.objects.get(slug="deepseek"), actor=sam)
    assert not ServicePromotion.objects.exists()


@pytest.mark.parametrize(
    ("stage", "policy"),
    [
        ("pilot", PolicyStatus.TOLERATED),
        ("approved", PolicyStatus.SANCTIONED),
        ("production", PolicyStatus.SANCTIONED),
        ("retired", PolicyStatus.UNSANCTIONED),
    ],
)
def test_registry_decision_flows_back_to_the_discovery_policy(alice: Any, stage: str, policy: str) -> None:
    # given
    deepseek = AIService.objects.get(slug="deepseek")
    ai_service_policy_update(service=deepseek, policy=PolicyStatus.TOLERATED, actor=alice, reason="setup")
    promotion = discovery_services.ai_service_promote(service=deepseek, actor=alice)
    type(promotion.system).objects.filter(pk=promotion.system.pk).update(lifecycle_stage=stage)
    # when
    discovery_services.promotions_sync_policy()
    again = discovery_services.promotions_sync_policy()
    # then
    deepseek.refresh_from_db()
    assert deepseek.policy == policy
    assert again == []
    if policy != PolicyStatus.TOLERATED:
        assert AuditLogEntry.objects.filter(
            event_type="discovery.ai_service.policy_changed", extra_data__after=policy
        ).exists()


def test_proposed_stage_leaves_the_policy_alone(alice: Any) -> None:
    deepseek = AIService.objects.get(slug="deepseek")
    before = deepseek.policy
    discovery_services.ai_service_promote(service=deepseek, actor=alice)
    assert discovery_services.promotions_sync_policy() == []
    deepseek.refresh_from_db()
    assert deepseek.policy == before


# --- block list ---------------------------------------------------------------------------------------------------


def test_blocklist_lists_unsanctioned_services_only(alice: Any) -> None:
    chatgpt = AIService.objects.get(slug="chatgpt")
    ai_service_policy_update(service=chatgpt, policy=PolicyStatus.SANCTIONED, actor=alice)
    domains = blocklist_domains()
    assert "deepseek.com" in domains
    assert "chatgpt.com" not in domains
    squid = blocklist_render(fmt="squid")
    assert ".deepseek.com\n" in squid
    assert "chat.deepseek.com" not in squid  # covered by .deepseek.com


def test_blocklist_never_blocks_a_host_of_an_allowed_service(alice: Any) -> None:
    # given: ChatGPT sanctioned; Codex (unsanctioned) is recognised by URL prefixes on chatgpt.com, Sora by an
    # exact subdomain
    ai_service_policy_update(service=AIService.objects.get(slug="chatgpt"), policy=PolicyStatus.SANCTIONED, actor=alice)
    # when
    domains = blocklist_domains()
    # then
    assert not [d for d in domains if d == "chatgpt.com" or "chatgpt.com".endswith("." + d)]
    assert "sora.chatgpt.com" in domains


def test_single_large_upload_fires_from_ingested_request_sizes(catalog: None) -> None:
    # given: a JSON-lines proxy log whose records carry the request size; one 40 MB upload to chatgpt.com
    AlertRuleFactory(key="large-upload", kind=AlertRuleKind.LARGE_UPLOAD, window_hours=24)
    source = LogSource.objects.create(name="jsonl proxy", log_format="generic_jsonl")
    lines = [
        '{"timestamp": "2026-03-02T09:00:00Z", "user": "eve", "host": "chatgpt.com", "upload_bytes": 2000}',
        '{"timestamp": "2026-03-02T09:05:00Z", "user": "eve", "host": "chatgpt.com", "upload_bytes": 40000000}',
        '{"timestamp": "2026-03-02T09:10:00Z", "user": "bob", "host": "chatgpt.com", "upload_bytes": 3000}',
        '{"timestamp": "2026-03-02T09:15:00Z", "user": "bob", "host": "claude.ai"}',
    ]
    log_batch_ingest(source=source, fileobj=io.BytesIO("\n".join(lines).encode()), name="u.jsonl", synchronous=True)
    # when
    evaluate()
    # then: the largest single request is kept per (user, service, day), and only eve's crosses the 25 MB default
    from discovery.models import UsageRecord

    assert sorted(UsageRecord.objects.values_list("max_request_bytes", flat=True), key=str) == [
        3000,
        40000000,
        None,
    ]
    alerts = list(Alert.objects.filter(rule__key="large-upload"))
    assert len(alerts) == 1
    assert alerts[0].details["largest_request_bytes"] == 40_000_000
