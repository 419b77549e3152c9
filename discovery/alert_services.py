"""Writes for shadow-AI alerts: rule evaluation into deduplicated alerts, the delivery outbox, triage, silences,
promotion of a discovered service into the governance registry, and the policy flowing back.

Every state change runs in a transaction and leaves an audit trail (simple-history rows for field changes, the
audit log for events). Network sends never happen inside a transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, models, transaction
from django.db.models import F, Max, Min, Sum
from django.utils import timezone

from core.exceptions import Conflict, InvalidTransition, ValidationFailed
from core.services import (
    audit_log_record,
    audit_log_record_many,
    history_stamp,
    model_create,
    model_delete,
    model_update,
)
from discovery import events
from discovery.alert_choices import (
    ACTIVE_STATUSES,
    ALERT_TRANSITIONS,
    SEVERITY_RANK,
    AlertStatus,
    ChannelTopic,
    DeliveryStatus,
)
from discovery.alert_models import (
    Alert,
    AlertComment,
    AlertRule,
    Channel,
    Delivery,
    ServicePromotion,
    Silence,
    alert_admin_path,
)
from discovery.alerting import RuleKind, RuleSpec, ServiceInfo, UsageDay, evaluate, fingerprint, should_notify
from discovery.alerting.dedup import window_start
from discovery.alerting.delivery import MAX_ATTEMPTS, backoff_delay
from discovery.alerting.rules import Finding
from discovery.channel_secrets import config_merge_secrets
from discovery.choices import PolicyStatus, RuleType
from discovery.models import AIService, UsageRecord
from discovery.notifiers import (
    AlertPayload,
    AuditFindingPayload,
    NotifierError,
    Payload,
    notifier_for,
)
from discovery.notifiers import MetricVerdictItem as MetricVerdictItem  # re-exported for audit_finding_notify callers

logger = logging.getLogger(__name__)

#: days evaluated by the beat run (today and the two days before: late log uploads still raise alerts)
BEAT_LOOKBACK_DAYS = 2
#: a delivery claimed longer ago than this is assumed lost with its worker and is put back to pending
STALE_CLAIM = timedelta(minutes=10)
#: due deliveries fanned out per dispatcher run
DISPATCH_BATCH = 500
#: alerts (fingerprint, window) recorded per transaction by an evaluation: a few bulk statements each, short row
#: locks, and a crash loses at most one batch (the redelivered task records it again)
EVALUATION_BATCH = 2000
#: pseudonyms per first-use query (below SQLite's 32,766 bound parameters, together with the service slugs)
FIRST_USE_SUBJECTS_PER_QUERY = 10_000
#: registry lifecycle stage -> discovery policy (stages not listed leave the policy alone)
STAGE_POLICY = {
    "pilot": PolicyStatus.TOLERATED,
    "approved": PolicyStatus.SANCTIONED,
    "production": PolicyStatus.SANCTIONED,
    "suspended": PolicyStatus.UNSANCTIONED,
    "retired": PolicyStatus.UNSANCTIONED,
}


# --- evaluation --------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class EvaluationOutcome:
    findings: int = 0
    created: int = 0
    updated: int = 0
    notified: int = 0
    deliveries: list[int] = field(default_factory=list)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _spec(rule: AlertRule) -> RuleSpec:
    return RuleSpec(
        key=rule.key,
        kind=RuleKind(rule.kind),
        severity=rule.severity,
        window=timedelta(hours=rule.window_hours),
        params=rule.params or {},
    )


def _usage_days(*, day_from: date, day_to: date) -> list[UsageDay]:
    rows = (
        UsageRecord.objects.filter(day__gte=day_from, day__lte=day_to)
        .values("subject", "subject_kind", "service__slug", "day", "policy_status")
        .annotate(
            n=Sum("requests"),
            up=Sum("bytes_up"),
            uploads=Sum("upload_requests"),
            first=Min("first_seen"),
            last=Max("last_seen"),
            largest=Max("max_request_bytes"),
        )
        .order_by()
    )
    return [
        UsageDay(
            subject=r["subject"],
            subject_kind=r["subject_kind"],
            service=r["service__slug"],
            day=r["day"],
            requests=r["n"] or 0,
            bytes_up=r["up"] or 0,
            policy=r["policy_status"],
            first_seen=r["first"],
            last_seen=r["last"],
            upload_requests=r["uploads"] or 0,
            max_request_bytes=r["largest"],
        )
        for r in rows
    ]


def _service_domain(service: AIService) -> str:
    for rule in service.rules.all():
        if not rule.telemetry and rule.rule_type in (RuleType.EXACT, RuleType.SUFFIX, RuleType.URL_PREFIX):
            return rule.value.split("/", 1)[0]
    return ""


def alert_rules_evaluate(
    *, since: date | None = None, until: date | None = None, now: datetime | None = None
) -> EvaluationOutcome:
    """Run every enabled rule over usage from ``since`` to ``until`` and record the findings as alerts.

    Each rule looks back to the start of the dedup window containing ``since``, so an alert's count is always the
    window's full total, and evaluating the same traffic twice changes nothing. Usage, silences and first-use days
    are loaded once; the findings are recorded in bulk, ``EVALUATION_BATCH`` alerts per transaction
    (:func:`alerts_record`). Deliveries are enqueued on commit.
    """
    now = now or timezone.now()
    until = until or now.date()
    since = since or until - timedelta(days=BEAT_LOOKBACK_DAYS)
    outcome = EvaluationOutcome()
    rules = list(AlertRule.objects.filter(enabled=True))
    if not rules:
        return outcome
    specs = {rule.pk: _spec(rule) for rule in rules}
    rule_since = {pk: window_start(_day_start(since), spec.window).date() for pk, spec in specs.items()}
    load_from = min(rule_since.values())
    baseline_days = [int(s.param("baseline_days")) for s in specs.values() if s.kind is RuleKind.BASELINE_ZSCORE]
    if baseline_days:
        load_from -= timedelta(days=max(baseline_days))
    rows = _usage_days(day_from=load_from, day_to=until)
    current = [r for r in rows if r.day >= min(rule_since.values())]
    if not current:
        return outcome
    slugs = {r.service for r in current}
    services = {s.slug: s for s in AIService.objects.filter(slug__in=slugs).prefetch_related("rules")}
    infos = {
        slug: ServiceInfo(slug, s.name, _service_domain(s), s.risk_score, s.policy) for slug, s in services.items()
    }
    kinds = {spec.kind for spec in specs.values()}
    first_user: dict[tuple[str, str], date] = {}
    first_org: dict[str, date] = {}
    if RuleKind.FIRST_USE_USER in kinds:
        subjects = sorted({r.subject for r in current})
        for start in range(0, len(subjects), FIRST_USE_SUBJECTS_PER_QUERY):
            for row in (
                UsageRecord.objects.filter(
                    service__slug__in=slugs, subject__in=subjects[start : start + FIRST_USE_SUBJECTS_PER_QUERY]
                )
                .values("subject", "service__slug")
                .annotate(first=Min("day"))
                .order_by()
            ):
                first_user[(row["subject"], row["service__slug"])] = row["first"]
    if RuleKind.FIRST_USE_ORG in kinds:
        for org_row in (
            UsageRecord.objects.filter(service__slug__in=slugs).values("service__slug").annotate(first=Min("day"))
        ):
            first_org[org_row["service__slug"]] = org_row["first"]
    # every finding of every rule, grouped by its alert (fingerprint, window) in evaluation order: the findings of
    # one alert are folded into it one after the other, exactly as separate evaluations would
    pending: dict[tuple[str, datetime], list[RecordItem]] = {}
    for rule in rules:
        findings = evaluate(
            specs[rule.pk],
            rows=rows,
            since=rule_since[rule.pk],
            services=infos,
            first_day_user=first_user,
            first_day_org=first_org,
        )
        for finding in findings:
            if finding.service not in services:
                continue
            key = (fingerprint(rule.key, finding.subject, finding.service), finding.window_start)
            pending.setdefault(key, []).append(RecordItem(rule, finding, services[finding.service]))
    silences = _active_silences(now=now)
    channels = _ChannelsBySeverity()
    keys = list(pending)
    for start in range(0, len(keys), EVALUATION_BATCH):
        items = [item for key in keys[start : start + EVALUATION_BATCH] for item in pending[key]]
        for result in alerts_record(items=items, now=now, silences=silences, channels=channels):
            outcome.findings += 1
            outcome.created += int(result.created)
            outcome.updated += int(not result.created)
            outcome.notified += int(result.notified)
            outcome.deliveries.extend(result.deliveries)
    return outcome


@dataclass(frozen=True, slots=True)
class RecordItem:
    """One finding of one rule, to be recorded as (or merged into) the alert of its fingerprint and window."""

    rule: AlertRule
    finding: Finding
    service: AIService


@dataclass(slots=True)
class RecordResult:
    alert: Alert
    created: bool
    notified: bool
    deliveries: list[int]


#: active silences as (rule id or None, pseudonym or "", service id or None): empty parts match everything
SilenceKeys = frozenset[tuple[int | None, str, int | None]]


def _active_silences(*, now: datetime) -> SilenceKeys:
    """Every silence in force at ``now``, loaded once per evaluation (there are few; alerts are many)."""
    return frozenset(Silence.objects.filter(until__gt=now).values_list("rule_id", "subject", "service_id"))


def _silenced(silences: SilenceKeys, *, rule: AlertRule, subject: str, service: AIService) -> bool:
    """Does a silence match (rule or any, pseudonym or any, service or any)? Eight set lookups, no query."""
    return any(
        (rule_id, who, service_id) in silences
        for rule_id in (None, rule.pk)
        for who in ("", subject)
        for service_id in (None, service.pk)
    )


class _ChannelsBySeverity:
    """:func:`channels_for` memoised per (rule, severity), the only alert fields it looks at: one lookup per pair
    in an evaluation instead of one per notification."""

    def __init__(self) -> None:
        self._cache: dict[tuple[int, str], list[Channel]] = {}

    def __call__(self, alert: Alert) -> list[Channel]:
        key = (alert.rule_id, alert.severity)
        if key not in self._cache:
            self._cache[key] = channels_for(alert=alert)
        return self._cache[key]


#: alert fields an evaluation may change on an existing alert (never status, assignee or triage fields)
_EVALUATED_FIELDS = [
    "count",
    "first_seen",
    "last_seen",
    "details",
    "severity",
    "summary",
    "silenced",
    "updated_at",
    "notifications",
    "notified_at",
    "notified_severity",
    "notified_last_seen",
]
#: attempts at a batch that lost an insert race to a concurrent evaluation (the retry finds the winner's rows)
_RACE_ATTEMPTS = 3


def _evaluated_values(alert: Alert) -> tuple[Any, ...]:
    return tuple(getattr(alert, name) for name in _EVALUATED_FIELDS)


def _snapshot(alert: Alert, *, reason: str | None = None) -> Alert:
    """A detached copy of ``alert``'s current field values, for its history row."""
    copy = Alert(**{f.attname: getattr(alert, f.attname) for f in Alert._meta.concrete_fields})
    if reason:
        history_stamp(copy, actor=None, reason=reason)
    return copy


@dataclass(slots=True)
class _Writes:
    """What recording one batch of findings writes, collected in memory and then written in bulk."""

    new: list[Alert] = field(default_factory=list)
    changed: list[Alert] = field(default_factory=list)  # existing alerts whose evaluated fields changed
    created: list[tuple[Alert, Alert]] = field(default_factory=list)  # (alert, snapshot at creation)
    history: list[tuple[Alert, Alert]] = field(default_factory=list)  # (alert, snapshot after the change)
    raised: list[tuple[Alert, dict[str, Any]]] = field(default_factory=list)  # audit "alert raised"
    deliveries: list[Delivery] = field(default_factory=list)


def alert_record(*, rule: AlertRule, finding: Finding, service: AIService, now: datetime) -> RecordResult:
    """Record one finding (see :func:`alerts_record`, which evaluations use for all of theirs at once)."""
    return alerts_record(items=[RecordItem(rule, finding, service)], now=now)[0]


def alerts_record(
    *,
    items: Sequence[RecordItem],
    now: datetime,
    silences: SilenceKeys | None = None,
    channels: Callable[[Alert], list[Channel]] | None = None,
) -> list[RecordResult]:
    """Create or update the alerts of ``items``' (fingerprint, window)s in one transaction; notify each when it
    opens, when its severity rises, or when it keeps firing after its rule's repeat interval. Findings of one alert
    are folded in order, each exactly as a separate call would (counts are totals, not increments, so evaluating
    the same traffic twice changes nothing).

    A few queries whatever the number of findings: the existing alerts are read (and locked) at once; new alerts,
    their history and audit-log rows, changed alerts and deliveries are written in bulk. The unique constraint on
    (fingerprint, window) decides races: a batch that loses an insert to a concurrent evaluation is rolled back to
    its savepoint and recorded again over the winner's rows. Returns one result per item, in order."""
    silences = _active_silences(now=now) if silences is None else silences
    channels = channels or _ChannelsBySeverity()
    for attempt in range(1, _RACE_ATTEMPTS + 1):
        try:
            with transaction.atomic():
                return _alerts_record_once(items, now=now, silences=silences, channels=channels)
        except IntegrityError:
            if attempt == _RACE_ATTEMPTS:
                raise
            logger.info("alert batch lost an insert race (attempt %s); recording it again", attempt)
    raise AssertionError("unreachable")


def _alerts_record_once(
    items: Sequence[RecordItem],
    *,
    now: datetime,
    silences: SilenceKeys,
    channels: Callable[[Alert], list[Channel]],
) -> list[RecordResult]:
    keyed = [(fingerprint(i.rule.key, i.finding.subject, i.finding.service), i) for i in items]
    alerts: dict[tuple[str, datetime], Alert] = {}
    if keyed:
        for alert in (
            Alert.objects.select_for_update()
            .filter(
                fingerprint__in={fp for fp, _ in keyed}, window_start__in={i.finding.window_start for _, i in keyed}
            )
            .order_by("pk")  # one lock order for every evaluation: no deadlock between two of them
        ):
            alerts[(alert.fingerprint, alert.window_start)] = alert
    loaded = {alert.pk: _evaluated_values(alert) for alert in alerts.values()}
    writes = _Writes()
    outcomes: list[tuple[Alert, bool, list[Delivery] | None]] = []
    for fp, item in keyed:
        key = (fp, item.finding.window_start)
        existing = alerts.get(key)
        created = existing is None
        if existing is None:
            alert = alerts[key] = _alert_new(fp, item, silences=silences, writes=writes)
        else:
            alert = existing
            _alert_merge(alert, item, silences=silences, writes=writes)
        deliveries = _notify_if_due(alert=alert, rule=item.rule, now=now, channels=channels)
        if deliveries is not None:
            writes.deliveries.extend(deliveries)
        outcomes.append((alert, created, deliveries))
    # only alerts that end up different are written: a re-run over the same traffic writes nothing
    writes.changed = [a for a in alerts.values() if a.pk in loaded and _evaluated_values(a) != loaded[a.pk]]
    _alerts_write(writes)
    ids = [d.pk for d in writes.deliveries]
    if ids:
        transaction.on_commit(lambda: _enqueue_deliveries(ids))
    return [
        RecordResult(alert, created, deliveries is not None, [d.pk for d in deliveries or []])
        for alert, created, deliveries in outcomes
    ]


def _alert_new(fp: str, item: RecordItem, *, silences: SilenceKeys, writes: _Writes) -> Alert:
    """A new alert for ``item`` (inserted with the batch), with its creation history and audit-log entry."""
    finding, rule = item.finding, item.rule
    silenced = _silenced(silences, rule=rule, subject=finding.subject, service=item.service)
    stamp = timezone.now()
    alert = Alert(
        fingerprint=fp,
        window_start=finding.window_start,
        rule=rule,
        subject=finding.subject,
        subject_kind=finding.subject_kind,
        service=item.service,
        severity=finding.severity,
        summary=finding.summary[:500],
        details=finding.details,
        count=finding.count,
        first_seen=finding.first_seen,
        last_seen=finding.last_seen,
        silenced=silenced,
        created_at=stamp,
        updated_at=stamp,
    )
    writes.new.append(alert)
    writes.created.append((alert, _snapshot(alert)))
    writes.raised.append(
        (alert, {"rule": rule.key, "severity": alert.severity, "fingerprint": fp, "silenced": silenced})
    )
    return alert


def _alert_merge(alert: Alert, item: RecordItem, *, silences: SilenceKeys, writes: _Writes) -> None:
    """Fold ``item`` into an alert of the same (fingerprint, window): totals, time span and details always; a
    history row when its severity rises or a silence starts or ends."""
    finding = item.finding
    silenced = _silenced(silences, rule=item.rule, subject=finding.subject, service=item.service)
    raised = SEVERITY_RANK[finding.severity] > SEVERITY_RANK[alert.severity]
    counts = {
        "count": max(alert.count, finding.count),
        "first_seen": min(alert.first_seen, finding.first_seen),
        "last_seen": max(alert.last_seen, finding.last_seen),
        "details": {**alert.details, **finding.details},
    }
    for name, value in counts.items():
        setattr(alert, name, value)
    if raised or silenced != alert.silenced:
        if raised:
            alert.severity = finding.severity
            alert.summary = finding.summary[:500]
        alert.silenced = silenced
        alert.updated_at = timezone.now()
        writes.history.append((alert, _snapshot(alert, reason="severity increased" if raised else "silence changed")))


def _alerts_write(writes: _Writes) -> None:
    """Write a batch's alerts, their history and audit trail and the deliveries: a handful of bulk statements."""
    if writes.new:
        Alert.objects.bulk_create(writes.new)
        for alert, snapshot in writes.created:
            snapshot.pk, snapshot.created_at, snapshot.updated_at = alert.pk, alert.created_at, alert.created_at
        Alert.history.bulk_history_create([s for _, s in writes.created], default_change_reason=None)
    if writes.history:
        for alert, snapshot in writes.history:
            snapshot.pk, snapshot.created_at = alert.pk, alert.created_at
        Alert.history.bulk_history_create([s for _, s in writes.history], update=True)
    if writes.raised:
        audit_log_record_many(event_type=events.ALERT_RAISED, actor=None, events=writes.raised)
    if writes.changed:
        Alert.objects.bulk_update(writes.changed, _EVALUATED_FIELDS)
    if writes.deliveries:
        Delivery.objects.bulk_create(writes.deliveries)


def _notify_if_due(
    *, alert: Alert, rule: AlertRule, now: datetime, channels: Callable[[Alert], list[Channel]]
) -> list[Delivery] | None:
    """Decide whether ``alert`` is notified now. If so, advance its notification fields (in memory: the caller
    writes them) and return one unsaved delivery per matching channel; None when it stays quiet."""
    if alert.status not in ACTIVE_STATUSES or alert.silenced:
        return None
    news = alert.notified_last_seen is None or alert.last_seen > alert.notified_last_seen
    raised = bool(alert.notified_severity) and SEVERITY_RANK[alert.severity] > SEVERITY_RANK[alert.notified_severity]
    if alert.notified_at is not None and not (news or raised):
        return None
    if not should_notify(
        notified_at=alert.notified_at,
        notified_severity=alert.notified_severity,
        severity=alert.severity,
        now=now,
        repeat_interval=timedelta(hours=rule.repeat_interval_hours),
    ):
        return None
    number = alert.notifications + 1
    alert.notifications, alert.notified_at = number, now
    alert.notified_severity, alert.notified_last_seen = alert.severity, alert.last_seen
    return [
        Delivery(alert=alert, channel=channel, notification=number, next_attempt_at=now) for channel in channels(alert)
    ]


def channels_for(*, alert: Alert) -> list[Channel]:
    """Enabled channels subscribed to shadow-AI alerts whose minimum severity and rule filter let ``alert`` through."""
    wanted = []
    for channel in channels_for_topic(topic=ChannelTopic.SHADOW_AI_ALERT, severity=alert.severity):
        rule_ids = {r.pk for r in channel.rules.all()}
        if not rule_ids or alert.rule_id in rule_ids:
            wanted.append(channel)
    return wanted


def _enqueue_deliveries(ids: Iterable[int]) -> None:
    from discovery.tasks import send_alert_delivery_task  # tasks import services: avoid the cycle

    for delivery_id in ids:
        send_alert_delivery_task.delay(delivery_id)


def alerts_evaluate_after_batch(*, batch_id: int) -> None:
    """Called when an ingestion batch is finalised (inside its transaction): evaluate the alert rules for the
    batch's days on the ``alerts`` queue once the batch has committed. Ingestion never waits for alerting."""

    def enqueue() -> None:
        from discovery.tasks import evaluate_alert_rules_task

        evaluate_alert_rules_task.delay(batch_id)

    transaction.on_commit(enqueue)


def alert_rules_evaluate_for_batch(*, batch_id: int) -> EvaluationOutcome | None:
    """Evaluate the rules over the days a finished batch covered (None when the batch is gone or has no span)."""
    from discovery.models import LogBatch

    batch = LogBatch.objects.filter(pk=batch_id).first()
    if batch is None or batch.first_seen is None or batch.last_seen is None:
        return None
    return alert_rules_evaluate(since=batch.first_seen.date(), until=max(batch.last_seen.date(), timezone.now().date()))


# --- delivery outbox -----------------------------------------------------------------------------------------------


def alert_payload(alert: Alert) -> AlertPayload:
    """What channels receive: pseudonym, never an identity."""
    return AlertPayload(
        alert_id=str(alert.uuid),
        fingerprint=alert.fingerprint,
        rule_id=alert.rule.key,
        rule_name=alert.rule.name,
        rule_kind=alert.rule.kind,
        severity=alert.severity,
        status=alert.status,
        subject=alert.subject,
        subject_kind=alert.subject_kind,
        service_slug=alert.service.slug,
        service_name=alert.service.name,
        domain=_service_domain(alert.service),
        count=alert.count,
        first_seen=alert.first_seen,
        last_seen=alert.last_seen,
        summary=alert.summary,
        link=settings.SITE_URL.rstrip("/") + alert_admin_path(alert),
        details=alert.details,
    )


def channels_for_topic(*, topic: str, severity: str) -> list[Channel]:
    """Enabled channels subscribed to ``topic`` whose minimum severity lets ``severity`` through (the rule filter
    is for shadow-AI alerts only)."""
    return [
        channel
        for channel in Channel.objects.filter(enabled=True).order_by("pk").prefetch_related("rules")
        if topic in channel.topics and SEVERITY_RANK[severity] >= SEVERITY_RANK[channel.min_severity]
    ]


@transaction.atomic
def audit_finding_notify(
    *, payload: AuditFindingPayload, target: models.Model | None = None, now: datetime | None = None
) -> list[int]:
    """Queue a fairness-audit finding (EU AI Act Art. 10 bias examination failing or not run) on every enabled
    channel subscribed to audit findings: one outbox row per channel, written in the caller's transaction, sent by
    the alerts queue after commit with the same retries and dead letters as alerts.

    Idempotent per event: the rows are unique on (channel, ``payload.event_id``), so calling it again for the same
    event (a redelivered task, a re-run) creates nothing. ``target`` (the finding) is linked for the admin and the
    audit trail. Returns the ids of the rows created."""
    now = now or timezone.now()
    target_type = ContentType.objects.get_for_model(target) if target is not None else None
    snapshot = payload.to_dict()
    ids: list[int] = []
    names: list[str] = []
    for channel in channels_for_topic(topic=ChannelTopic.AUDIT_FINDING, severity=payload.severity):
        delivery, made = Delivery.objects.get_or_create(
            channel=channel,
            event_key=payload.event_id,
            alert=None,
            defaults={
                "topic": ChannelTopic.AUDIT_FINDING,
                "payload": snapshot,
                "target_content_type": target_type,
                "target_object_id": str(target.pk) if target is not None else "",
                "next_attempt_at": now,
            },
        )
        if made:
            ids.append(delivery.pk)
            names.append(channel.name)
    if ids:
        audit_log_record(
            event_type=events.AUDIT_FINDING_QUEUED,
            actor=None,
            target=target,
            extra_data={
                "event": payload.event_id,
                "severity": payload.severity,
                "channels": names,
            },
        )
        transaction.on_commit(lambda: _enqueue_deliveries(ids))
    return ids


def delivery_payload(delivery: Delivery) -> Payload:
    """The message of a delivery: an alert's is built from the alert now (latest counts); any other event's is
    the snapshot stored when it happened. A snapshot that cannot be read never will be: a permanent error."""
    if delivery.alert is not None:
        return alert_payload(delivery.alert)
    if delivery.topic == ChannelTopic.AUDIT_FINDING:
        try:
            return AuditFindingPayload.from_dict(delivery.payload)
        except (KeyError, TypeError, ValueError) as exc:
            raise NotifierError(f"unreadable event snapshot: {type(exc).__name__}: {exc}", permanent=True) from exc
    raise NotifierError(f"unknown delivery topic {delivery.topic!r}", permanent=True)


def _delivery_target(delivery: Delivery) -> models.Model | None:
    """What a delivery is about, for the audit trail: its alert, or the linked object of another event."""
    if delivery.alert_id is not None:
        return delivery.alert
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
    delivery = Delivery.objects.select_related("alert__rule", "alert__service", "channel").get(pk=delivery_id)
    try:
        if not delivery.channel.enabled:
            raise NotifierError("channel disabled", permanent=True)
        notifier_for(delivery.channel.kind, delivery.channel.config).send(delivery_payload(delivery).to_message())
    except NotifierError as exc:
        return _delivery_failed(delivery, error=exc.message, permanent=exc.permanent, retry_after=exc.retry_after)
    except Exception as exc:  # a bug in a notifier (or a bad snapshot) must not leave the row stuck in "sending"
        logger.exception("delivery %s failed unexpectedly", delivery_id)
        return _delivery_failed(delivery, error=f"{type(exc).__name__}: {exc}", permanent=False, retry_after=None)
    Delivery.objects.filter(pk=delivery_id).update(
        status=DeliveryStatus.SENT, sent_at=timezone.now(), last_error="", claimed_at=None
    )
    return SendOutcome("sent")


@transaction.atomic
def _delivery_failed(delivery: Delivery, *, error: str, permanent: bool, retry_after: float | None) -> SendOutcome:
    attempts = delivery.attempts
    if permanent or attempts >= MAX_ATTEMPTS:
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.DEAD, last_error=error[:2000], claimed_at=None
        )
        audit_log_record(
            event_type=events.ALERT_DELIVERY_DEAD_LETTERED,
            actor=None,
            target=_delivery_target(delivery),
            extra_data={
                "delivery": delivery.pk,
                "topic": delivery.topic,
                "channel": delivery.channel.name,
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
        event_type=events.ALERT_DELIVERY_RESENT,
        actor=actor,
        target=_delivery_target(delivery),
        reason=reason,
        extra_data={
            "delivery": delivery.pk,
            "topic": delivery.topic,
            "channel": delivery.channel.name,
            "before": before,
        },
    )
    transaction.on_commit(lambda: _enqueue_deliveries([delivery.pk]))
    delivery.refresh_from_db()
    return delivery


# --- triage --------------------------------------------------------------------------------------------------------


@transaction.atomic
def alert_transition(*, alert: Alert, to: str, actor: Any, reason: str = "") -> Alert:
    """Move an alert through the declared triage table (``ALERT_TRANSITIONS``); history and audit log record it."""
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    before = alert.status
    if to not in ALERT_TRANSITIONS.get(before, frozenset()):
        raise InvalidTransition(
            f"an alert cannot go from {before} to {to}",
            extra={"allowed": sorted(ALERT_TRANSITIONS.get(before, frozenset()))},
        )
    data: dict[str, Any] = {"status": to}
    data["resolved_at"] = timezone.now() if to in (AlertStatus.RESOLVED, AlertStatus.FALSE_POSITIVE) else None
    model_update(alert, actor=actor, reason=reason or f"{before} -> {to}", data=data)
    audit_log_record(
        event_type=events.ALERT_TRANSITIONED,
        actor=actor,
        target=alert,
        reason=reason,
        extra_data={"before": before, "after": to},
    )
    return alert


@transaction.atomic
def alert_assign(*, alert: Alert, assignee: Any, actor: Any, reason: str = "") -> Alert:
    """Give an alert to an analyst (None: unassign). Only users who may change alerts can be assignees."""
    if assignee is not None and not assignee.has_perm("discovery.change_alert"):
        raise ValidationFailed(f"{assignee} cannot triage alerts")
    before = alert.assignee_id
    model_update(alert, actor=actor, reason=reason or "assigned", data={"assignee": assignee})
    audit_log_record(
        event_type=events.ALERT_ASSIGNED,
        actor=actor,
        target=alert,
        reason=reason,
        extra_data={"before": before, "after": getattr(assignee, "pk", None)},
    )
    return alert


@transaction.atomic
def alert_comment_add(*, alert: Alert, body: str, actor: Any) -> AlertComment:
    """Append a triage note (comments are never edited)."""
    if not body.strip():
        raise ValidationFailed("a comment needs text")
    comment = AlertComment.objects.create(
        alert=alert, author=actor if actor and actor.is_authenticated else None, body=body
    )
    audit_log_record(event_type=events.ALERT_COMMENTED, actor=actor, target=alert, extra_data={"comment": comment.pk})
    return comment


@dataclass(slots=True)
class BulkOutcome:
    changed: list[int] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)


def alerts_bulk_transition(*, alerts: Sequence[Alert], to: str, actor: Any, reason: str = "") -> BulkOutcome:
    """Apply one transition to many alerts; each is its own transaction, refused ones are reported, not fatal."""
    outcome = BulkOutcome()
    for alert in alerts:
        try:
            alert_transition(alert=alert, to=to, actor=actor, reason=reason)
        except InvalidTransition as exc:
            outcome.skipped[alert.pk] = exc.message
        else:
            outcome.changed.append(alert.pk)
    return outcome


# --- silences and rules ----------------------------------------------------------------------------------------


@transaction.atomic
def silence_create(*, actor: Any, reason: str = "", data: dict[str, Any]) -> Silence:
    """Mute a rule, a pseudonymous user and/or a service until a date."""
    silence = model_create(Silence, actor=actor, reason=reason or "silence created", data={**data, "created_by": actor})
    audit_log_record(
        event_type=events.SILENCE_CREATED,
        actor=actor,
        target=silence,
        reason=reason,
        extra_data={"until": silence.until.isoformat()},
    )
    return silence


# --- from shadow to governed --------------------------------------------------------------------------------------


def _usage_summary(service: AIService, *, days: int = 30) -> dict[str, Any]:
    since = timezone.now().date() - timedelta(days=days)
    qs = UsageRecord.objects.filter(service=service, day__gte=since)
    totals = qs.aggregate(requests=Sum("requests"), bytes_up=Sum("bytes_up"))
    departments = sorted({d for d in qs.values_list("department", flat=True).distinct() if d})
    users = qs.values("subject").distinct().count()
    return {
        "days": days,
        "users": users,
        "requests": totals["requests"] or 0,
        "bytes_up": totals["bytes_up"] or 0,
        "departments": departments,
    }


@transaction.atomic
def ai_service_promote(
    *, service: AIService, actor: Any, reason: str = "", alert: Alert | None = None
) -> ServicePromotion:
    """Register a discovered service as a draft AI system in the governance registry (through its
    ``ai_system_register`` service), so a compliance officer can classify it under the EU AI Act (Art. 26 deployer
    duties presuppose knowing the systems in use) and decide whether it is sanctioned. Needs
    ``governance.add_aisystem``: security analysts cannot write the registry."""
    from governance.services import ai_system_register

    if actor is None or not actor.has_perm("governance.add_aisystem"):
        raise PermissionDenied("promoting into the registry requires governance.add_aisystem")
    existing = ServicePromotion.objects.filter(service=service).select_related("system").first()
    if existing is not None:
        raise Conflict(f"{service} is already in the registry as {existing.system}")
    usage = _usage_summary(service)
    name = f"{service.name} (discovered)"
    purpose = (
        f"Public generative-AI service {service.name} by {service.vendor}, found in network logs (shadow AI). "
        f"Last {usage['days']} days: {usage['users']} pseudonymous users, {usage['requests']} requests, "
        f"{usage['bytes_up'] / 1_048_576:.1f} MB uploaded"
        + (f", departments: {', '.join(usage['departments'])}" if usage["departments"] else "")
        + f". Discovery risk score {service.risk_score}/10; current policy {service.policy}. "
        "Describe the intended purpose, then classify and decide sanctioned or not."
    )
    system = ai_system_register(
        actor=actor,
        reason=reason or "promoted from shadow-AI discovery",
        data={
            "name": name,
            "purpose": purpose,
            "vendor": service.vendor[:200],
            "sourcing": "third_party",
            "deployment": "cloud",
            "business_unit": ", ".join(usage["departments"])[:120],
        },
    )
    promotion = model_create(
        ServicePromotion,
        actor=actor,
        reason=reason or "promoted",
        data={"service": service, "system": system, "alert": alert, "promoted_by": actor, "synced_stage": ""},
    )
    audit_log_record(
        event_type=events.AI_SERVICE_PROMOTED,
        actor=actor,
        target=service,
        reason=reason,
        extra_data={"system": system.pk, "alert": getattr(alert, "pk", None), "usage": usage},
    )
    return promotion


def promotions_sync_policy() -> list[tuple[str, str]]:
    """Let the registry decision flow back: a promoted service's discovery policy follows its AI system's stage
    (pilot -> tolerated, approved/production -> sanctioned, suspended/retired -> unsanctioned). Returns the changes."""
    from discovery.services import ai_service_policy_update

    changes: list[tuple[str, str]] = []
    for promotion in ServicePromotion.objects.select_related("service", "system"):
        stage = promotion.system.lifecycle_stage
        if stage == promotion.synced_stage:
            continue
        policy = STAGE_POLICY.get(stage)
        with transaction.atomic():
            if policy is not None and promotion.service.policy != policy:
                ai_service_policy_update(
                    service=promotion.service,
                    policy=policy,
                    actor=None,
                    reason=f"registry: {promotion.system} is {stage}",
                    note=f"Follows AI system #{promotion.system.pk} ({stage}) in the governance registry.",
                )
                changes.append((promotion.service.slug, policy))
            ServicePromotion.objects.filter(pk=promotion.pk).update(synced_stage=stage)
    return changes


@transaction.atomic
def alert_rule_create(*, actor: Any, reason: str = "", data: dict[str, Any]) -> AlertRule:
    """Add a detection rule (admin-editable thresholds in ``params``)."""
    return model_create(AlertRule, actor=actor, reason=reason or "rule created", data=data)


@transaction.atomic
def alert_rule_update(*, rule: AlertRule, actor: Any, reason: str = "", data: dict[str, Any]) -> AlertRule:
    """Change a rule (enable/disable, severity, thresholds); history keeps before/after."""
    return model_update(rule, actor=actor, reason=reason, data=data)


@transaction.atomic
def alert_rule_delete(*, rule: AlertRule, actor: Any, reason: str = "") -> None:
    """Delete a rule that never fired (alerts protect their rule: disable it instead)."""

    model_delete(rule, actor=actor, reason=reason)


@transaction.atomic
def channel_create(*, actor: Any, reason: str = "", data: dict[str, Any]) -> Channel:
    """Add a delivery channel; its config is validated by the channel kind's notifier."""
    rules = data.pop("rules", None)
    channel = model_create(Channel, actor=actor, reason=reason or "channel created", data=data)
    if rules is not None:
        channel.rules.set(rules)
    return channel


@transaction.atomic
def channel_update(*, channel: Channel, actor: Any, reason: str = "", data: dict[str, Any]) -> Channel:
    """Change a channel. Its secrets are write-only: a secret left out of ``config``, blank or still masked keeps
    the stored value; ``None`` removes it (:func:`discovery.channel_secrets.config_merge_secrets`)."""
    rules = data.pop("rules", None)
    if "config" in data:
        stored = Channel.objects.only("config").get(pk=channel.pk).config
        data["config"] = config_merge_secrets(data.get("kind") or channel.kind, stored, data["config"])
    model_update(channel, actor=actor, reason=reason, data=data)
    if rules is not None:
        channel.rules.set(rules)
    return channel


@transaction.atomic
def channel_delete(*, channel: Channel, actor: Any, reason: str = "") -> None:

    model_delete(channel, actor=actor, reason=reason)


@transaction.atomic
def silence_update(*, silence: Silence, actor: Any, reason: str = "", data: dict[str, Any]) -> Silence:
    """Change a silence (e.g. end it early by moving ``until``)."""
    return model_update(silence, actor=actor, reason=reason, data=data)


@transaction.atomic
def silence_delete(*, silence: Silence, actor: Any, reason: str = "") -> None:

    model_delete(silence, actor=actor, reason=reason)
