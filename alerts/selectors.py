"""Reads for shadow-AI alerts: alerts, rules, silences, and the pseudonyms alerts still hold."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Q, QuerySet

from alerts.choices import ACTIVE_STATUSES
from alerts.models import Alert, AlertRule, Silence


def alert_list() -> QuerySet[Alert]:
    return Alert.objects.select_related("rule", "service", "assignee")


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
