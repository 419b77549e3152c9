"""Reads for fairness audits."""

from __future__ import annotations

from django.db.models import QuerySet

from audits.models import AuditDefinition


def audit_definition_list() -> QuerySet[AuditDefinition]:
    return AuditDefinition.objects.select_related("ai_system")
