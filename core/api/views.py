from __future__ import annotations

from rest_framework import viewsets

from core.api.serializers import AuditLogEntrySerializer
from core.filtersets import AuditLogEntryFilterSet
from core.selectors import audit_log_list


class AuditLogEntryViewSet(viewsets.ReadOnlyModelViewSet):
    """The explicit audit log (transitions, classifications, downloads ...). Read-only for everyone."""

    queryset = audit_log_list()
    serializer_class = AuditLogEntrySerializer
    filterset_class = AuditLogEntryFilterSet
    search_fields = ["event_type", "target_repr", "reason"]
    ordering_fields = ["event_time", "event_type"]
