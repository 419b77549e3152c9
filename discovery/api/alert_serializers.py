from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from discovery.alert_choices import DEFAULT_CHANNEL_TOPICS, AlertSeverity, AlertStatus, ChannelTopic
from discovery.alert_models import Alert, AlertComment, AlertRule, Channel, Delivery, ServicePromotion, Silence
from discovery.blocklist import BlocklistFormat
from discovery.channel_secrets import config_masked, config_merge_secrets
from discovery.models import AIService


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


class ChannelSerializer(serializers.ModelSerializer[Channel]):
    """A channel; the secrets in ``config`` are write-only (see :mod:`discovery.channel_secrets`)."""

    config = serializers.JSONField(
        help_text="Kind-specific settings. Secrets (webhook secret, Splunk HEC token, Slack/Teams URL, any "
        'secret/token/password key) are write-only: shown as "***"; leave one out (or send "***") to keep '
        "it, send null to remove it.",
        required=False,
    )
    min_severity = serializers.CharField(
        required=False, default=AlertSeverity.LOW, help_text="low, medium, high or critical (alerts below are skipped)"
    )
    rules = serializers.PrimaryKeyRelatedField(queryset=AlertRule.objects.all(), many=True, required=False)
    topics = serializers.ListField(
        child=serializers.ChoiceField(choices=ChannelTopic.choices),
        allow_empty=False,
        required=False,
        default=list(DEFAULT_CHANNEL_TOPICS),
        help_text="What the channel receives: shadow_ai_alert (alerts, by severity and rules), audit_finding "
        "(failed or newly failing fairness audits, by severity). Default: shadow_ai_alert only.",
    )

    class Meta:
        model = Channel
        fields = [
            "id",
            "name",
            "kind",
            "config",
            "enabled",
            "topics",
            "min_severity",
            "rules",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def validate_topics(self, value: list[str]) -> list[str]:
        return [topic for topic in ChannelTopic.values if topic in value]  # stable order, no duplicates

    def validate_min_severity(self, value: str) -> str:
        if value not in AlertSeverity.values:
            raise serializers.ValidationError(f"one of {', '.join(AlertSeverity.values)}")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "config" in attrs:
            # write-only secrets: one left out, blank or still "***" keeps the stored value (None removes it)
            kind = attrs.get("kind") or (self.instance.kind if self.instance else "")
            stored = self.instance.config if self.instance else {}
            attrs["config"] = config_merge_secrets(kind, stored, attrs["config"])
        return _clean_with_model(self, attrs)

    def to_representation(self, instance: Channel) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["config"] = config_masked(instance.kind, instance.config or {})
        return data


class SilenceSerializer(serializers.ModelSerializer[Silence]):
    class Meta:
        model = Silence
        fields = ["id", "rule", "subject", "service", "until", "reason", "created_by", "created_at", "updated_at"]
        read_only_fields = ["created_by", "created_at", "updated_at"]


class DeliverySerializer(serializers.ModelSerializer[Delivery]):
    status = serializers.CharField(read_only=True, help_text="pending, sending, sent or dead")
    channel_name = serializers.CharField(source="channel.name", read_only=True)
    title = serializers.CharField(read_only=True, help_text="The alert's summary or the event's title.")
    target_type = serializers.SerializerMethodField(help_text="app_label.model of what a non-alert event is about.")
    target_id = serializers.CharField(source="target_object_id", read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "topic",
            "alert",
            "event_key",
            "title",
            "target_type",
            "target_id",
            "channel",
            "channel_name",
            "notification",
            "status",
            "attempts",
            "next_attempt_at",
            "sent_at",
            "last_error",
            "created_at",
        ]
        read_only_fields = fields

    def get_target_type(self, obj: Delivery) -> str:
        ct = obj.target_content_type
        return f"{ct.app_label}.{ct.model}" if ct is not None else ""


class ReasonSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class PromotionInputSerializer(serializers.Serializer[Any]):
    service = serializers.SlugRelatedField(slug_field="slug", queryset=AIService.objects.all())
    alert = serializers.PrimaryKeyRelatedField(queryset=Alert.objects.all(), required=False, allow_null=True)
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
