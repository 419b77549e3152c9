from __future__ import annotations

from django.contrib import admin

from audits.models import AuditDefinition
from core.admin_mixins import AuditedAdmin


@admin.register(AuditDefinition)
class AuditDefinitionAdmin(AuditedAdmin):
    list_display = ["name", "ai_system", "updated_at"]
    list_filter = ["ai_system"]
    search_fields = ["name", "description", "ai_system__name"]
    list_select_related = ["ai_system"]
