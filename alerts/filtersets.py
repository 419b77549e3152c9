from __future__ import annotations

from datetime import timedelta

import django_filters
from django.db.models import QuerySet
from django.utils import timezone

from alerts.choices import AlertSeverity, AlertStatus
from alerts.models import Alert, AlertRule, Silence
from core.filters import BoundedNumberFilter

#: the oldest age an alert filter accepts: 100 years (larger values would overflow ``now() - timedelta``)
MAX_AGE_DAYS = 36_500


class AlertFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=AlertStatus.choices)
    severity = django_filters.MultipleChoiceFilter(choices=AlertSeverity.choices)
    service = django_filters.CharFilter(field_name="service__slug")
    rule = django_filters.CharFilter(field_name="rule__key")
    subject = django_filters.CharFilter(help_text="Pseudonym.")
    # bounded to a database id: ?assignee=-7.5e35 is a 400, not an OverflowError on SQLite
    assignee = BoundedNumberFilter(field_name="assignee_id", min_value=1, max_value=2**63 - 1)
    max_age_days = BoundedNumberFilter(
        method="filter_max_age", min_value=0, max_value=MAX_AGE_DAYS, help_text="Last seen within N days."
    )
    min_age_days = BoundedNumberFilter(
        method="filter_min_age", min_value=0, max_value=MAX_AGE_DAYS, help_text="Last seen N days ago or more."
    )

    class Meta:
        model = Alert
        fields = ["status", "severity", "service", "rule", "subject", "assignee", "silenced"]

    def filter_max_age(self, queryset: QuerySet[Alert], name: str, value: float) -> QuerySet[Alert]:
        return queryset.filter(last_seen__gte=timezone.now() - timedelta(days=float(value)))

    def filter_min_age(self, queryset: QuerySet[Alert], name: str, value: float) -> QuerySet[Alert]:
        return queryset.filter(last_seen__lte=timezone.now() - timedelta(days=float(value)))


class AlertRuleFilterSet(django_filters.FilterSet):
    class Meta:
        model = AlertRule
        fields = ["kind", "severity", "enabled"]


class SilenceFilterSet(django_filters.FilterSet):
    class Meta:
        model = Silence
        fields = ["rule", "service", "subject"]
