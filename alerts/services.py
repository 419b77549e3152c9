"""Writes for shadow-AI alerts: rule evaluation into deduplicated alerts, their notifications (through the
``notifications`` outbox), triage, silences and rules.

Every state change runs in a transaction and leaves an audit trail (simple-history rows for field changes, the
audit log for events). Network sends never happen inside a transaction: the outbox sends after commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, CharField, F, Max, Min, Sum, Value, When
from django.utils import timezone

from alerts import events
from alerts.choices import ACTIVE_STATUSES, ALERT_TRANSITIONS, SEVERITY_RANK, AlertStatus
from alerts.models import Alert, AlertComment, AlertRule, Silence, alert_admin_path
from alerts.payloads import AlertPayload, alert_title
from alerts.rules import RuleKind, RuleSpec, ServiceInfo, UsageDay, evaluate, fingerprint, should_notify
from alerts.rules.dedup import window_start
from alerts.rules.rules import Finding
from core.exceptions import InvalidTransition, ValidationFailed
from core.services import (
    audit_log_record,
    audit_log_record_many,
    history_stamp,
    model_create,
    model_delete_audited,
    model_update,
    model_update_audited,
)
from discovery.choices import RuleType
from discovery.models import AIService, LogBatch, Pseudonym, UsageRecord
from discovery.selectors import pseudonym_aliases
from notifications.models import Channel, Delivery
from notifications.notifiers.message import Message
from notifications.services import channels_for_topic, deliveries_build, deliveries_insert

#: the notification topic of shadow-AI alerts (registered by ``AlertsConfig.ready``)
TOPIC = "shadow_ai_alert"

logger = logging.getLogger(__name__)

#: days evaluated by the beat run (today and the two days before: late log uploads still raise alerts)
BEAT_LOOKBACK_DAYS = 2
#: alerts (fingerprint, window) recorded per transaction by an evaluation: a few bulk statements each, short row
#: locks, and a crash loses at most one batch (the redelivered task records it again)
EVALUATION_BATCH = 2000
#: pseudonyms per first-use query (below SQLite's 32,766 bound parameters, together with the service slugs)
FIRST_USE_SUBJECTS_PER_QUERY = 10_000


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


def _usage_days(*, day_from: date, day_to: date, versions: dict[str, int] | None = None) -> list[UsageDay]:
    """Usage per (subject, service, day, policy), the chunk rows summed; ``versions`` is filled with each subject's
    pseudonym key version."""
    rows = list(
        UsageRecord.objects.filter(day__gte=day_from, day__lte=day_to)
        .values("subject", "subject_kind", "key_version", "service__slug", "day", "policy_status")
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
    if versions is not None:
        versions.update((r["subject"], r["key_version"]) for r in rows)
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


def _usage_days_renamed(rows: list[UsageDay], aliases: dict[str, tuple[str, int]]) -> list[UsageDay]:
    """``rows`` with every subject a key rotation gave two names under the one its history has
    (:func:`discovery.selectors.pseudonym_aliases`), the rows of one (subject, service, day, policy) summed."""
    merged: dict[tuple[str, str, str, date, str], UsageDay] = {}
    for row in rows:
        subject = aliases[row.subject][0] if row.subject in aliases else row.subject
        key = (subject, row.subject_kind, row.service, row.day, row.policy)
        seen = merged.get(key)
        if seen is None:
            merged[key] = replace(row, subject=subject)
            continue
        largest = [v for v in (seen.max_request_bytes, row.max_request_bytes) if v is not None]
        merged[key] = replace(
            seen,
            requests=seen.requests + row.requests,
            bytes_up=seen.bytes_up + row.bytes_up,
            upload_requests=seen.upload_requests + row.upload_requests,
            first_seen=min(seen.first_seen, row.first_seen),
            last_seen=max(seen.last_seen, row.last_seen),
            max_request_bytes=max(largest) if largest else None,
        )
    return list(merged.values())


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
    versions: dict[str, int] = {}
    rows = _usage_days(day_from=load_from, day_to=until, versions=versions)
    # during a key rotation one person may have two pseudonyms: evaluate them as the one their history has, so
    # first use and baselines do not start again and their alerts keep their fingerprint
    aliases = pseudonym_aliases(subjects=versions)
    if aliases:
        rows = _usage_days_renamed(rows, aliases)
        versions.update(aliases.values())
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
        subjects = {r.subject for r in current}
        names = sorted(subjects | {name for name, (canonical, _v) in aliases.items() if canonical in subjects})
        for start in range(0, len(names), FIRST_USE_SUBJECTS_PER_QUERY):
            for row in (
                UsageRecord.objects.filter(
                    service__slug__in=slugs, subject__in=names[start : start + FIRST_USE_SUBJECTS_PER_QUERY]
                )
                .values("subject", "service__slug")
                .annotate(first=Min("day"))
                .order_by()
            ):
                subject = aliases[row["subject"]][0] if row["subject"] in aliases else row["subject"]
                pair = (subject, row["service__slug"])
                first_user[pair] = min(row["first"], first_user.get(pair, row["first"]))
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
            item = RecordItem(rule, finding, services[finding.service], versions.get(finding.subject))
            pending.setdefault(key, []).append(item)
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
    subject_key_version: int | None = None


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
    notify: list[tuple[Alert, int, list[Channel]]] = field(default_factory=list)  # (alert, notification, channels)
    deliveries: dict[int, list[int]] = field(default_factory=dict)  # index in ``notify`` -> delivery ids, once written


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
    outcomes: list[tuple[Alert, bool, int | None]] = []  # (alert, created, index of its notification in ``notify``)
    for fp, item in keyed:
        key = (fp, item.finding.window_start)
        existing = alerts.get(key)
        created = existing is None
        if existing is None:
            alert = alerts[key] = _alert_new(fp, item, silences=silences, writes=writes)
        else:
            alert = existing
            _alert_merge(alert, item, silences=silences, writes=writes)
        due = _notify_if_due(alert=alert, rule=item.rule, now=now, channels=channels)
        if due is not None:
            writes.notify.append((alert, alert.notifications, due))
        outcomes.append((alert, created, len(writes.notify) - 1 if due is not None else None))
    # only alerts that end up different are written: a re-run over the same traffic writes nothing
    writes.changed = [a for a in alerts.values() if a.pk in loaded and _evaluated_values(a) != loaded[a.pk]]
    _alerts_write(writes, now=now)
    return [
        RecordResult(alert, created, index is not None, writes.deliveries.get(index, []) if index is not None else [])
        for alert, created, index in outcomes
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
        subject_key_version=item.subject_key_version if finding.subject else None,
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


def _alerts_write(writes: _Writes, *, now: datetime) -> None:
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
    if writes.notify:
        rows: list[Delivery] = []
        owners: list[int] = []
        for index, (alert, number, wanted) in enumerate(writes.notify):
            built = deliveries_build(
                topic=TOPIC,
                event_key=alert_event_key(alert, number),
                message=None,  # rebuilt from the alert when sent (alert_delivery_message): only its title now
                title=alert_title(alert.rule.name, alert.service.name),
                channels=wanted,
                target=alert,
                now=now,
            )
            rows.extend(built)
            owners.extend([index] * len(built))
        for owner, delivery_id in zip(owners, deliveries_insert(rows), strict=True):
            writes.deliveries.setdefault(owner, []).append(delivery_id)


def _notify_if_due(
    *, alert: Alert, rule: AlertRule, now: datetime, channels: Callable[[Alert], list[Channel]]
) -> list[Channel] | None:
    """Decide whether ``alert`` is notified now. If so, advance its notification fields (in memory: the caller
    writes them) and return the channels it goes to; None when it stays quiet."""
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
    return channels(alert)


def channels_for(*, alert: Alert) -> list[Channel]:
    """Enabled channels subscribed to shadow-AI alerts at or below the alert's severity; when its rule names
    channels, only those."""
    wanted = channels_for_topic(topic=TOPIC, severity=alert.severity)
    routed = {c.pk for c in alert.rule.channels.all()}
    return [c for c in wanted if c.pk in routed] if routed else wanted


def alert_event_key(alert: Alert, number: int) -> str:
    """The outbox identity of an alert's ``number``-th notification."""
    return f"alerts.alert.{alert.pk}.{number}"


def alerts_evaluate_after_batch(*, batch_id: int, **kwargs: Any) -> None:
    """Receiver of ``discovery.signals.log_batch_finished`` (sent once the batch has committed; connected by
    ``AlertsConfig.ready``): evaluate the alert rules for the batch's days on the ``alerts`` queue. Ingestion never
    waits for alerting, and does not know it exists."""
    from alerts.tasks import evaluate_alert_rules_task

    evaluate_alert_rules_task.delay(batch_id)


def alert_rules_evaluate_for_batch(*, batch_id: int) -> EvaluationOutcome | None:
    """Evaluate the rules over the days a finished batch covered (None when the batch is gone or has no span)."""
    batch = LogBatch.objects.filter(pk=batch_id).first()
    if batch is None or batch.first_seen is None or batch.last_seen is None:
        return None
    return alert_rules_evaluate(since=batch.first_seen.date(), until=max(batch.last_seen.date(), timezone.now().date()))


# --- notifications -------------------------------------------------------------------------------------------------


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


def alert_message(alert: Alert) -> Message:
    """The outbox message of an alert (its payload rendered for every channel)."""
    return alert_payload(alert).to_message()


def alert_delivery_message(delivery: Delivery) -> Message | None:
    """The ``refresh`` hook of the alert topic: an alert's message is rebuilt when sent, so it shows the latest
    counts; None when the alert is gone."""
    if not str(delivery.target_object_id or "").isdigit():
        return None
    alert = (
        Alert.objects.select_related("rule", "service")
        .prefetch_related("service__rules")
        .filter(pk=int(delivery.target_object_id))
        .first()
    )
    return alert_message(alert) if alert is not None else None


# --- triage --------------------------------------------------------------------------------------------------------


#: closing an alert says why (kept in its history and the audit log): what a reviewer of the triage asks first
REASON_REQUIRED = frozenset({AlertStatus.RESOLVED, AlertStatus.FALSE_POSITIVE})


def _require_reason(to: str, reason: str) -> None:
    if to in REASON_REQUIRED and not reason.strip():
        label = AlertStatus(to).label.lower()
        message = f"a reason is required to mark an alert {label} (what was done, or why it is not a risk)"
        raise ValidationFailed(message, extra={"reason": [message]})


@transaction.atomic
def alert_transition(*, alert: Alert, to: str, actor: Any, reason: str = "") -> Alert:
    """Move an alert through the declared triage table (``ALERT_TRANSITIONS``); history and audit log record it.
    Resolving or marking an alert false positive needs a ``reason`` (:data:`REASON_REQUIRED`)."""
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    before = alert.status
    if to not in ALERT_TRANSITIONS.get(before, frozenset()):
        raise InvalidTransition(
            f"an alert cannot go from {before} to {to}",
            extra={"allowed": sorted(ALERT_TRANSITIONS.get(before, frozenset()))},
        )
    _require_reason(to, reason)
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
    if assignee is not None and not assignee.has_perm("alerts.change_alert"):
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
    """Apply one transition to many alerts; each is its own transaction, refused ones are reported, not fatal.
    A transition that needs a reason (:data:`REASON_REQUIRED`) without one is refused for all."""
    _require_reason(to, reason)
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
    """Mute a rule, a pseudonymous user and/or a service until a date (the subject's key version recorded)."""
    subject = data.get("subject") or ""
    version = Pseudonym.objects.filter(pseudonym=subject).values_list("key_version", flat=True).first()
    silence = model_create(
        Silence,
        actor=actor,
        reason=reason or "silence created",
        data={**data, "created_by": actor, "subject_key_version": version if subject else None},
    )
    audit_log_record(
        event_type=events.SILENCE_CREATED,
        actor=actor,
        target=silence,
        reason=reason,
        extra_data={"until": silence.until.isoformat()},
    )
    return silence


@transaction.atomic
def alert_rule_create(*, actor: Any, reason: str = "", data: dict[str, Any]) -> AlertRule:
    """Add a detection rule (admin-editable thresholds in ``params``; ``channels`` routes its alerts)."""
    channels = data.pop("channels", None)
    rule = model_create(AlertRule, actor=actor, reason=reason or "rule created", data=data)
    if channels is not None:
        rule.channels.set(channels)
    audit_log_record(
        event_type=events.ALERT_RULE_CREATED,
        actor=actor,
        target=rule,
        reason=reason,
        extra_data={"channels": sorted(c.pk for c in rule.channels.all())},
    )
    return rule


@transaction.atomic
def alert_rule_update(*, rule: AlertRule, actor: Any, reason: str = "", data: dict[str, Any]) -> AlertRule:
    """Change a rule (enable/disable, severity, thresholds, channels); history keeps before/after."""
    channels = data.pop("channels", None)
    before = {field: getattr(rule, field) for field in data}
    routed = sorted(c.pk for c in rule.channels.all())
    model_update(rule, actor=actor, reason=reason, data=data)
    changed = [field for field in data if getattr(rule, field) != before[field]]
    if channels is not None:
        rule.channels.set(channels)
        if sorted(c.pk for c in rule.channels.all()) != routed:
            changed.append("channels")
    audit_log_record(
        event_type=events.ALERT_RULE_UPDATED,
        actor=actor,
        target=rule,
        reason=reason,
        extra_data={"fields": sorted(changed)},
    )
    return rule


@transaction.atomic
def alert_rule_delete(*, rule: AlertRule, actor: Any, reason: str = "") -> None:
    """Delete a rule that never fired (alerts protect their rule: disable it instead)."""
    model_delete_audited(rule, event_type=events.ALERT_RULE_DELETED, actor=actor, reason=reason)


@transaction.atomic
def silence_update(*, silence: Silence, actor: Any, reason: str = "", data: dict[str, Any]) -> Silence:
    """Change a silence (e.g. end it early by moving ``until``)."""
    return model_update_audited(silence, event_type=events.SILENCE_UPDATED, actor=actor, reason=reason, data=data)


@transaction.atomic
def silence_delete(*, silence: Silence, actor: Any, reason: str = "") -> None:
    """Delete a silence (its history keeps what it muted and until when)."""
    model_delete_audited(silence, event_type=events.SILENCE_DELETED, actor=actor, reason=reason)


# --- pseudonym key rotation ---------------------------------------------------------------------------------------


def _renamed(field_name: str, mapping: Mapping[str, str]) -> Case:
    """``CASE field WHEN old THEN new ... END`` for an UPDATE of the rows whose ``field`` is in ``mapping``."""
    return Case(
        *(When(**{field_name: old}, then=Value(new)) for old, new in mapping.items()),
        default=F(field_name),
        output_field=CharField(),
    )


def alert_subjects_rekey(*, mapping: Mapping[str, str], key_version: int) -> dict[str, int]:
    """Rename the pseudonyms of alerts and silences (and of their history rows) from ``mapping``'s old names to
    the new ones of ``key_version``: called by discovery's re-pseudonymisation inside its batch transaction
    (registered with ``discovery.signals.pseudonym_holder_register`` by ``AlertsConfig.ready``).

    An alert's fingerprint is derived from its subject, so it is derived again and the next evaluation under the
    new pseudonym updates the same alert. When an alert of the new fingerprint and window exists already (one
    raised under the new pseudonym before the rotation's link was known), the old alert keeps its old fingerprint:
    it is renamed but no longer updated, and neither alert is lost. This is a rename of the same person, not a
    change of the alert, so no history row is added (the existing ones are renamed with it)."""
    if not mapping:
        return {}
    alerts = list(
        Alert.objects.select_for_update()
        .filter(subject__in=list(mapping))
        .select_related("rule", "service")
        .order_by("pk")
    )
    fingerprints = {a.pk: fingerprint(a.rule.key, mapping[a.subject], a.service.slug) for a in alerts}
    taken = set(
        Alert.objects.filter(fingerprint__in=set(fingerprints.values())).values_list("fingerprint", "window_start")
    )
    refingerprinted: dict[str, str] = {}
    for alert in alerts:
        new_fingerprint = fingerprints[alert.pk]
        if (new_fingerprint, alert.window_start) not in taken:
            taken.add((new_fingerprint, alert.window_start))
            refingerprinted[alert.fingerprint] = new_fingerprint
            alert.fingerprint = new_fingerprint
        alert.subject, alert.subject_key_version = mapping[alert.subject], key_version
    Alert.objects.bulk_update(alerts, ["subject", "subject_key_version", "fingerprint"], batch_size=500)
    history = Alert.history.filter(subject__in=list(mapping))
    alert_history = history.update(
        subject=_renamed("subject", mapping),
        subject_key_version=key_version,
        **({"fingerprint": _renamed("fingerprint", refingerprinted)} if refingerprinted else {}),
    )
    silences = Silence.objects.filter(subject__in=list(mapping)).update(
        subject=_renamed("subject", mapping), subject_key_version=key_version
    )
    silence_history = Silence.history.filter(subject__in=list(mapping)).update(
        subject=_renamed("subject", mapping), subject_key_version=key_version
    )
    return {
        "alerts": len(alerts),
        "alert_history": alert_history,
        "silences": silences,
        "silence_history": silence_history,
    }


def alert_subjects_unconverted(*, key_version: int) -> dict[str, int]:
    """Alerts and silences whose pseudonym is still of another key version than ``key_version`` (their pseudonym
    row was purged, so the re-pseudonymisation had no identity to re-derive them from)."""
    return {
        "alerts": Alert.objects.exclude(subject="").exclude(subject_key_version=key_version).count(),
        "silences": Silence.objects.exclude(subject="").exclude(subject_key_version=key_version).count(),
    }
