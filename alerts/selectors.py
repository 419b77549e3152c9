"""Reads for shadow-AI alerts: alerts, rules, silences, and the pseudonyms alerts still hold."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet

from alerts.choices import ACTIVE_STATUSES, SEVERITY_RANK, AlertSeverity, AlertStatus
from alerts.models import Alert, AlertRule, Silence


def alert_list() -> QuerySet[Alert]:
    return Alert.objects.select_related("rule", "service", "assignee")


def alerts_active_by_severity() -> list[dict[str, Any]]:
    """Open and acknowledged alerts per severity, most severe first, every severity listed (zero included)."""
    counts = {
        (row["severity"], row["status"]): row["n"]
        for row in Alert.objects.filter(status__in=ACTIVE_STATUSES).values("severity", "status").annotate(n=Count("id"))
    }
    ranked = sorted(AlertSeverity, key=lambda severity: -SEVERITY_RANK[severity])
    return [
        {
            "severity": severity.value,
            "label": severity.label,
            "open": counts.get((severity.value, AlertStatus.OPEN.value), 0),
            "acknowledged": counts.get((severity.value, AlertStatus.ACKNOWLEDGED.value), 0),
        }
        for severity in ranked
    ]


def alert_rule_list() -> QuerySet[AlertRule]:
    return AlertRule.objects.prefetch_related("channels")


def silence_list() -> QuerySet[Silence]:
    return Silence.objects.select_related("rule", "service", "created_by")


def alert_subjects_retained(*, cutoff: datetime, **kwargs: object) -> Iterable[str]:
    """Pseudonyms of alerts seen since ``cutoff`` or still open or acknowledged, and of silences not yet expired at
    ``cutoff``: the discovery retention purge keeps them (registered with
    ``discovery.signals.retained_subjects_register`` by ``AlertsConfig.ready``), so a key rotation can still
    re-derive them from their identity."""
    alerted = (
        Alert.objects.filter(Q(last_seen__gte=cutoff) | Q(status__in=ACTIVE_STATUSES))
        .exclude(subject="")
        .values_list("subject", flat=True)
        .distinct()
    )
    silenced = Silence.objects.filter(until__gte=cutoff).exclude(subject="").values_list("subject", flat=True)
    return [*alerted, *silenced]
