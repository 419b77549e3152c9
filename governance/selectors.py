"""Reads of the AI-system registry."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db.models import Count, QuerySet
from django.utils import timezone

from governance.choices import OPEN_OBLIGATION_STATUSES, LifecycleStage, RiskClass
from governance.models import AISystem, ClassificationRecord, ModelVersion, Obligation


def ai_system_list() -> QuerySet[AISystem]:
    return AISystem.objects.all()


def model_version_list() -> QuerySet[ModelVersion]:
    return ModelVersion.objects.select_related("system")


def obligation_list() -> QuerySet[Obligation]:
    return Obligation.objects.select_related("system", "owner").prefetch_related("evidence")


def classification_record_list() -> QuerySet[ClassificationRecord]:
    return ClassificationRecord.objects.select_related("system", "created_by")


def obligations_open(*, today: date | None = None) -> QuerySet[Obligation]:
    """Current obligations that still need work (open or in progress)."""
    return Obligation.objects.filter(is_current=True, status__in=OPEN_OBLIGATION_STATUSES)


def overview_data(*, today: date | None = None, horizons: tuple[int, ...] = (30, 90)) -> dict[str, Any]:
    """Figures for the admin overview: systems by class and lifecycle, obligations due soon and overdue, recent
    classification changes."""
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
        "total_systems": sum(by_stage.values()),
    }
