"""Reads for fairness audits."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import Count, Model, QuerySet

from audits.choices import FindingStatus, RunStatus
from audits.models import AuditDefinition, AuditRun, Finding


def audit_definition_list() -> QuerySet[AuditDefinition]:
    return AuditDefinition.objects.select_related("ai_system", "periodic_task", "model_version")


def audit_run_list() -> QuerySet[AuditRun]:
    return AuditRun.objects.select_related("definition__ai_system", "requested_by", "model_version")


def finding_list() -> QuerySet[Finding]:
    return Finding.objects.select_related("ai_system", "definition", "run")


def audit_run_counts() -> dict[tuple[str, str], int]:
    """``{(status, verdict): runs}`` over every audit run (``verdict`` blank until a run succeeds). One query."""
    rows = AuditRun.objects.values_list("status", "verdict").annotate(n=Count("id")).order_by()
    return {(status, verdict): n for status, verdict, n in rows}


def findings_open_count() -> int:
    return Finding.objects.filter(status=FindingStatus.OPEN).count()


def audit_history(
    *, definition_ids: Iterable[Any], finding_ids: Iterable[Any]
) -> list[tuple[type[Model], QuerySet[Any]]]:
    """Change-history rows (django-simple-history) of the given audit definitions and findings, as
    ``(model, history queryset)`` in that order. Runs keep no history (their audit-log events tell their story)."""
    return [
        (AuditDefinition, AuditDefinition.history.filter(id__in=list(definition_ids))),
        (Finding, Finding.history.filter(id__in=list(finding_ids))),
    ]


def audit_run_trend(
    *, definition: AuditDefinition, metric: str, limit: int = 50
) -> list[tuple[datetime, float | None, str]]:
    """(slot, value of ``metric`` in the first analysis's first stratum, verdict) of the latest completed runs,
    oldest first. ``metric`` is an aggregate key (e.g. ``demographic_parity_ratio``) or ``min_impact_ratio``."""
    runs = list(
        AuditRun.objects.filter(definition=definition, status=RunStatus.SUCCEEDED)
        .order_by("-slot")
        .values_list("slot", "result", "verdict")[:limit]
    )
    points: list[tuple[datetime, float | None, str]] = []
    for slot, result, verdict in reversed(runs):
        points.append((slot, run_metric_value(result, metric), verdict))
    return points


def audit_trend_metrics(*, definition: AuditDefinition, limit: int = 50) -> set[str]:
    """The metrics :func:`audit_run_trend` can plot for ``definition``: the aggregates of its latest completed runs'
    first stratum, and ``min_impact_ratio``; empty when no run has completed (nothing to check against)."""
    results = AuditRun.objects.filter(definition=definition, status=RunStatus.SUCCEEDED).order_by("-slot")
    names: set[str] = set()
    for result in results.values_list("result", flat=True)[:limit]:
        analyses = (result or {}).get("analyses") or []
        if analyses and analyses[0].get("strata"):
            names.update(analyses[0]["strata"][0].get("aggregates") or {})
    return names | {"min_impact_ratio"} if names else set()


def run_metric_value(result: dict | None, metric: str) -> float | None:
    """An aggregate of the first analysis/stratum of a stored result; ``min_impact_ratio`` = the lowest eligible
    group's impact ratio."""
    analyses = (result or {}).get("analyses") or []
    if not analyses or not analyses[0].get("strata"):
        return None
    stratum = analyses[0]["strata"][0]
    if metric == "min_impact_ratio":
        values = [
            g["impact_ratio"]["value"]
            for g in stratum["groups"]
            if g["eligible"] and g.get("impact_ratio") and g["impact_ratio"]["value"] is not None
        ]
        return min(values) if values else None
    value = (stratum.get("aggregates", {}).get(metric) or {}).get("value")
    return float(value) if value is not None else None
