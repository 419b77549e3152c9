from __future__ import annotations

from django.contrib import admin

from core.admin_mixins import AuditedAdmin
from governance.models import AISystem


@admin.register(AISystem)
class AISystemAdmin(AuditedAdmin):
    list_display = ["name", "business_unit", "business_owner", "lifecycle_stage", "updated_at"]
    list_filter = ["lifecycle_stage", "business_unit"]
    search_fields = ["name", "purpose", "business_unit", "business_owner", "technical_owner"]
    readonly_fields = ["lifecycle_stage"]
