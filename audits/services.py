"""Writes for fairness audits. Each service runs in one transaction and records actor and reason.

Run lifecycle (``audits.constants.AUDIT_RUN_TRANSITIONS``): a run is created PENDING for one schedule slot
(``audit_run_schedule``, get_or_create on the unique (definition, slot)) or on request (``audit_run_request``),
claimed by a conditional UPDATE (``audit_run_claim``, PENDING -> RUNNING), computed outside any transaction
(``audit_run_execute``) and closed as SUCCEEDED or FAILED with a message. A failed run can be retried
(``audit_run_retry``, FAILED -> PENDING). Execution is enqueued only after commit.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from audits import events
from audits.choices import FindingKind, FindingStatus, RunStatus, RunTrigger, RunVerdict
from audits.constants import CRON_SLOT_LOOKBACK_MINUTES, FINDING_NOTIFICATION_SEVERITY, STALE_RUN_MARGIN_SECONDS
from audits.metrics import UNKNOWN_LEVEL, ColumnMapping, FairnessResult, Task, thresholds_from_dict, worst_verdict
from audits.models import AuditDefinition, AuditRun, Finding
from audits.payloads import FINDING_TOPIC, AuditFindingPayload, MetricVerdictItem
from audits.sources import AuditInputError, LocalInput, fetch_input
from audits.validation import column_mapping, parse_cron
from core.exceptions import InvalidTransition
from core.roles import COMPLIANCE_OFFICER
from core.services import (
    audit_log_record,
    model_create,
    model_create_audited,
    model_delete_audited,
    model_update,
    model_update_audited,
)
from governance.selectors import obligation_list
from notifications.services import notification_queue

if TYPE_CHECKING:
    from audits.metrics import CompressedOutputs

logger = logging.getLogger(__name__)

SCHEDULE_TASK = "audits.tasks.schedule_audit_run_task"

#: Registry obligation id of EU AI Act Art. 10 (data governance, bias examination); governance.classification.law
ART_10_OBLIGATION_ID = "art-10"


# --- definitions ---------------------------------------------------------------------------------------------------


@transaction.atomic
def audit_definition_create(*, actor: Any, reason: str = "", data: dict[str, Any]) -> AuditDefinition:
    """Define a fairness audit for an AI system (Art. 10(2)(f)-(g) examination of possible biases) and its beat
    schedule."""
    definition = model_create_audited(
        AuditDefinition, event_type=events.AUDIT_DEFINITION_CREATED, actor=actor, reason=reason or "created", data=data
    )
    audit_definition_schedule_sync(definition=definition)
    return definition


@transaction.atomic
def audit_definition_update(
    *, definition: AuditDefinition, actor: Any, reason: str = "", data: dict[str, Any]
) -> AuditDefinition:
    """Change an audit definition; the history keeps before/after, and the beat schedule follows."""
    definition = model_update_audited(
        definition, event_type=events.AUDIT_DEFINITION_UPDATED, actor=actor, reason=reason or "updated", data=data
    )
    audit_definition_schedule_sync(definition=definition)
    return definition


@transaction.atomic
def audit_definition_delete(*, definition: AuditDefinition, actor: Any, reason: str = "") -> None:
    """Delete an audit definition (refused while runs exist: they are evidence); its history is kept."""
    task = definition.periodic_task
    model_delete_audited(
        definition, event_type=events.AUDIT_DEFINITION_DELETED, actor=actor, reason=reason or "deleted"
    )
    if task is not None:
        task.delete()


@transaction.atomic
def audit_definition_schedule_sync(*, definition: AuditDefinition) -> PeriodicTask | None:
    """Mirror the definition's cron/interval into the django-celery-beat ``PeriodicTask`` it owns.

    The definition is the source of truth (its history records every change of cadence); the PeriodicTask is what
    beat reads. No schedule removes the PeriodicTask. The beat task only creates the run for the slot; a duplicate
    tick finds the existing run (unique (definition, slot)).
    """
    task = definition.periodic_task
    if not definition.schedule_cron and not definition.schedule_interval_minutes:
        if task is not None:
            AuditDefinition.objects.filter(pk=definition.pk).update(periodic_task=None)
            definition.periodic_task = None
            task.delete()
        return None
    crontab_schedule: CrontabSchedule | None = None
    interval_schedule: IntervalSchedule | None = None
    if definition.schedule_cron:
        minute, hour, day_of_month, month_of_year, day_of_week = definition.schedule_cron.split()
        crontab_schedule, _ = CrontabSchedule.objects.get_or_create(
            minute=minute,
            hour=hour,
            day_of_month=day_of_month,
            month_of_year=month_of_year,
            day_of_week=day_of_week,
            timezone=settings.TIME_ZONE,
        )
        expires = 3600  # a tick still queued after an hour is dropped; the next slot will run
    else:
        minutes = int(definition.schedule_interval_minutes or 1)
        interval_schedule, _ = IntervalSchedule.objects.get_or_create(every=minutes, period=IntervalSchedule.MINUTES)
        expires = max(60, int(minutes * 60 * 1.5))
    values = {
        "name": f"Audit {definition.pk}: {definition.name}"[:200],
        "task": SCHEDULE_TASK,
        "args": json.dumps([definition.pk]),
        "crontab": crontab_schedule,
        "interval": interval_schedule,
        "enabled": definition.enabled,
        "queue": "audits",
        "expire_seconds": expires,
        "description": f"Fairness audit '{definition.name}' of {definition.ai_system}. Edit the schedule on the "
        "audit definition; changes here are overwritten on its next save.",
    }
    if task is None:
        task = PeriodicTask.objects.create(**values)
        AuditDefinition.objects.filter(pk=definition.pk).update(periodic_task=task)
        definition.periodic_task = task
    else:
        for key, value in values.items():
            setattr(task, key, value)
        task.save()
    return task


def schedule_slot(definition: AuditDefinition, now: datetime) -> datetime:
    """The schedule slot a beat tick at ``now`` belongs to, so repeated or late ticks map to the same run.

    Interval: ``now`` floored to a multiple of the interval since the epoch. Cron: the latest minute at or before
    ``now`` that matches the crontab (searched back up to a day). Otherwise the minute of ``now``.
    """
    if definition.schedule_interval_minutes:
        step = definition.schedule_interval_minutes * 60
        return datetime.fromtimestamp(math.floor(now.timestamp() / step) * step, tz=UTC)
    local = timezone.localtime(now).replace(second=0, microsecond=0)
    if definition.schedule_cron:
        cron = parse_cron(definition.schedule_cron)
        candidate = local
        for _ in range(CRON_SLOT_LOOKBACK_MINUTES):
            if (
                candidate.minute in cron.minute
                and candidate.hour in cron.hour
                and candidate.day in cron.day_of_month
                and candidate.month in cron.month_of_year
                and candidate.isoweekday() % 7 in cron.day_of_week
            ):
                return candidate
            candidate -= timedelta(minutes=1)
    return local


# --- runs: creation, claim, retry ----------------------------------------------------------------------------------


def _enqueue(run: AuditRun) -> None:
    from audits.tasks import execute_audit_run_task  # tasks import services; import here to avoid a cycle

    run_id = run.pk
    transaction.on_commit(lambda: execute_audit_run_task.delay(run_id))


@transaction.atomic
def audit_run_schedule(
    *,
    definition: AuditDefinition,
    now: datetime | None = None,
    slot: datetime | None = None,
    trigger: str = RunTrigger.SCHEDULE,
    enqueue: bool = True,
) -> tuple[AuditRun, bool]:
    """Create the run for a schedule slot unless it exists (unique (definition, slot): a duplicate beat tick is a
    no-op). Returns ``(run, created)``; a new run is enqueued after commit."""
    slot = slot or schedule_slot(definition, now or timezone.now())
    run, created = AuditRun.objects.get_or_create(
        definition=definition,
        slot=slot,
        defaults={"trigger": trigger, "model_version_id": definition.model_version_id},
    )
    if created:
        audit_log_record(
            event_type=events.AUDIT_RUN_SCHEDULED, actor=None, target=run, extra_data={"slot": slot.isoformat()}
        )
        if enqueue:
            _enqueue(run)
    return run, created


@transaction.atomic
def audit_run_request(
    *, definition: AuditDefinition, actor: Any, reason: str = "", trigger: str = RunTrigger.MANUAL, enqueue: bool = True
) -> AuditRun:
    """ "Run now": a new run for the current instant, enqueued after commit."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    run = AuditRun.objects.create(
        definition=definition,
        slot=timezone.now(),
        trigger=trigger,
        requested_by=user,
        model_version_id=definition.model_version_id,
    )
    audit_log_record(event_type=events.AUDIT_RUN_REQUESTED, actor=actor, target=run, reason=reason)
    if enqueue:
        _enqueue(run)
    return run


@transaction.atomic
def audit_run_retry(*, run: AuditRun, actor: Any, reason: str = "", enqueue: bool = True) -> AuditRun:
    """Send a failed run back to PENDING (FAILED -> PENDING) and enqueue it after commit."""
    updated = AuditRun.objects.filter(pk=run.pk, status=RunStatus.FAILED).update(
        status=RunStatus.PENDING, started_at=None, finished_at=None, updated_at=timezone.now()
    )
    if not updated:
        run.refresh_from_db(fields=["status"])
        raise InvalidTransition(f"Only failed runs can be retried; this run is {run.status}.")
    audit_log_record(
        event_type=events.AUDIT_RUN_RETRIED,
        actor=actor,
        target=run,
        reason=reason,
        extra_data={"previous_error": run.error},
    )
    if enqueue:
        _enqueue(run)
    run.refresh_from_db()
    return run


def audit_run_claim(*, run_id: int) -> bool:
    """Claim a run for execution by conditional UPDATE (PENDING -> RUNNING). Only one caller ever gets True."""
    now = timezone.now()
    claimed = AuditRun.objects.filter(pk=run_id, status=RunStatus.PENDING).update(
        status=RunStatus.RUNNING, started_at=now, attempts=F("attempts") + 1, updated_at=now
    )
    return claimed == 1


def audit_runs_fail_stale(*, now: datetime | None = None) -> int:
    """Fail runs stuck in RUNNING longer than the hard task time limit (the worker died mid-run; the redelivered
    task finds the run claimed and returns). Each becomes FAILED with a message, so it can be retried."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=int(settings.CELERY_TASK_TIME_LIMIT) + STALE_RUN_MARGIN_SECONDS)
    failed = 0
    for run in AuditRun.objects.select_related("definition__ai_system").filter(
        status=RunStatus.RUNNING, started_at__lt=cutoff
    ):
        try:
            audit_run_fail(
                run=run,
                error="The worker stopped before the run finished "
                f"(running since {run.started_at:%Y-%m-%d %H:%M} UTC); retry it.",
            )
            failed += 1
        except InvalidTransition:  # finished meanwhile
            continue
    return failed


# --- runs: execution -------------------------------------------------------------------------------------------------


@dataclass
class _Outcome:
    local: LocalInput
    n_rows: int
    n_rows_excluded: int
    fairlearn_version: str
    analyses: list[dict[str, Any]]
    verdict: str
    notes: list[str] = field(default_factory=list)


def _input_columns(local: LocalInput) -> list[str]:
    """Column names of the input file (reads the header / Parquet schema only)."""
    with open(local.path, "rb") as fh:
        head = fh.read(4)
    if local.file_format == "parquet" or (local.file_format is None and head == b"PAR1"):
        import pyarrow.parquet as pq

        return list(pq.read_schema(local.path).names)
    import pandas as pd  # heavy: loaded when a run computes, not when the app starts

    gz = local.file_format == "csv.gz" or (local.file_format is None and head[:2] == b"\x1f\x8b")
    return list(pd.read_csv(local.path, nrows=0, compression="gzip" if gz else None).columns)


def _regroup(compressed: CompressedOutputs, mapping: ColumnMapping) -> CompressedOutputs:
    """The compressed cells re-aggregated to ``mapping``'s sensitive features (non-intersectional analysis)."""
    from audits.metrics.compress import COUNT, WEIGHT, Y_PRED, Y_TRUE, CompressedOutputs  # pandas: not at app loading

    keys = [c for c in (Y_TRUE, Y_PRED, WEIGHT) if c in compressed.frame] + list(mapping.group_columns)
    frame = compressed.frame.groupby(keys, sort=False, observed=True)[COUNT].sum().reset_index()
    return CompressedOutputs(
        frame=frame,
        task=compressed.task,
        mapping=mapping,
        n_rows=compressed.n_rows,
        n_rows_excluded=compressed.n_rows_excluded,
    )


def _notes(result: FairnessResult, min_group_size: int) -> list[str]:
    notes: list[str] = []
    features = " x ".join(result.sensitive_features)
    for stratum in result.strata:
        where = f" (control {stratum.control})" if stratum.control is not None else ""
        for group in stratum.groups:
            if group.count == 0:
                notes.append(f"{features}: group '{group.group}'{where} has no rows; reported, not judged.")
            elif not group.eligible:
                notes.append(
                    f"{features}: group '{group.group}'{where} has {group.count} rows (< {min_group_size}); "
                    "reported, not judged."
                )
            if UNKNOWN_LEVEL in group.features.values() and group.count:
                notes.append(
                    f"{features}: {group.count} rows{where} have a missing sensitive value and are reported as "
                    f"group '{group.group}'."
                )
        if not any(g.eligible for g in stratum.groups):
            notes.append(f"{features}{where}: no group reaches the minimum size; nothing could be judged.")
    if result.n_rows_excluded:
        notes.append(f"{result.n_rows_excluded} rows without an outcome or prediction were excluded.")
    return notes


def audit_compute(definition: AuditDefinition) -> _Outcome:
    """Fetch the definition's input and compute the fairness result(s). Raises AuditInputError/ValueError with a
    message for people on bad input (missing columns, non-binary labels, empty data, oversized files)."""
    from audits.metrics import compute_fairness, load_outputs  # pandas, fairlearn: not at app loading

    missing = definition.missing_configuration()
    if missing:
        raise AuditInputError(f"The audit definition is incomplete; set: {', '.join(missing)}.")
    mapping = column_mapping(definition)
    thresholds = thresholds_from_dict(definition.thresholds) if definition.thresholds else None
    with fetch_input(definition) as local:
        present = _input_columns(local)
        missing = [c for c in mapping.input_columns if c not in present]
        if missing:
            raise AuditInputError(f"Missing columns in the input: {missing} (found: {present[:50]})")
        compressed = load_outputs(
            local.path, mapping=mapping, task=Task(definition.task_type), file_format=local.file_format
        )
    features = list(definition.sensitive_features)
    if definition.intersectional or len(features) == 1:
        parts = [(compressed, definition.reference_group or None)]
    else:
        parts = [(_regroup(compressed, column_mapping(definition, [f])), None) for f in features]
    results = [
        compute_fairness(
            part,
            reference_group=reference,
            min_group_size=definition.min_group_size,
            thresholds=thresholds,
            n_boot=definition.n_boot,
            random_state=0,
        )
        for part, reference in parts
    ]
    notes = [n for r in results for n in _notes(r, definition.min_group_size)]
    verdict = worst_verdict(r.verdicts.overall for r in results).value
    return _Outcome(
        local=local,
        n_rows=compressed.n_rows,
        n_rows_excluded=compressed.n_rows_excluded,
        fairlearn_version=results[0].fairlearn_version,
        analyses=[r.to_dict() for r in results],
        verdict=verdict,
        notes=list(dict.fromkeys(notes)),
    )


def _error_message(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    if isinstance(exc, AuditInputError | ValueError):
        return text
    return f"Unexpected error ({type(exc).__name__}): {text}"


def audit_run_execute(*, run_id: int) -> AuditRun | None:
    """Claim and execute one run; returns None when the run is gone or someone else claimed it.

    The computation runs outside any transaction (it can take minutes); completion and failure are each one
    transaction. Every exception ends in a FAILED run with a message: a run never stays RUNNING or passes silently.
    """
    if not audit_run_claim(run_id=run_id):
        return None
    run = AuditRun.objects.select_related("definition__ai_system").get(pk=run_id)
    try:
        outcome = audit_compute(run.definition)
    except Exception as exc:  # every failure must be recorded on the run, whatever raised it
        if not isinstance(exc, AuditInputError | ValueError):
            logger.exception("audit run %s failed unexpectedly", run_id)
        return audit_run_fail(run=run, error=_error_message(exc))
    return audit_run_complete(run=run, outcome=outcome)


def _previous_completed(run: AuditRun) -> AuditRun | None:
    return (
        AuditRun.objects.filter(definition_id=run.definition_id, status=RunStatus.SUCCEEDED, slot__lt=run.slot)
        .exclude(pk=run.pk)
        .order_by("-slot")
        .first()
    )


@transaction.atomic
def audit_run_complete(*, run: AuditRun, outcome: _Outcome) -> AuditRun:
    """Store the result of a run (RUNNING -> SUCCEEDED); a newly failing verdict opens a finding and notifies."""
    now = timezone.now()
    updated = AuditRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
        status=RunStatus.SUCCEEDED,
        finished_at=now,
        updated_at=now,
        error="",
        input_sha256=outcome.local.sha256,
        input_bytes=outcome.local.size,
        row_count=outcome.n_rows,
        rows_excluded=outcome.n_rows_excluded,
        fairlearn_version=outcome.fairlearn_version,
        verdict=outcome.verdict,
        result={"analyses": outcome.analyses},
        notes=outcome.notes,
    )
    if not updated:
        raise InvalidTransition("The run is no longer running; its result was not stored.")
    run.refresh_from_db()
    audit_log_record(
        event_type=events.AUDIT_RUN_SUCCEEDED,
        actor=None,
        target=run,
        extra_data={"verdict": run.verdict, "input_sha256": run.input_sha256, "rows": run.row_count},
    )
    previous = _previous_completed(run)
    if run.verdict == RunVerdict.FAIL and (previous is None or previous.verdict != RunVerdict.FAIL):
        failing = [
            f"{v['metric']} {v['group'] or ''} = {v['value']}"
            for a in outcome.analyses
            for v in a["verdicts"]["metrics"]
            if v["verdict"] == "fail"
        ]
        _finding_open(
            run=run,
            kind=FindingKind.FAILING,
            title=f"Fairness audit failing: {run.definition.name} ({run.definition.ai_system})",
            description="Failing values:\n" + "\n".join(failing[:50]),
        )
    return run


@transaction.atomic
def audit_run_fail(*, run: AuditRun, error: str) -> AuditRun:
    """Record why a run failed (RUNNING -> FAILED); opens a finding (once per definition while open) and notifies."""
    now = timezone.now()
    updated = AuditRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
        status=RunStatus.FAILED, finished_at=now, updated_at=now, error=error[:5000]
    )
    if not updated:
        raise InvalidTransition("The run is no longer running; its failure was not recorded.")
    run.refresh_from_db()
    audit_log_record(event_type=events.AUDIT_RUN_FAILED, actor=None, target=run, extra_data={"error": run.error})
    _finding_open(
        run=run,
        kind=FindingKind.RUN_ERROR,
        title=f"Fairness audit could not run: {run.definition.name} ({run.definition.ai_system})",
        description=run.error,
    )
    return run


# --- findings and notifications ------------------------------------------------------------------------------------


def _finding_open(*, run: AuditRun, kind: str, title: str, description: str) -> Finding:
    definition = run.definition
    existing = Finding.objects.filter(definition=definition, kind=kind, status=FindingStatus.OPEN).first()
    if existing is None or kind == FindingKind.FAILING:
        finding = model_create(
            Finding,
            actor=None,
            reason="opened by audit run",
            data={
                "ai_system": definition.ai_system,
                "definition": definition,
                "run": run,
                "kind": kind,
                "title": title[:255],
                "description": description,
                "obligation": definition.get_legal_basis_display(),
                "registry_obligation": obligation_list()
                .filter(system=definition.ai_system, obligation_id=ART_10_OBLIGATION_ID, is_current=True)
                .first(),
            },
        )
        audit_log_record(event_type=events.FINDING_OPENED, actor=None, target=finding, extra_data={"run": run.pk})
    else:
        finding = existing
    payload = _finding_payload(run=run, finding=finding, title=title, summary=description)
    # one message for the subscribed channels and the direct e-mail to the compliance officers and owners, queued
    # in this transaction and sent after commit with the outbox's retries and dead letters
    notification_queue(
        topic=FINDING_TOPIC,
        event_key=payload.event_id,
        message=payload.to_message(),
        target=finding,
        recipients=notification_recipients(definition),
    )
    return finding


def _admin_url(name: str, pk: int) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(name, args=[pk])


def _finding_payload(*, run: AuditRun, finding: Finding, title: str, summary: str) -> AuditFindingPayload:
    """What the alert channels receive for a failed or newly failing run: the system, the audit, the legal basis and
    registry obligation, the failing and warning metric values, and links to the run and the finding. One event per
    run attempt (``audits.run.<run>.<attempt>``), so the outbox never sends the same failure twice to a channel."""
    definition = run.definition
    obligation = finding.registry_obligation
    metrics = tuple(
        MetricVerdictItem(
            analysis=" x ".join(analysis.get("sensitive_features") or []),
            metric=str(v["metric"]),
            verdict=str(v["verdict"]),
            value=v.get("value"),
            group=str(v.get("group") or ""),
            control=str(v.get("control") or ""),
            fail=v.get("fail"),
            higher_is_better=bool(v.get("higher_is_better", True)),
        )
        for analysis in (run.result or {}).get("analyses", [])
        for v in analysis.get("verdicts", {}).get("metrics", [])
        if v.get("verdict") in (RunVerdict.FAIL, RunVerdict.WARN)
    )
    return AuditFindingPayload(
        event_id=f"audits.run.{run.pk}.{run.attempts}",
        finding_id=finding.pk,
        finding_kind=finding.kind,
        finding_kind_label=finding.get_kind_display(),
        severity=FINDING_NOTIFICATION_SEVERITY[finding.kind],
        title=title,
        summary=summary[:2000],
        system_id=definition.ai_system.pk,
        system_name=str(definition.ai_system),
        definition_id=definition.pk,
        definition_name=definition.name,
        legal_basis=definition.get_legal_basis_display(),
        obligation=f"{obligation.article} ({obligation.obligation_id})" if obligation is not None else "",
        run_id=run.pk,
        run_slot=run.slot,
        occurred_at=run.finished_at or timezone.now(),
        link=_admin_url("admin:audits_auditrun_change", run.pk),
        finding_link=_admin_url("admin:audits_finding_change", finding.pk),
        verdict=run.verdict,
        error=run.error,
        metrics=metrics,
        model_version=run.model_version.version if run.model_version_id and run.model_version else "",
    )


def notification_recipients(definition: AuditDefinition) -> list[str]:
    """Compliance officers' e-mail addresses plus the system's owner fields that hold an e-mail address."""
    users = get_user_model().objects.filter(groups__name=COMPLIANCE_OFFICER, is_active=True).exclude(email="")
    recipients = list(users.values_list("email", flat=True))
    system = definition.ai_system
    for owner in (system.business_owner, system.technical_owner):
        try:
            validate_email(owner)
        except ValidationError:  # free-text owner names are not addresses
            continue
        recipients.append(owner)
    return sorted(set(recipients))


@transaction.atomic
def finding_resolve(*, finding: Finding, actor: Any, reason: str = "") -> Finding:
    """Close a finding (OPEN -> RESOLVED), recording who and why."""
    if finding.status != FindingStatus.OPEN:
        raise InvalidTransition("Only open findings can be resolved.")
    model_update(
        finding,
        actor=actor,
        reason=reason or "resolved",
        data={"status": FindingStatus.RESOLVED, "resolved_at": timezone.now()},
    )
    audit_log_record(event_type=events.FINDING_RESOLVED, actor=actor, target=finding, reason=reason or "resolved")
    return finding


@transaction.atomic
def finding_update(*, finding: Finding, actor: Any, reason: str = "", data: dict[str, Any]) -> Finding:
    """Change a finding. Resolving goes through :func:`finding_resolve` (it stamps ``resolved_at``); re-opening
    clears ``resolved_at``."""
    data = dict(data)
    if data.get("status") == FindingStatus.RESOLVED and finding.status == FindingStatus.OPEN:
        rest = {k: v for k, v in data.items() if k != "status"}
        if rest:
            model_update_audited(finding, event_type=events.FINDING_UPDATED, actor=actor, reason=reason, data=rest)
        return finding_resolve(finding=finding, actor=actor, reason=reason)
    if data.get("status") == FindingStatus.OPEN:
        data["resolved_at"] = None
    return model_update_audited(
        finding, event_type=events.FINDING_UPDATED, actor=actor, reason=reason or "updated", data=data
    )


@transaction.atomic
def finding_delete(*, finding: Finding, actor: Any, reason: str = "") -> None:
    """Delete a finding; its history is kept; audited."""
    model_delete_audited(finding, event_type=events.FINDING_DELETED, actor=actor, reason=reason or "deleted")


@transaction.atomic
def audit_run_delete(*, run: AuditRun, actor: Any, reason: str = "") -> None:
    """Delete a run (its findings keep their definition and lose the run link); its history is kept; audited."""
    model_delete_audited(run, event_type=events.AUDIT_RUN_DELETED, actor=actor, reason=reason or "deleted")
