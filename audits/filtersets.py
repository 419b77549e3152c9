from __future__ import annotations

import django_filters

from audits.models import AuditDefinition


class AuditDefinitionFilterSet(django_filters.FilterSet):
    class Meta:
        model = AuditDefinition
        fields = ["ai_system"]
