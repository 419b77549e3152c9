from __future__ import annotations

from core.api.viewsets import ServiceModelViewSet
from discovery import services
from discovery.api.serializers import LogSourceSerializer
from discovery.filtersets import LogSourceFilterSet
from discovery.selectors import log_source_list


class LogSourceViewSet(ServiceModelViewSet):
    """Log sources. Writes: security analysts. Reads: every role."""

    queryset = log_source_list()
    serializer_class = LogSourceSerializer
    filterset_class = LogSourceFilterSet
    search_fields = ["name", "description"]
    ordering_fields = ["name", "created_at"]
    create_service = staticmethod(services.log_source_create)
    update_service = staticmethod(services.log_source_update)
    delete_service = staticmethod(services.log_source_delete)
    instance_kwarg = "source"
