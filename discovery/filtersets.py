from __future__ import annotations

import django_filters

from discovery.choices import PolicyStatus
from discovery.models import AIService, LogBatch, LogSource, UsageRecord


class LogSourceFilterSet(django_filters.FilterSet):
    class Meta:
        model = LogSource
        fields = ["log_format", "time_zone"]


class LogBatchFilterSet(django_filters.FilterSet):
    class Meta:
        model = LogBatch
        fields = ["source", "status", "log_format", "sha256"]


class AIServiceFilterSet(django_filters.FilterSet):
    class Meta:
        model = AIService
        fields = ["category", "policy", "vendor", "slug"]


class UsageFilterSet(django_filters.FilterSet):
    service = django_filters.CharFilter(field_name="service__slug")
    user = django_filters.CharFilter(field_name="subject", help_text="Pseudonym of the user or device.")
    day = django_filters.DateFilter(field_name="day")
    day_from = django_filters.DateFilter(field_name="day", lookup_expr="gte")
    day_to = django_filters.DateFilter(field_name="day", lookup_expr="lte")
    policy = django_filters.ChoiceFilter(field_name="policy_status", choices=PolicyStatus.choices)
    department = django_filters.CharFilter(field_name="department")

    class Meta:
        model = UsageRecord
        fields = ["service", "user", "day", "day_from", "day_to", "policy", "department"]
