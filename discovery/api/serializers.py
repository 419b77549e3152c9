from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import serializers

from core.field_access import drop_hidden
from discovery.blocklist import BlocklistFormat
from discovery.choices import PolicyStatus
from discovery.models import AIService, AIServiceRule, LogBatch, LogSource, PolicyException, ServicePromotion


class LogSourceSerializer(serializers.ModelSerializer[LogSource]):
    class Meta:
        model = LogSource
        fields = [
            "id",
            "name",
            "log_format",
            "format_options",
            "time_zone",
            "description",
            "identity_map",
            "strip_domain",
            "lowercase_users",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {
            "identity_map": {"help_text": "IP/user -> person directory; only returned to who may edit sources."}
        }

    def to_representation(self, instance: LogSource) -> dict[str, Any]:
        request = self.context.get("request")
        data = super().to_representation(instance)
        return drop_hidden(LogSource, getattr(request, "user", None), dict(data))

    # A form field's "null" is parsed to None after DRF's allow_null check; the columns are NOT NULL objects.
    def validate_format_options(self, value: Any) -> Any:
        return _json_object(value)

    def validate_identity_map(self, value: Any) -> Any:
        return _json_object(value)


def _json_object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise serializers.ValidationError("Expected a JSON object.")
    return value


class LogBatchSerializer(serializers.ModelSerializer[LogBatch]):
    source_name = serializers.CharField(source="source.name", read_only=True)
    progress = serializers.CharField(read_only=True)
    duplicate_message = serializers.CharField(
        read_only=True, help_text='"already ingested as batch N of source X: ..." when the content repeats a batch.'
    )
    continuation_message = serializers.CharField(
        read_only=True, help_text="When the file continues an earlier batch of its source: only the tail counted."
    )

    class Meta:
        model = LogBatch
        fields = [
            "id",
            "source",
            "source_name",
            "sha256",
            "original_name",
            "size_bytes",
            "content_sha256",
            "content_size",
            "content_skipped",
            "continues",
            "continuation_message",
            "duplicate_of",
            "duplicate_message",
            "duplicate_confirmed_at",
            "log_format",
            "is_capture",
            "status",
            "progress",
            "chunks_total",
            "chunks_done",
            "chunks_failed",
            "records_read",
            "records_parsed",
            "records_malformed",
            "records_skipped",
            "records_matched",
            "records_unmatched",
            "malformed_samples",
            "first_seen",
            "last_seen",
            "created_at",
            "finished_at",
            "error",
            "purged_at",
        ]
        read_only_fields = fields


class LogBatchRetrySerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class LogBatchConfirmSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=500, help_text="Why this content is counted again under this source (kept in the audit log)."
    )


class LogBatchUploadSerializer(serializers.Serializer):
    source = serializers.PrimaryKeyRelatedField(queryset=LogSource.objects.all())  # type: ignore[assignment]
    file = serializers.FileField()
    log_format = serializers.CharField(required=False, allow_blank=True, default="")

    def validate_file(self, value: object) -> object:
        size = getattr(value, "size", 0) or 0
        if size > settings.DISCOVERY_UPLOAD_MAX_BYTES:
            raise serializers.ValidationError(f"file larger than {settings.DISCOVERY_UPLOAD_MAX_BYTES} bytes")
        return value


class LogBatchUploadResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    duplicate = serializers.BooleanField()
    retried = serializers.BooleanField(
        help_text="The file had been ingested as a failed or partial batch: its failed chunks are being retried."
    )
    progress = serializers.CharField()
    log_format = serializers.CharField(help_text="Blank for a compressed file until the worker has detected it.")
    awaiting_confirmation = serializers.BooleanField(
        help_text="The same content was already ingested under another source: not counted unless confirmed "
        "(POST .../log-batches/{id}/confirm/)."
    )
    duplicate_of = serializers.IntegerField(allow_null=True, help_text="The batch whose content this repeats.")
    continues = serializers.IntegerField(
        allow_null=True, help_text="The batch of this source whose content this file begins with: only the tail counts."
    )
    message = serializers.CharField(help_text='What became of the upload ("already ingested as batch N of source X").')


class AIServiceRuleSerializer(serializers.ModelSerializer[AIServiceRule]):
    class Meta:
        model = AIServiceRule
        fields = ["rule_type", "value", "upload", "telemetry", "weak", "source"]


class PolicyExceptionSerializer(serializers.ModelSerializer[PolicyException]):
    class Meta:
        model = PolicyException
        fields = ["id", "department", "group", "policy", "note"]


class AIServiceSerializer(serializers.ModelSerializer[AIService]):
    rules = AIServiceRuleSerializer(many=True, read_only=True)
    policy_exceptions = PolicyExceptionSerializer(many=True, read_only=True)

    class Meta:
        model = AIService
        fields = [
            "id",
            "slug",
            "name",
            "vendor",
            "category",
            "notes",
            "trains_on_user_data",
            "data_retention",
            "data_region",
            "enterprise_tier_available",
            "hq_country",
            "risk_score",
            "risk_factors",
            "policy",
            "policy_note",
            "rules",
            "policy_exceptions",
            "updated_at",
        ]
        read_only_fields = fields


class AIServicePolicySerializer(serializers.Serializer):
    policy = serializers.ChoiceField(choices=PolicyStatus.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class UsageSerializer(serializers.Serializer):
    subject = serializers.CharField()
    subject_kind = serializers.CharField()
    department = serializers.CharField()
    service = serializers.CharField(source="service__slug")
    service_name = serializers.CharField(source="service__name")
    day = serializers.DateField()
    policy_status = serializers.CharField()
    requests = serializers.IntegerField()
    upload_requests = serializers.IntegerField()
    dns_lookups = serializers.IntegerField(help_text="DNS questions for the service (captures only); not requests.")
    bytes_up = serializers.IntegerField()
    bytes_down = serializers.IntegerField()
    first_seen = serializers.DateTimeField()
    last_seen = serializers.DateTimeField()


class MalformedSampleSerializer(serializers.Serializer):
    """One malformed line (``line``, ``text``) or capture frame (``frame``, ``hex``) and why it was refused."""

    line = serializers.IntegerField(required=False)
    frame = serializers.IntegerField(required=False)
    error = serializers.CharField()
    text = serializers.CharField(required=False, allow_blank=True)
    hex = serializers.CharField(required=False, allow_blank=True)


class ReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=500, help_text="Why the raw lines are needed (recorded in the audit log)."
    )


class ReidentifyInputSerializer(serializers.Serializer):
    pseudonym = serializers.CharField(max_length=64)
    reason = serializers.CharField(max_length=500)


class ReidentifyOutputSerializer(serializers.Serializer):
    pseudonym = serializers.CharField()
    identity = serializers.CharField()


class PromotionInputSerializer(serializers.Serializer[Any]):
    service = serializers.SlugRelatedField(slug_field="slug", queryset=AIService.objects.all())
    # the alert model is reached through the promotion's foreign key: discovery does not import the alerts app
    alert = serializers.PrimaryKeyRelatedField(
        queryset=ServicePromotion._meta.get_field("alert").related_model._default_manager.all(),
        required=False,
        allow_null=True,
        help_text="The alert the service is promoted from, if any.",
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class PromotionSerializer(serializers.ModelSerializer[ServicePromotion]):
    service_slug = serializers.CharField(source="service.slug", read_only=True)
    system_name = serializers.CharField(source="system.name", read_only=True)
    system_stage = serializers.CharField(source="system.lifecycle_stage", read_only=True)

    class Meta:
        model = ServicePromotion
        fields = [
            "id",
            "service",
            "service_slug",
            "system",
            "system_name",
            "system_stage",
            "alert",
            "promoted_by",
            "synced_stage",
            "created_at",
        ]
        read_only_fields = fields


BLOCKLIST_FORMATS = [f.value for f in BlocklistFormat]
