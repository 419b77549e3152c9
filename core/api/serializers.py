from __future__ import annotations

from rest_framework import serializers

from core.models import AuditLogEntry


class AuditLogEntrySerializer(serializers.ModelSerializer[AuditLogEntry]):
    acting_user = serializers.CharField(
        source="actor_name", read_only=True, allow_null=True, help_text="Username, kept when the account is deleted."
    )
    target_type = serializers.SerializerMethodField()

    class Meta:
        model = AuditLogEntry
        fields = [
            "id",
            "event_type",
            "event_time",
            "acting_user",
            "target_type",
            "target_object_id",
            "target_repr",
            "reason",
            "extra_data",
        ]

    def get_target_type(self, obj: AuditLogEntry) -> str | None:
        ct = obj.target_content_type
        return None if ct is None else f"{ct.app_label}.{ct.model}"
