from __future__ import annotations

from core.api.viewsets import ServiceModelViewSet
from governance import services
from governance.api.serializers import AISystemSerializer
from governance.filtersets import AISystemFilterSet
from governance.selectors import ai_system_list


class AISystemViewSet(ServiceModelViewSet):
    """The AI-system inventory. Writes: compliance officers. Reads: every role."""

    queryset = ai_system_list()
    serializer_class = AISystemSerializer
    filterset_class = AISystemFilterSet
    search_fields = ["name", "purpose", "business_unit", "business_owner", "technical_owner"]
    ordering_fields = ["name", "created_at", "updated_at", "lifecycle_stage"]
    create_service = staticmethod(services.ai_system_register)
    update_service = staticmethod(services.ai_system_update)
    delete_service = staticmethod(services.ai_system_delete)
    instance_kwarg = "system"
