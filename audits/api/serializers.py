from __future__ import annotations

from rest_framework import serializers

from audits.models import AuditDefinition


class AuditDefinitionSerializer(serializers.ModelSerializer[AuditDefinition]):
    class Meta:
        model = AuditDefinition
        fields = ["id", "name", "ai_system", "description", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]
