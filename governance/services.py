"""Writes to the AI-system registry. Each service runs in one transaction and records actor and reason.

Lifecycle changes go through :func:`ai_system_transition` (declared table + gates), classification runs through
:func:`ai_system_classify` (immutable record + obligations checklist), both with an audit-log row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.exceptions import InvalidTransition, ValidationFailed
from core.services import (
    audit_log_record,
    history_stamp,
    model_create,
    model_create_audited,
    model_delete_audited,
    model_update,
    model_update_audited,
)
from governance import events
from governance.choices import OPEN_OBLIGATION_STATUSES, LifecycleStage, ObligationStatus, RiskClass
from governance.classification import (
    ClassificationResult,
    FactsValidationError,
    UnknownLawVersion,
    classify,
    diff_results,
    facts_from_dict,
    facts_to_dict,
    list_law_versions,
    result_from_dict,
    result_to_dict,
)
from governance.constants import (
    AI_SYSTEM_TRANSITIONS,
    DEFAULT_LAW_VERSION,
    REMINDER_WINDOWS_DAYS,
    STAGES_BLOCKED_FOR_PROHIBITED,
)
from governance.models import (
    AISystem,
    ClassificationRecord,
    ModelVersion,
    Obligation,
    ObligationEvidence,
    ObligationReminder,
)
from notifications.notifiers.message import Fact, Message
from notifications.services import notification_queue

# --------------------------------------------------------------------------------------------------------------------
# Facts
# --------------------------------------------------------------------------------------------------------------------


def facts_normalise(*, facts: dict[str, Any], roles: list[str]) -> dict[str, Any]:
    """Validate questionnaire answers and return the full facts dict, with ``roles`` taken from the registry.

    Raises ``ValidationFailed`` listing every bad answer (Arts. 2-6, 25-27, 50-51 questions of the engine).
    """
    try:
        parsed = facts_from_dict({**facts, "roles": list(roles)})
    except FactsValidationError as exc:
        raise ValidationFailed("Invalid classification facts.", extra={"errors": exc.errors}) from exc
    return facts_to_dict(parsed)


def _with_normalised_facts(data: dict[str, Any], system: AISystem | None) -> dict[str, Any]:
    if "facts" not in data and "roles" not in data:
        return data
    roles = data.get("roles", system.roles if system else [])
    facts = data.get("facts", system.facts if system else {})
    return {**data, "facts": facts_normalise(facts=facts or {}, roles=roles or [])}


# --------------------------------------------------------------------------------------------------------------------
# AI systems
# --------------------------------------------------------------------------------------------------------------------


@transaction.atomic
def ai_system_register(*, actor: Any, reason: str = "", data: dict[str, Any]) -> AISystem:
    """Add an AI system to the inventory (EU AI Act Art. 26/49 presuppose knowing which systems are in use).

    New systems always start in ``proposed``; the stage only moves through :func:`ai_system_transition`.
    """
    data = {k: v for k, v in data.items() if k not in PROTECTED_FIELDS}
    return model_create_audited(
        AISystem,
        event_type=events.AI_SYSTEM_REGISTERED,
        actor=actor,
        reason=reason or "registered",
        data=_with_normalised_facts(data, None),
    )


PROTECTED_FIELDS = ("lifecycle_stage", "risk_class", "classification_status", "classified_at")


def _refresh_protected(system: AISystem) -> None:
    """Reload the fields only the transition/classify services write, so saving a stale instance (full-row save)
    cannot silently revert a lifecycle stage or a risk class."""
    system.refresh_from_db(fields=list(PROTECTED_FIELDS))


@transaction.atomic
def ai_system_update(*, system: AISystem, actor: Any, reason: str = "", data: dict[str, Any]) -> AISystem:
    """Change registry facts of an AI system; the history keeps before/after. Lifecycle and class are not editable
    here (use :func:`ai_system_transition` and :func:`ai_system_classify`)."""
    data = {k: v for k, v in data.items() if k not in PROTECTED_FIELDS}
    _refresh_protected(system)
    return model_update_audited(
        system,
        event_type=events.AI_SYSTEM_UPDATED,
        actor=actor,
        reason=reason or "updated",
        data=_with_normalised_facts(data, system),
    )


@transaction.atomic
def ai_system_facts_update(*, system: AISystem, actor: Any, reason: str = "", facts: dict[str, Any]) -> AISystem:
    """Record the questionnaire answers (the facts the EU AI Act class is derived from)."""
    _refresh_protected(system)
    return model_update(
        system,
        actor=actor,
        reason=reason or "classification facts",
        data={"facts": facts_normalise(facts=facts, roles=system.roles)},
    )


@transaction.atomic
def ai_system_delete(*, system: AISystem, actor: Any, reason: str = "") -> None:
    """Remove an AI system (refused with 409 while audits or classification records reference it); history kept."""
    model_delete_audited(system, event_type=events.AI_SYSTEM_DELETED, actor=actor, reason=reason or "deleted")


def _current_facts(system: AISystem) -> dict[str, Any] | None:
    """The system's facts as the engine would see them now (roles from the registry), None if they are invalid."""
    try:
        return facts_normalise(facts=system.facts, roles=system.roles)
    except ValidationFailed:
        return None


def ai_system_latest_record(system: AISystem) -> ClassificationRecord | None:
    return system.classification_records.order_by("-created_at", "-id").first()


def ai_system_transition_blockers(*, system: AISystem, to: str) -> list[str]:
    """Why ``system`` may not move to ``to`` (empty list: allowed). The table first, then the gates:

    - Art. 5: a prohibited system may not be piloted, approved or put into production;
    - no production while unclassified, or while the facts changed since the last classification;
    - Arts. 8-27: no production for a high-risk system with open obligations (not done / not applicable).
    """
    current = system.lifecycle_stage
    if to not in LifecycleStage.values:
        return [f"Unknown lifecycle stage {to!r}."]
    if to not in AI_SYSTEM_TRANSITIONS[current]:
        allowed = ", ".join(sorted(AI_SYSTEM_TRANSITIONS[current])) or "none (terminal stage)"
        return [f"{current} → {to} is not in the transition table (allowed from {current}: {allowed})."]
    blockers: list[str] = []
    if to in STAGES_BLOCKED_FOR_PROHIBITED and system.risk_class == RiskClass.PROHIBITED:
        blockers.append("The system is classified as prohibited (Art. 5); it may not be used.")
    if to == LifecycleStage.PRODUCTION:
        latest = ai_system_latest_record(system)
        if latest is None or not system.risk_class:
            blockers.append("The system has not been classified; classify it before production.")
        elif latest.facts != _current_facts(system):
            blockers.append(
                "The facts or roles changed since the last classification; classify again before production."
            )
        if system.risk_class == RiskClass.HIGH:
            open_count = system.obligations.filter(is_current=True, status__in=OPEN_OBLIGATION_STATUSES).count()
            if open_count:
                blockers.append(
                    f"High-risk system with {open_count} open obligation(s); complete them or mark them not "
                    "applicable with a reason before production."
                )
    return blockers


@transaction.atomic
def ai_system_transition(*, system: AISystem, to: str, actor: Any, reason: str) -> AISystem:
    """Move a system to another lifecycle stage, checking the declared table (``AI_SYSTEM_TRANSITIONS``) and the
    gates (:func:`ai_system_transition_blockers`). Raises ``InvalidTransition``; records history and an audit row."""
    system = AISystem.objects.select_for_update().get(pk=system.pk)
    if not reason or not reason.strip():
        raise ValidationFailed("A reason is required for a lifecycle transition.")
    blockers = ai_system_transition_blockers(system=system, to=to)
    if blockers:
        raise InvalidTransition(
            " ".join(blockers), extra={"from": system.lifecycle_stage, "to": to, "blockers": blockers}
        )
    before = system.lifecycle_stage
    system.lifecycle_stage = to
    history_stamp(system, actor=actor, reason=reason)
    system.save(update_fields=["lifecycle_stage", "updated_at"])
    audit_log_record(
        event_type=events.AI_SYSTEM_TRANSITIONED,
        actor=actor,
        target=system,
        reason=reason,
        extra_data={"from": before, "to": to},
    )
    return system


# --------------------------------------------------------------------------------------------------------------------
# Classification
# --------------------------------------------------------------------------------------------------------------------


def _resolve_law(law_version: str | None) -> str:
    law = law_version or DEFAULT_LAW_VERSION
    if law not in list_law_versions():
        raise ValidationFailed(f"Unknown law version {law!r}; known: {', '.join(list_law_versions())}.")
    return law


def ai_system_evaluate(
    *, system: AISystem, law_version: str | None = None, as_of: date | None = None
) -> ClassificationResult:
    """Run the engine on a system's facts without storing anything (used by dry runs and previews)."""
    facts = facts_from_dict({**system.facts, "roles": list(system.roles)})
    try:
        return classify(facts, law_version=_resolve_law(law_version), as_of=as_of or timezone.localdate())
    except UnknownLawVersion as exc:  # pragma: no cover - _resolve_law already checked
        raise ValidationFailed(str(exc)) from exc


def record_result(record: ClassificationRecord) -> ClassificationResult:
    """The result a record stored (what was actually recorded, even if the engine changed since), for diffs."""
    return result_from_dict(record.result)


@transaction.atomic
def ai_system_classify(
    *, system: AISystem, actor: Any, law_version: str | None = None, as_of: date | None = None, reason: str = ""
) -> ClassificationRecord:
    """Classify a system under the EU AI Act (Arts. 2-6, 25-27, 50-55) and store an immutable record.

    Also sets the system's risk class and classification status (``incomplete`` when an answer left unknown would
    change the result; the record keeps the open questions), regenerates its obligations checklist
    (:func:`_obligations_sync`), and writes a ``governance.ai_system.classified`` audit row with the diff against the
    previous record.
    """
    system = AISystem.objects.select_for_update().get(pk=system.pk)
    law = _resolve_law(law_version)
    day = as_of or timezone.localdate()
    facts = facts_normalise(facts=system.facts, roles=system.roles)
    result = classify(facts_from_dict(facts), law_version=law, as_of=day)
    previous = ai_system_latest_record(system)
    diff = diff_results(record_result(previous), result) if previous is not None else None
    record = ClassificationRecord.objects.create(
        system=system,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        law_version=law,
        as_of=day,
        facts=facts,
        result=result_to_dict(result),
        risk_class=result.risk_class.value,
        status=result.status.value,
        diff=diff,
        changed=True if diff is None else bool(diff["changed"]),
    )
    system.facts = facts
    system.risk_class = result.risk_class.value
    system.classification_status = result.status.value
    system.classified_at = record.created_at
    history_stamp(system, actor=actor, reason=reason or f"classified under {law} as of {day.isoformat()}")
    system.save(update_fields=["facts", "risk_class", "classification_status", "classified_at", "updated_at"])
    _obligations_sync(system=system, result=result, actor=actor)
    audit_log_record(
        event_type=events.AI_SYSTEM_CLASSIFIED,
        actor=actor,
        target=system,
        reason=reason,
        extra_data={
            "record_id": record.pk,
            "law_version": law,
            "as_of": day.isoformat(),
            "risk_class": result.risk_class.value,
            "status": result.status.value,
            "summary": result.summary,
            "open_questions": [q.question for q in result.open_questions],
            "changed": record.changed,
        },
    )
    return record


def _obligations_sync(*, system: AISystem, result: ClassificationResult, actor: Any) -> None:
    """Regenerate the checklist from a result: update persisting items in place (keeping status, owner, due date
    and evidence), add new ones (due on their applies-from date), and mark the ones that no longer apply."""
    existing = {o.obligation_id: o for o in system.obligations.all()}
    wanted = {o.id for o in result.obligations}
    for ob in result.obligations:
        values = {
            "article": ob.article,
            "duty": ob.duty,
            "roles": [r.value for r in ob.roles],
            "applies_from": ob.applies_from,
            "deadline_text": ob.deadline_text[:300],
            "verified": ob.verified,
            "is_current": True,
        }
        current = existing.get(ob.id)
        if current is None:
            model_create(
                Obligation,
                actor=actor,
                reason="generated by classification",
                data={"system": system, "obligation_id": ob.id, "due_date": ob.applies_from, **values},
            )
        elif any(getattr(current, k) != v for k, v in values.items()):
            model_update(current, actor=actor, reason="updated by reclassification", data=values)
    for oid, obligation in existing.items():
        if oid not in wanted and obligation.is_current:
            model_update(
                obligation, actor=actor, reason="no longer required after reclassification", data={"is_current": False}
            )


@dataclass(frozen=True)
class ReclassifyOutcome:
    system: AISystem
    diff: dict[str, Any] | None  # None: the system had never been classified
    new_risk_class: str


def ai_systems_reclassify(
    *, actor: Any, law_version: str, as_of: date | None = None, dry_run: bool = False, systems: Any = None
) -> list[ReclassifyOutcome]:
    """Re-run every system (or ``systems``) under ``law_version`` and report what changes against its latest record.

    With ``dry_run`` nothing is stored; otherwise each system is classified in its own transaction.
    """
    law = _resolve_law(law_version)
    day = as_of or timezone.localdate()
    outcomes: list[ReclassifyOutcome] = []
    for system in systems if systems is not None else AISystem.objects.order_by("name"):
        result = ai_system_evaluate(system=system, law_version=law, as_of=day)
        previous = ai_system_latest_record(system)
        diff = diff_results(record_result(previous), result) if previous is not None else None
        if not dry_run:
            ai_system_classify(system=system, actor=actor, law_version=law, as_of=day, reason=f"reclassify --law {law}")
        outcomes.append(ReclassifyOutcome(system=system, diff=diff, new_risk_class=result.risk_class.value))
    return outcomes


# --------------------------------------------------------------------------------------------------------------------
# Model versions, obligations, evidence
# --------------------------------------------------------------------------------------------------------------------


@transaction.atomic
def model_version_create(*, actor: Any, reason: str = "", data: dict[str, Any]) -> ModelVersion:
    """Record a released model version of a system (Annex IV technical documentation inputs)."""
    return model_create_audited(
        ModelVersion,
        event_type=events.MODEL_VERSION_CREATED,
        actor=actor,
        reason=reason or "model version added",
        data=data,
    )


@transaction.atomic
def model_version_update(*, version: ModelVersion, actor: Any, reason: str = "", data: dict[str, Any]) -> ModelVersion:
    """Change a model version's details; history keeps before/after."""
    return model_update_audited(
        version, event_type=events.MODEL_VERSION_UPDATED, actor=actor, reason=reason or "updated", data=data
    )


@transaction.atomic
def model_version_delete(*, version: ModelVersion, actor: Any, reason: str = "") -> None:
    """Remove a model version; its history is kept."""
    model_delete_audited(version, event_type=events.MODEL_VERSION_DELETED, actor=actor, reason=reason or "deleted")


OBLIGATION_EDITABLE_FIELDS = frozenset({"status", "not_applicable_reason", "owner", "due_date"})


@transaction.atomic
def obligation_update(*, obligation: Obligation, actor: Any, reason: str = "", data: dict[str, Any]) -> Obligation:
    """Update a checklist item's status, owner, due date or not-applicable reason (required for not applicable).

    The legal text (article, duty, dates) comes from the engine and is not editable.
    """
    unknown = set(data) - OBLIGATION_EDITABLE_FIELDS
    if unknown:
        raise ValidationFailed(f"Not editable: {', '.join(sorted(unknown))}.")
    if data.get("status", obligation.status) != ObligationStatus.NOT_APPLICABLE:
        data = {**data, "not_applicable_reason": data.get("not_applicable_reason", "")}
    return model_update_audited(
        obligation, event_type=events.OBLIGATION_UPDATED, actor=actor, reason=reason or "obligation updated", data=data
    )


@transaction.atomic
def obligation_evidence_add(
    *, obligation: Obligation, actor: Any, reason: str = "", data: dict[str, Any]
) -> ObligationEvidence:
    """Attach a URL or a file as evidence that an obligation is met."""
    return model_create_audited(
        ObligationEvidence,
        event_type=events.OBLIGATION_EVIDENCE_ADDED,
        actor=actor,
        reason=reason or "evidence added",
        data={**data, "obligation": obligation},
    )


@transaction.atomic
def obligation_evidence_update(
    *, evidence: ObligationEvidence, actor: Any, reason: str = "", data: dict[str, Any]
) -> ObligationEvidence:
    """Change the description, URL or file of an obligation's evidence; audited."""
    return model_update_audited(
        evidence,
        event_type=events.OBLIGATION_EVIDENCE_UPDATED,
        actor=actor,
        reason=reason or "evidence updated",
        data=data,
    )


@transaction.atomic
def obligation_evidence_delete(*, evidence: ObligationEvidence, actor: Any, reason: str = "") -> None:
    """Detach evidence from an obligation; its history is kept; audited."""
    model_delete_audited(
        evidence, event_type=events.OBLIGATION_EVIDENCE_DELETED, actor=actor, reason=reason or "evidence deleted"
    )


# --------------------------------------------------------------------------------------------------------------------
# Reminders
# --------------------------------------------------------------------------------------------------------------------


#: the notification topic of obligation reminders (registered by ``GovernanceConfig.ready``)
REMINDER_TOPIC = "obligation_reminder"


def obligation_reminders_send(*, today: date | None = None) -> int:
    """Remind owners of open obligations coming due within each reminder window (``REMINDER_WINDOWS_DAYS``),
    through the notification outbox: a direct e-mail to the owner, and the channels subscribed to
    ``obligation_reminder``, sent after commit with the outbox's retries and dead letters.

    Idempotent by design: an ``ObligationReminder(obligation, due_date, window_days)`` row is inserted (unique) in
    the same transaction as the outbox rows, so a second beat tick, or a rerun, does not queue it again; a changed
    due date is a new reminder. Obligations without an owner email are skipped (and picked up once an owner is
    set). Returns the number of reminders queued.
    """
    today = today or timezone.localdate()
    sent = 0
    horizon = today + timedelta(days=max(REMINDER_WINDOWS_DAYS))
    candidates = (
        Obligation.objects.filter(
            is_current=True, status__in=OPEN_OBLIGATION_STATUSES, due_date__isnull=False, due_date__lte=horizon
        )
        .exclude(owner__isnull=True)
        .exclude(owner__email="")
        .select_related("system", "owner")
    )
    for obligation in candidates:
        assert obligation.due_date is not None and obligation.owner is not None
        days_left = (obligation.due_date - today).days
        windows = [w for w in sorted(REMINDER_WINDOWS_DAYS) if days_left <= w]
        if not windows:
            continue
        window = windows[0]  # the narrowest window reached: one reminder per window crossed
        if ObligationReminder.objects.filter(
            obligation=obligation, due_date=obligation.due_date, window_days=window
        ).exists():
            continue
        try:
            with transaction.atomic():
                ObligationReminder.objects.create(
                    obligation=obligation,
                    due_date=obligation.due_date,
                    window_days=window,
                    recipients=[obligation.owner.email],
                )
                notification_queue(
                    topic=REMINDER_TOPIC,
                    event_key=f"governance.obligation.{obligation.pk}.{obligation.due_date.isoformat()}.{window}",
                    message=_reminder_message(obligation, days_left, window=window),
                    target=obligation,
                    recipients=[obligation.owner.email],
                )
                audit_log_record(
                    event_type=events.OBLIGATION_REMINDER_SENT,
                    actor=None,
                    target=obligation,
                    extra_data={"due_date": obligation.due_date.isoformat(), "window_days": window},
                )
        except IntegrityError:  # a concurrent run recorded it first
            continue
        sent += 1
    return sent


def _reminder_message(obligation: Obligation, days_left: int, *, window: int) -> Message:
    """The reminder as every channel (and the owner's e-mail) renders it."""
    when = f"overdue by {-days_left} day(s)" if days_left < 0 else f"due in {days_left} day(s)"
    link = f"{settings.SITE_URL.rstrip('/')}/admin/governance/obligation/{obligation.pk}/change/"
    overdue = days_left < 0
    return Message(
        topic=REMINDER_TOPIC,
        event_id=f"governance.obligation.{obligation.pk}.{obligation.due_date}.{window}",
        signature=f"governance.obligation.{'overdue' if overdue else 'due'}",
        name="Obligation overdue" if overdue else "Obligation coming due",
        title=f"[AI governance] {obligation.system.name}: {obligation.article} {when}",
        severity="high" if overdue else ("medium" if days_left <= 7 else "low"),
        summary=f"{obligation.article}: {obligation.duty}",
        occurred_at=timezone.now(),
        link=link,
        facts=(
            Fact("AI system", obligation.system.name, "aigov.system"),
            Fact("Obligation", f"{obligation.article} — {obligation.duty}"[:300]),
            Fact("Due date", str(obligation.due_date)),
            Fact("Status", str(obligation.get_status_display())),
            Fact("Deadline / retention", obligation.deadline_text or "-"),
        ),
        data={
            "obligation_id": obligation.pk,
            "system_id": obligation.system_id,
            "system_name": obligation.system.name,
            "article": obligation.article,
            "due_date": str(obligation.due_date),
            "days_left": days_left,
            "status": obligation.status,
        },
    )
