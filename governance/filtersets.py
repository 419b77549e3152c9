from __future__ import annotations

import django_filters

from governance.models import AISystem


class AISystemFilterSet(django_filters.FilterSet):
    class Meta:
        model = AISystem
        fields = {"lifecycle_stage": ["exact", "in"], "business_unit": ["exact", "icontains"]}
