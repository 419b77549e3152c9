from __future__ import annotations

from django.contrib import admin

from core.admin_mixins import AuditedAdmin
from discovery.models import LogSource


@admin.register(LogSource)
class LogSourceAdmin(AuditedAdmin):
    list_display = ["name", "log_format", "time_zone", "updated_at"]
    list_filter = ["log_format"]
    search_fields = ["name", "description"]
