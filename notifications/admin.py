"""Admin of the notification outbox: channels (secrets write-only, topics as checkboxes) and deliveries (pending,
sent and dead letters, with re-send). Every write goes through ``notifications.services``."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from core.admin_mixins import AuditedAdmin, ChangeReasonForm, stored
from notifications import services
from notifications.choices import DeliveryStatus
from notifications.models import Channel, Delivery
from notifications.secrets import config_masked, config_merge_secrets, primary_secret_key, secret_keys_set
from notifications.selectors import channels_with_topic
from notifications.topics import default_topic_keys, topic_choices


class ChannelForm(ChangeReasonForm):
    """Topics as checkboxes (the model stores them as a JSON list). Secrets are write-only: the config is shown
    with them masked (``***``), the "secret" field is never filled in, and a secret left blank or masked keeps
    its stored value (:mod:`notifications.secrets`)."""

    secret_value = forms.CharField(
        label="Secret (write-only)",
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="The webhook's HMAC secret, the Splunk HEC token, or the Slack/Teams webhook URL. Never shown; "
        "leave blank to keep the current one. Other secrets (any secret/token/password key) can be typed into the "
        'config; "***" there keeps the stored value, null removes it.',
    )

    topics = forms.MultipleChoiceField(
        choices=topic_choices,
        widget=forms.CheckboxSelectMultiple,
        initial=default_topic_keys,
        help_text="What this channel receives. Anything but shadow-AI alerts (audit findings, obligation reminders, "
        "evidence packs ready) goes only to channels that tick it; the minimum severity applies to all. Which alert "
        "rules reach this channel is set on the rules.",
    )

    class Meta:
        model = Channel
        fields = "__all__"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.initial["config"] = config_masked(self.instance.kind, self.instance.config or {})
            keys = secret_keys_set(self.instance.kind, self.instance.config)
            if keys and "secret_value" in self.fields:
                self.fields["secret_value"].help_text += f" Currently set: {', '.join(keys)}."

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind = cleaned.get("kind") or self.instance.kind
        if "config" in cleaned:
            # the stored row, not self.instance: on a history page the instance is a (masked) historical copy
            stored = (
                Channel.objects.filter(pk=self.instance.pk).values_list("config", flat=True).first()
                if self.instance.pk is not None
                else {}
            )
            config = config_merge_secrets(kind, stored or {}, cleaned["config"])
            secret = cleaned.get("secret_value")
            if secret:
                key = primary_secret_key(kind)
                if key is None or not isinstance(config, dict):
                    self.add_error("secret_value", "This kind of channel has no secret; leave it blank.")
                else:
                    config[key] = secret
            cleaned["config"] = config
        return cleaned


class TopicFilter(admin.SimpleListFilter):
    title = "topic"
    parameter_name = "topic"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return topic_choices()

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return channels_with_topic(queryset, topic=value) if value else queryset


#: form fields that are not model fields
_FORM_ONLY = ("change_reason", "secret_value")


@admin.register(Channel)
class ChannelAdmin(AuditedAdmin):
    form = ChannelForm
    list_display = ["name", "kind", "enabled", "topics_display", "min_severity"]
    list_filter = ["kind", "enabled", TopicFilter, "min_severity"]
    search_fields = ["name"]

    def _view_only(self, request: HttpRequest, obj: Any) -> bool:
        return obj is not None and not self.has_change_permission(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "config_display"] if self._view_only(request, obj) else readonly

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        """Read-only viewers (auditors, compliance officers) see the masked config instead of the raw field."""
        fields = list(super().get_fields(request, obj))
        if self._view_only(request, obj):
            fields = [f for f in fields if f not in ("config", "secret_value")]
        return fields

    @admin.display(description="config")
    def config_display(self, obj: Channel) -> str:
        masked = config_masked(obj.kind, obj.config or {})
        return format_html("<pre>{}</pre>", json.dumps(masked, indent=2, ensure_ascii=False, sort_keys=True))

    @admin.display(description="topics")
    def topics_display(self, obj: Channel) -> str:
        labels = dict(topic_choices())
        return ", ".join(str(labels.get(t, t)) for t in obj.topics or [])

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Through ``channel_create`` / ``channel_update`` (history with the reason, secrets merged)."""
        reason = form.cleaned_data.get("change_reason") or ""
        if change:
            data = {f: form.cleaned_data[f] for f in form.changed_data if f not in _FORM_ONLY}
            if "secret_value" in form.changed_data and form.cleaned_data.get("secret_value"):
                data["config"] = form.cleaned_data["config"]
            services.channel_update(channel=stored(obj), actor=request.user, reason=reason, data=data)
        else:
            data = {f: v for f, v in form.cleaned_data.items() if f not in _FORM_ONLY}
            obj.pk = services.channel_create(actor=request.user, reason=reason, data=data).pk

    def delete_model(self, request: HttpRequest, obj: Channel) -> None:
        services.channel_delete(channel=obj, actor=request.user, reason="deleted in the admin")

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Channel]) -> None:
        for channel in queryset:
            self.delete_model(request, channel)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """The outbox: pending, sent and dead-letter deliveries; "Re-send" puts dead ones back in the queue."""

    list_display = ["title", "topic", "destination", "status", "attempts", "next_attempt_at", "sent_at", "last_error"]
    list_filter = ["status", "topic", "channel"]
    list_select_related = ["channel"]
    search_fields = ["event_key"]
    readonly_fields = (
        "topic",
        "event_key",
        "target_link",
        "channel",
        "recipients",
        "status",
        "attempts",
        "next_attempt_at",
        "claimed_at",
        "sent_at",
        "last_error",
        "created_at",
        "payload_pretty",
    )
    fields = readonly_fields
    actions = ["resend"]

    @admin.display(description="event")
    def title(self, obj: Delivery) -> str:
        return obj.title[:120]

    @admin.display(description="to", ordering="channel__name")
    def destination(self, obj: Delivery) -> str:
        if obj.channel is not None:
            return str(obj.channel)
        return f"e-mail to {len(obj.recipients)} recipient(s)"

    @admin.display(description="about")
    def target_link(self, obj: Delivery) -> str:
        ct = obj.target_content_type
        if ct is None or not obj.target_object_id:
            return "-"
        label = f"{ct.name} #{obj.target_object_id}"
        try:
            url = reverse(f"admin:{ct.app_label}_{ct.model}_change", args=[obj.target_object_id])
        except NoReverseMatch:
            return label
        return format_html('<a href="{}">{}</a>', url, label)

    @admin.display(description="message snapshot")
    def payload_pretty(self, obj: Delivery) -> str:
        if not obj.payload:
            return "- (built from the object it is about when sent)"
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, indent=2, ensure_ascii=False, sort_keys=True))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Re-send", permissions=["change"])
    def resend(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        done = 0
        for delivery in queryset.exclude(status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING]):
            services.delivery_resend(delivery=delivery, actor=request.user, reason="re-sent from the admin")
            done += 1
        self.message_user(request, f"{done} deliver{'y' if done == 1 else 'ies'} queued again.", messages.SUCCESS)
