from __future__ import annotations

import django_filters

from audits.models import AuditDefinition, AuditRun, Finding
from core.filters import UTCIsoDateTimeFilter


class AuditDefinitionFilterSet(django_filters.FilterSet):
    class Meta:
        model = AuditDefinition
        fields = ["ai_system", "model_version", "task_type", "legal_basis", "source_type", "enabled"]


class AuditRunFilterSet(django_filters.FilterSet):
    ai_system = django_filters.NumberFilter(field_name="definition__ai_system")
    slot_after = UTCIsoDateTimeFilter(field_name="slot", lookup_expr="gte")
    slot_before = UTCIsoDateTimeFilter(field_name="slot", lookup_expr="lt")

    class Meta:
        model = AuditRun
        fields = ["definition", "model_version", "status", "verdict", "trigger"]


class FindingFilterSet(django_filters.FilterSet):
    class Meta:
        model = Finding
        fields = ["ai_system", "definition", "status", "kind"]
