from __future__ import annotations

from audits import services
from audits.api.serializers import AuditDefinitionSerializer
from audits.filtersets import AuditDefinitionFilterSet
from audits.selectors import audit_definition_list
from core.api.viewsets import ServiceModelViewSet


class AuditDefinitionViewSet(ServiceModelViewSet):
    """Fairness-audit definitions. Writes: compliance officers. Reads: compliance officers and auditors."""

    queryset = audit_definition_list()
    serializer_class = AuditDefinitionSerializer
    filterset_class = AuditDefinitionFilterSet
    search_fields = ["name", "description", "ai_system__name"]
    ordering_fields = ["name", "created_at"]
    create_service = staticmethod(services.audit_definition_create)
    update_service = staticmethod(services.audit_definition_update)
    delete_service = staticmethod(services.audit_definition_delete)
    instance_kwarg = "definition"
