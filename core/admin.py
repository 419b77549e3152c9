from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from core.models import AuditLogEntry, WorkerHeartbeat


class ReadOnlyAdmin(admin.ModelAdmin):
    """Append-only/derived tables: visible to those with view permission, editable by nobody."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditLogEntry)
class AuditLogEntryAdmin(ReadOnlyAdmin):
    list_display = ["event_time", "event_type", "acting_user", "target_repr", "reason"]
    list_filter = ["event_type", "target_content_type", ("event_time", admin.DateFieldListFilter)]
    search_fields = ["event_type", "target_repr", "reason", "acting_user__username"]
    date_hierarchy = "event_time"
    list_select_related = ["acting_user", "target_content_type"]


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(ReadOnlyAdmin):
    list_display = ["name", "last_seen", "beats", "hostname"]
