from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from notifications.choices import Severity
from notifications.models import Channel, Delivery
from notifications.secrets import config_masked, config_merge_secrets
from notifications.topics import default_topic_keys, topic_choices, topic_keys


class ChannelSerializer(serializers.ModelSerializer[Channel]):
    """A channel; the secrets in ``config`` are write-only (see :mod:`notifications.secrets`)."""

    config = serializers.JSONField(
        help_text="Kind-specific settings. Secrets (webhook secret, Splunk HEC token, Slack/Teams URL, any "
        'secret/token/password key) are write-only: shown as "***"; leave one out (or send "***") to keep '
        "it, send null to remove it.",
        required=False,
    )
    min_severity = serializers.ChoiceField(
        choices=Severity.choices,
        required=False,
        default=Severity.LOW,
        help_text="Messages below this severity are not sent here.",
    )
    topics = serializers.ListField(
        child=serializers.ChoiceField(choices=[]),
        allow_empty=False,
        required=False,
        help_text="What the channel receives: shadow_ai_alert (alerts; which rules is set on the rules), "
        "audit_finding (failed or newly failing fairness audits), obligation_reminder (registry obligations coming "
        "due), evidence_pack_ready (a requested evidence pack was built). Default: shadow_ai_alert only.",
    )

    class Meta:
        model = Channel
        fields = ["id", "name", "kind", "config", "enabled", "topics", "min_severity", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # the registry is complete once the apps are ready, after this module is imported
        topics = self.fields["topics"]
        topics.child.choices = topic_choices()  # type: ignore[attr-defined]
        topics.default = default_topic_keys()

    def validate_topics(self, value: list[str]) -> list[str]:
        return [topic for topic in topic_keys() if topic in value]  # stable order, no duplicates

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "config" in attrs:
            # write-only secrets: one left out, blank or still "***" keeps the stored value (None removes it)
            kind = attrs.get("kind") or (self.instance.kind if self.instance else "")
            stored = self.instance.config if self.instance else {}
            attrs["config"] = config_merge_secrets(kind, stored, attrs["config"])
        values = (
            {f.name: getattr(self.instance, f.name) for f in Channel._meta.concrete_fields} if self.instance else {}
        )
        values.update({k: v for k, v in attrs.items() if k in {f.name for f in Channel._meta.concrete_fields}})
        try:
            Channel(**values).clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        return attrs

    def to_representation(self, instance: Channel) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["config"] = config_masked(instance.kind, instance.config or {})
        return data


class DeliverySerializer(serializers.ModelSerializer[Delivery]):
    status = serializers.CharField(read_only=True, help_text="pending, sending, sent or dead")
    channel_name = serializers.CharField(source="channel.name", read_only=True, default="")
    title = serializers.CharField(read_only=True, help_text="The message's title (or the event key).")
    target_type = serializers.SerializerMethodField(help_text="app_label.model of what the event is about.")
    target_id = serializers.CharField(source="target_object_id", read_only=True)
    recipients = serializers.SerializerMethodField(help_text="Number of addresses of a direct e-mail (no channel).")

    class Meta:
        model = Delivery
        fields = [
            "id",
            "topic",
            "event_key",
            "title",
            "target_type",
            "target_id",
            "channel",
            "channel_name",
            "recipients",
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

    def get_recipients(self, obj: Delivery) -> int:
        return len(obj.recipients or [])


class ReasonSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
