from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from rest_framework import serializers

from governance.choices import ClassificationStatus, LifecycleStage, OperatorRole, RiskClass
from governance.classification import FactsValidationError, facts_from_dict, list_law_versions
from governance.constants import DEFAULT_LAW_VERSION
from governance.models import AISystem, ClassificationRecord, ModelVersion, Obligation, ObligationEvidence


class AISystemSerializer(serializers.ModelSerializer[AISystem]):
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=OperatorRole.choices),
        required=False,
        help_text="The organisation's roles for this system (Art. 3(3)-(8)); several allowed.",
    )
    personal_data_categories = serializers.ListField(child=serializers.CharField(), required=False)
    facts = serializers.JSONField(
        required=False,
        help_text="Classification questionnaire; schema at GET /api/v1/governance/classification-schema/. "
        "'roles' is taken from the system's roles.",
    )
    # read-only fields lose the model's blank=True in DRF, so the schema would not admit "" (never classified)
    risk_class = serializers.ChoiceField(
        choices=RiskClass.choices, allow_blank=True, read_only=True, help_text="Empty until the system is classified."
    )
    classification_status = serializers.ChoiceField(
        choices=ClassificationStatus.choices,
        allow_blank=True,
        read_only=True,
        help_text="incomplete: an answer left unknown (null) would change the class or the obligations; the latest "
        "classification record lists the open questions. Empty until the system is classified.",
    )

    class Meta:
        model = AISystem
        fields = [
            "id",
            "name",
            "purpose",
            "business_unit",
            "business_owner",
            "technical_owner",
            "vendor",
            "sourcing",
            "deployment",
            "data_location",
            "personal_data_categories",
            "affected_persons",
            "roles",
            "facts",
            "lifecycle_stage",
            "risk_class",
            "classification_status",
            "classified_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "lifecycle_stage",
            "risk_class",
            "classification_status",
            "classified_at",
            "created_at",
            "updated_at",
        ]

    def validate_roles(self, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise serializers.ValidationError("Duplicate roles.")
        return list(value)

    def validate_facts(self, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise serializers.ValidationError("Expected a JSON object.")
        try:
            facts_from_dict({k: v for k, v in value.items() if k != "roles"})
        except FactsValidationError as exc:
            raise serializers.ValidationError(exc.errors) from exc
        return value


class ModelVersionSerializer(serializers.ModelSerializer[ModelVersion]):
    class Meta:
        model = ModelVersion
        fields = [
            "id",
            "system",
            "version",
            "artifact_uri",
            "base_model",
            "training_compute_flop",
            "release_date",
            "intended_use_notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


class ObligationEvidenceSerializer(serializers.ModelSerializer[ObligationEvidence]):
    class Meta:
        model = ObligationEvidence
        fields = ["id", "description", "url", "file", "created_at"]
        read_only_fields = fields


class ObligationSerializer(serializers.ModelSerializer[Obligation]):
    evidence = ObligationEvidenceSerializer(many=True, read_only=True)
    owner = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.all(), allow_null=True, required=False)
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Obligation
        fields = [
            "id",
            "system",
            "obligation_id",
            "article",
            "duty",
            "roles",
            "applies_from",
            "deadline_text",
            "verified",
            "is_current",
            "status",
            "not_applicable_reason",
            "owner",
            "due_date",
            "is_overdue",
            "evidence",
            "updated_at",
        ]
        read_only_fields = [
            "system",
            "obligation_id",
            "article",
            "duty",
            "roles",
            "applies_from",
            "deadline_text",
            "verified",
            "is_current",
            "updated_at",
        ]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        status = attrs.get("status", getattr(self.instance, "status", None))
        reason = attrs.get("not_applicable_reason", getattr(self.instance, "not_applicable_reason", ""))
        if status == "not_applicable" and not (reason or "").strip():
            raise serializers.ValidationError({"not_applicable_reason": "Required when the status is not applicable."})
        return attrs


class OpenQuestionSerializer(serializers.Serializer):
    question = serializers.CharField(help_text="Fact path, e.g. art_6_3.profiles_natural_persons.")
    title = serializers.CharField()
    answer = serializers.CharField(help_text="The answer that would change the result (yes, no, or a description).")
    risk_class = serializers.CharField(help_text="The class under that answer.")
    obligations_added = serializers.ListField(child=serializers.CharField())
    obligations_removed = serializers.ListField(child=serializers.CharField())
    dates_changed = serializers.ListField(child=serializers.CharField())


class ClassificationRecordSerializer(serializers.ModelSerializer[ClassificationRecord]):
    created_by: serializers.StringRelatedField = serializers.StringRelatedField()
    summary = serializers.CharField(
        read_only=True, help_text="The class in one line; when incomplete e.g. 'at least limited; high if ... = yes'."
    )
    open_questions = OpenQuestionSerializer(
        many=True, read_only=True, help_text="Unknown answers that would change the result (empty when complete)."
    )

    class Meta:
        model = ClassificationRecord
        fields = [
            "id",
            "system",
            "created_at",
            "created_by",
            "law_version",
            "as_of",
            "risk_class",
            "status",
            "summary",
            "open_questions",
            "changed",
            "facts",
            "result",
            "diff",
        ]
        read_only_fields = fields


class ClassifyInputSerializer(serializers.Serializer):
    law_version = serializers.ChoiceField(choices=list_law_versions(), required=False, default=DEFAULT_LAW_VERSION)
    as_of = serializers.DateField(required=False, allow_null=True, default=None, help_text="Defaults to today.")


class TransitionInputSerializer(serializers.Serializer):
    # a CharField (validated below) rather than a ChoiceField: the same choices as AISystem.lifecycle_stage would
    # make drf-spectacular name the enum twice (a schema warning)
    to = serializers.CharField(help_text="Target lifecycle stage: " + ", ".join(LifecycleStage.values))
    reason = serializers.CharField(max_length=100, help_text="Why; recorded in the audit log and history.")

    def validate_to(self, value: str) -> str:
        if value not in LifecycleStage.values:
            raise serializers.ValidationError(f"Must be one of {', '.join(LifecycleStage.values)}.")
        return value


class TransitionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    lifecycle_stage = serializers.CharField()
    risk_class = serializers.CharField()


class EvidenceInputSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=200, required=False, default="")
    url = serializers.URLField(max_length=500, required=False, default="")
    file = serializers.FileField(required=False, allow_null=True, default=None)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("url") and not attrs.get("file"):
            raise serializers.ValidationError("Give a URL or upload a file.")
        return attrs
