from __future__ import annotations

import copy
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from audits.models import AuditDefinition, AuditRun, Finding


class AuditDefinitionSerializer(serializers.ModelSerializer[AuditDefinition]):
    """Shape only: the model's clean() and the services check the configuration (metrics, bands, cron, source)."""

    sensitive_features = serializers.ListField(child=serializers.CharField(max_length=100), required=False)
    metrics = serializers.ListField(child=serializers.CharField(max_length=100), required=False)
    thresholds = serializers.DictField(child=serializers.DictField(), required=False)

    class Meta:
        model = AuditDefinition
        fields = [
            "id",
            "name",
            "ai_system",
            "description",
            "model_version",
            "source_type",
            "source_file",
            "source_path",
            "source_url",
            "source_database",
            "source_query",
            "file_format",
            "task_type",
            "column_y_true",
            "column_y_pred",
            "column_y_score",
            "score_threshold",
            "column_sample_weight",
            "sensitive_features",
            "column_control",
            "pos_label",
            "metrics",
            "intersectional",
            "reference_group",
            "min_group_size",
            "thresholds",
            "n_boot",
            "legal_basis",
            "enabled",
            "schedule_cron",
            "schedule_interval_minutes",
            "periodic_task",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["periodic_task", "created_at", "updated_at"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """Run the model's cross-field checks so configuration errors come back as field errors (400)."""
        candidate = copy.copy(self.instance) if self.instance is not None else AuditDefinition()
        for key, value in attrs.items():
            setattr(candidate, key, value)
        try:
            candidate.clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(serializers.as_serializer_error(exc)) from exc
        return attrs


class AuditRunSerializer(serializers.ModelSerializer[AuditRun]):
    definition_name = serializers.CharField(source="definition.name", read_only=True)
    ai_system = serializers.IntegerField(source="definition.ai_system_id", read_only=True)
    # plain strings, not enums: "status" enums of several apps would collide in the OpenAPI component names
    status = serializers.CharField(read_only=True, help_text="pending | running | succeeded | failed")

    class Meta:
        model = AuditRun
        fields = [
            "id",
            "definition",
            "definition_name",
            "ai_system",
            "model_version",
            "slot",
            "trigger",
            "requested_by",
            "status",
            "attempts",
            "started_at",
            "finished_at",
            "error",
            "input_sha256",
            "input_bytes",
            "row_count",
            "rows_excluded",
            "fairlearn_version",
            "verdict",
            "notes",
            "created_at",
        ]
        read_only_fields = fields


class AuditRunDetailSerializer(AuditRunSerializer):
    class Meta(AuditRunSerializer.Meta):
        fields = [*AuditRunSerializer.Meta.fields, "result"]
        read_only_fields = fields


class FindingSerializer(serializers.ModelSerializer[Finding]):
    status = serializers.CharField(read_only=True, help_text="open | resolved")

    class Meta:
        model = Finding
        fields = [
            "id",
            "ai_system",
            "definition",
            "run",
            "kind",
            "status",
            "title",
            "description",
            "obligation",
            "registry_obligation",
            "resolved_at",
            "created_at",
        ]
        read_only_fields = fields
