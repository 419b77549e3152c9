from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from governance.choices import ObligationStatus, OperatorRole, RiskClass
from governance.models import AISystem, ClassificationRecord, ModelVersion, Obligation


class AISystemFilterSet(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(choices=OperatorRole.choices, method="filter_role", label="Organisation role")
    risk_class = django_filters.MultipleChoiceFilter(choices=[("", "Unclassified"), *RiskClass.choices])
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="Has overdue obligations")

    class Meta:
        model = AISystem
        fields = {
            "lifecycle_stage": ["exact", "in"],
            "business_unit": ["exact", "icontains"],
            "sourcing": ["exact"],
            "deployment": ["exact"],
            "classification_status": ["exact"],
        }

    def filter_role(self, queryset: QuerySet[AISystem], name: str, value: str) -> QuerySet[AISystem]:
        return AISystem.objects.with_role(value).filter(pk__in=queryset.values("pk")) if value else queryset

    def filter_overdue(self, queryset: QuerySet[AISystem], name: str, value: bool | None) -> QuerySet[AISystem]:
        if value is None:
            return queryset
        overdue = AISystem.objects.with_overdue_obligations().values("pk")
        return queryset.filter(pk__in=overdue) if value else queryset.exclude(pk__in=overdue)


class ModelVersionFilterSet(django_filters.FilterSet):
    class Meta:
        model = ModelVersion
        fields = {"system": ["exact"], "version": ["exact"], "release_date": ["gte", "lte"]}


class ObligationFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ObligationStatus.choices)

    class Meta:
        model = Obligation
        fields = {"system": ["exact"], "is_current": ["exact"], "due_date": ["gte", "lte"], "article": ["exact"]}


class ClassificationRecordFilterSet(django_filters.FilterSet):
    class Meta:
        model = ClassificationRecord
        fields = {
            "system": ["exact"],
            "risk_class": ["exact"],
            "status": ["exact"],
            "law_version": ["exact"],
            "changed": ["exact"],
        }
