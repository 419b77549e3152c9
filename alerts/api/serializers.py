from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from alerts.choices import AlertStatus
from alerts.models import Alert, AlertComment, AlertRule, Silence
from notifications.selectors import channel_list


def _clean_with_model(serializer: serializers.ModelSerializer[Any], attrs: dict[str, Any]) -> dict[str, Any]:
    """Run the model's ``clean()`` (rule parameters, channel config) so its errors come back as a 400."""
    model: Any = serializer.Meta.model
    current = serializer.instance
    values = {f.name: getattr(current, f.name) for f in model._meta.concrete_fields} if current else {}
    values.update({k: v for k, v in attrs.items() if k in {f.name for f in model._meta.concrete_fields}})
    try:
        model(**values).clean()
    except DjangoValidationError as exc:
        raise serializers.ValidationError(exc.message_dict) from exc
    return attrs


class AlertRuleSerializer(serializers.ModelSerializer[AlertRule]):
    channels = serializers.PrimaryKeyRelatedField(
        queryset=channel_list(),
        many=True,
        required=False,
        help_text="Channels this rule's alerts go to (besides their severity filter). Empty: every channel "
        "subscribed to shadow_ai_alert.",
    )

    class Meta:
        model = AlertRule
        fields = [
            "id",
            "key",
            "name",
            "kind",
            "description",
            "severity",
            "enabled",
            "params",
            "window_hours",
            "repeat_interval_hours",
            "channels",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return _clean_with_model(self, attrs)


class AlertSerializer(serializers.ModelSerializer[Alert]):
    # plain strings in the schema: the same choice sets are enums on the input serializers (one component each)
    status = serializers.CharField(read_only=True, help_text="open, acknowledged, resolved or false_positive")
    severity = serializers.CharField(read_only=True, help_text="low, medium, high or critical")
    rule_key = serializers.CharField(source="rule.key", read_only=True)
    rule_name = serializers.CharField(source="rule.name", read_only=True)
    service_slug = serializers.CharField(source="service.slug", read_only=True)
    service_name = serializers.CharField(source="service.name", read_only=True)

    class Meta:
        model = Alert
        fields = [
            "id",
            "uuid",
            "rule",
            "rule_key",
            "rule_name",
            "service",
            "service_slug",
            "service_name",
            "subject",
            "subject_kind",
            "severity",
            "status",
            "assignee",
            "summary",
            "details",
            "count",
            "fingerprint",
            "window_start",
            "first_seen",
            "last_seen",
            "silenced",
            "notified_at",
            "notifications",
            "resolved_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class AlertTransitionSerializer(serializers.Serializer[Any]):
    to = serializers.ChoiceField(choices=AlertStatus.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class AlertAssignSerializer(serializers.Serializer[Any]):
    assignee = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.all(), allow_null=True)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class AlertCommentInputSerializer(serializers.Serializer[Any]):
    body = serializers.CharField(max_length=5000)


class AlertCommentSerializer(serializers.ModelSerializer[AlertComment]):
    author_name = serializers.CharField(source="author.username", read_only=True, default="")

    class Meta:
        model = AlertComment
        fields = ["id", "alert", "author", "author_name", "body", "created_at"]
        read_only_fields = fields


class AlertBulkSerializer(serializers.Serializer[Any]):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), min_length=1, max_length=1000
    )
    to = serializers.ChoiceField(choices=AlertStatus.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class AlertBulkResultSerializer(serializers.Serializer[Any]):
    changed = serializers.ListField(child=serializers.IntegerField())
    skipped = serializers.DictField(child=serializers.CharField())


class SilenceSerializer(serializers.ModelSerializer[Silence]):
    class Meta:
        model = Silence
        fields = ["id", "rule", "subject", "service", "until", "reason", "created_by", "created_at", "updated_at"]
        read_only_fields = ["created_by", "created_at", "updated_at"]
