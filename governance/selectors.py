"""Reads of the AI-system registry."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, Model, QuerySet
from django.utils import timezone

from governance.choices import OPEN_OBLIGATION_STATUSES, ClassificationStatus, LifecycleStage, RiskClass
from governance.models import AISystem, ClassificationRecord, ModelVersion, Obligation, ObligationEvidence


def ai_system_list() -> QuerySet[AISystem]:
    return AISystem.objects.all()


def model_version_list() -> QuerySet[ModelVersion]:
    return ModelVersion.objects.select_related("system")


def obligation_list() -> QuerySet[Obligation]:
    return Obligation.objects.select_related("system", "owner").prefetch_related("evidence")


def classification_record_list() -> QuerySet[ClassificationRecord]:
    return ClassificationRecord.objects.select_related("system", "created_by")


def ai_system_as_of(*, system: AISystem, moment: datetime) -> AISystem:
    """``system`` as it stood at ``moment`` (django-simple-history), or ``system`` itself when its history has no
    row by then (e.g. rows made before history was kept). The result is not saved and must not be."""
    try:
        found: AISystem = AISystem.history.as_of(moment).get(pk=system.pk)
    except ObjectDoesNotExist:  # the historical model's DoesNotExist
        return system
    return found


def obligations_as_of(*, system: AISystem, moment: datetime) -> list[Obligation]:
    """The obligations of ``system`` as they stood at ``moment`` (django-simple-history), unordered.

    Deleted ones are left out and later ones are not there yet. When the system's obligations have no history at
    all, the current obligations made by ``moment`` stand in for it.
    """
    rows = list(Obligation.history.as_of(moment).filter(system_id=system.pk))
    if not rows and not Obligation.history.filter(system_id=system.pk).exists():
        rows = [o for o in Obligation.objects.filter(system=system) if o.created_at <= moment]
    return rows


def ai_system_history(*, system: AISystem) -> list[tuple[type[Model], QuerySet[Any]]]:
    """Change-history rows (django-simple-history) of ``system`` and of what hangs off it: its obligations, model
    versions and the evidence of its current obligations, as ``(model, history queryset)`` in that order."""
    obligation_ids = list(Obligation.objects.filter(system=system).values_list("pk", flat=True))
    return [
        (AISystem, AISystem.history.filter(id=system.pk)),
        (Obligation, Obligation.history.filter(system_id=system.pk)),
        (ModelVersion, ModelVersion.history.filter(system_id=system.pk)),
        (
            ObligationEvidence,
            ObligationEvidence.history.filter(obligation_id__in=obligation_ids),
        ),
    ]


def obligations_open(*, today: date | None = None) -> QuerySet[Obligation]:
    """Current obligations that still need work (open or in progress)."""
    return Obligation.objects.filter(is_current=True, status__in=OPEN_OBLIGATION_STATUSES)


def overview_data(*, today: date | None = None, horizons: tuple[int, ...] = (30, 90)) -> dict[str, Any]:
    """Figures for the admin overview: systems by class and lifecycle, obligations due soon and overdue, recent
    classification changes, and the systems whose classification is incomplete (open questions)."""
    today = today or timezone.localdate()
    by_class = dict(AISystem.objects.values_list("risk_class").annotate(n=Count("id")).values_list("risk_class", "n"))
    by_stage = dict(
        AISystem.objects.values_list("lifecycle_stage").annotate(n=Count("id")).values_list("lifecycle_stage", "n")
    )
    open_obs = obligations_open().select_related("system", "owner")
    due = {
        h: list(open_obs.filter(due_date__gte=today, due_date__lte=today + timedelta(days=h)).order_by("due_date"))
        for h in horizons
    }
    overdue = list(open_obs.filter(due_date__lt=today).order_by("due_date"))
    incomplete = list(
        AISystem.objects.filter(classification_status=ClassificationStatus.INCOMPLETE).order_by("name")[:20]
    )
    incomplete_count = AISystem.objects.filter(classification_status=ClassificationStatus.INCOMPLETE).count()
    recent_changes = list(
        ClassificationRecord.objects.filter(changed=True)
        .select_related("system", "created_by")
        .order_by("-created_at")[:10]
    )
    return {
        "today": today,
        "by_class": [(label, by_class.get(value, 0)) for value, label in [("", "Unclassified"), *RiskClass.choices]],
        "by_stage": [(label, by_stage.get(value, 0)) for value, label in LifecycleStage.choices],
        "due": due,
        "overdue": overdue,
        "recent_changes": recent_changes,
        "incomplete": incomplete,
        "incomplete_count": incomplete_count,
        "total_systems": sum(by_stage.values()),
    }
