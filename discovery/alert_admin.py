"""Admin for shadow-AI alerts: rules, triage (bulk actions, assignment, comments), silences, channels, the
delivery outbox with dead letters and re-send, promotions into the registry and the block-list download.

Registered by ``discovery.admin`` importing this module. Every write goes through ``discovery.alert_services``.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from core.admin_mixins import AuditedAdmin, ChangeReasonForm
from core.exceptions import ApplicationError
from discovery import alert_services as services
from discovery.alert_choices import DEFAULT_CHANNEL_TOPICS, AlertStatus, ChannelTopic, DeliveryStatus
from discovery.alert_models import Alert, AlertComment, AlertRule, Channel, Delivery, ServicePromotion, Silence
from discovery.alert_selectors import blocklist_render, channels_with_topic
from discovery.blocklist import FILE_NAMES, BlocklistFormat
from discovery.channel_secrets import config_masked, config_merge_secrets, primary_secret_key, secret_keys_set

BLOCKLIST_LABELS = [
    (BlocklistFormat.PLAIN.value, "domains"),
    (BlocklistFormat.SQUID.value, "Squid"),
    (BlocklistFormat.PANOS.value, "PAN-OS EDL"),
    (BlocklistFormat.RPZ.value, "DNS RPZ"),
]


@admin.register(AlertRule)
class AlertRuleAdmin(AuditedAdmin):
    list_display = ["key", "name", "kind", "severity", "enabled", "window_hours", "repeat_interval_hours"]
    list_filter = ["kind", "severity", "enabled"]
    search_fields = ["key", "name", "description"]


class AgeFilter(admin.SimpleListFilter):
    title = "age (last seen)"
    parameter_name = "age"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("1", "last 24 hours"), ("7", "last 7 days"), ("30", "last 30 days"), ("old", "older than 30 days")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if not value:
            return queryset
        if value == "old":
            return queryset.filter(last_seen__lt=timezone.now() - timedelta(days=30))
        return queryset.filter(last_seen__gte=timezone.now() - timedelta(days=int(value)))


class AlertCommentInline(admin.TabularInline):
    model = AlertComment
    extra = 1
    fields = ["body", "author", "created_at"]
    readonly_fields = ["author", "created_at"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    fields = ("channel", "notification", "status", "attempts", "next_attempt_at", "sent_at", "last_error")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _transition_action(to: str, label: str) -> Any:
    @admin.action(description=label, permissions=["change"])
    def act(modeladmin: AlertAdmin, request: HttpRequest, queryset: QuerySet[Alert]) -> None:
        outcome = services.alerts_bulk_transition(alerts=list(queryset), to=to, actor=request.user, reason=label)
        modeladmin.message_user(request, f"{len(outcome.changed)} alert(s) changed.", messages.SUCCESS)
        if outcome.skipped:
            modeladmin.message_user(
                request,
                f"{len(outcome.skipped)} skipped: {'; '.join(sorted(set(outcome.skipped.values())))}",
                messages.WARNING,
            )

    act.__name__ = f"mark_{to}"
    return act


@admin.register(Alert)
class AlertAdmin(SimpleHistoryAdmin):
    """Triage: filter by status, severity, service, rule and age; bulk acknowledge/resolve/false positive/re-open;
    assign to me; comment inline; promote the alert's service into the registry; download the block list."""

    list_display = [
        "summary",
        "rule",
        "service",
        "subject_short",
        "severity",
        "status",
        "assignee",
        "count",
        "last_seen",
        "silenced",
    ]
    list_filter = ["status", "severity", "rule", "service", AgeFilter, "silenced", "assignee"]
    search_fields = ["summary", "subject", "service__name", "rule__key", "fingerprint"]
    list_select_related = ["rule", "service", "assignee"]
    date_hierarchy = "last_seen"
    inlines = [AlertCommentInline, DeliveryInline]
    readonly_fields = [
        "uuid",
        "rule",
        "service",
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
    ]
    fields = readonly_fields
    actions = [
        _transition_action(AlertStatus.ACKNOWLEDGED, "Acknowledge"),
        _transition_action(AlertStatus.RESOLVED, "Resolve"),
        _transition_action(AlertStatus.FALSE_POSITIVE, "Mark false positive"),
        _transition_action(AlertStatus.OPEN, "Re-open"),
        "assign_to_me",
        "promote_service",
    ]

    @admin.display(description="user (pseudonym)")
    def subject_short(self, obj: Alert) -> str:
        return obj.subject[:16] or "organisation"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_promote_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("governance.add_aisystem"))

    def save_model(self, request: HttpRequest, obj: Alert, form: ModelForm, change: bool) -> None:
        """Alert fields change only through triage services; the change form only adds comments."""

    def save_formset(self, request: HttpRequest, form: ModelForm, formset: Any, change: bool) -> None:
        """New comments go through ``alert_comment_add`` (author = the user, audit-logged); nothing else is saved."""
        formset.save(commit=False)  # populates new_objects/changed_objects/deleted_objects for the change message
        if formset.model is not AlertComment:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            return
        formset.new_objects = [
            services.alert_comment_add(alert=form.instance, body=comment.body, actor=request.user)
            for comment in formset.new_objects
            if comment.body.strip()
        ]
        formset.changed_objects, formset.deleted_objects = [], []

    @admin.action(description="Assign to me", permissions=["change"])
    def assign_to_me(self, request: HttpRequest, queryset: QuerySet[Alert]) -> None:
        for alert in queryset:
            services.alert_assign(alert=alert, assignee=request.user, actor=request.user, reason="assigned to self")
        self.message_user(request, f"{queryset.count()} alert(s) assigned to you.", messages.SUCCESS)

    @admin.action(description="Promote the service into the AI registry (draft system)", permissions=["promote"])
    def promote_service(self, request: HttpRequest, queryset: QuerySet[Alert]) -> None:
        seen: set[int] = set()
        for alert in queryset.select_related("service"):
            if alert.service_id in seen:
                continue
            seen.add(alert.service_id)
            try:
                promotion = services.ai_service_promote(
                    service=alert.service, actor=request.user, alert=alert, reason="promoted from alert triage"
                )
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.WARNING)
            else:
                self.message_user(request, f"{alert.service} registered as {promotion.system}.", messages.SUCCESS)

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "blocklist/<str:fmt>/",
                self.admin_site.admin_view(self.blocklist_view),
                name="discovery_alert_blocklist",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        return super().changelist_view(request, {**(extra_context or {}), "blocklist_formats": BLOCKLIST_LABELS})

    def blocklist_view(self, request: HttpRequest, fmt: str) -> HttpResponse:
        if not request.user.has_perm("discovery.view_aiservice"):
            raise PermissionDenied
        if fmt not in BlocklistFormat.__members__.values():
            raise PermissionDenied
        response = HttpResponse(blocklist_render(fmt=fmt), content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{FILE_NAMES[BlocklistFormat(fmt)]}"'
        return response


@admin.register(Silence)
class SilenceAdmin(AuditedAdmin):
    list_display = ["__str__", "rule", "subject", "service", "until", "created_by"]
    list_filter = ["rule", "service"]
    search_fields = ["subject", "reason"]
    fields = ["rule", "subject", "service", "until", "reason", "created_by"]
    readonly_fields = ["created_by"]
    autocomplete_fields = ["service"]

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class ChannelForm(ChangeReasonForm):
    """Topics as checkboxes (the model stores them as a JSON list). Secrets are write-only: the config is shown
    with them masked (``***``), the "secret" field is never filled in, and a secret left blank or masked keeps
    its stored value (:mod:`discovery.channel_secrets`)."""

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
        choices=ChannelTopic.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=list(DEFAULT_CHANNEL_TOPICS),
        help_text="What this channel receives. Fairness-audit findings (failed or newly failing audits) go only to "
        "channels that tick them; the minimum severity applies to both, the rule filter to alerts only.",
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
        return [(value, str(label)) for value, label in ChannelTopic.choices]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return channels_with_topic(queryset, topic=value) if value else queryset


@admin.register(Channel)
class ChannelAdmin(AuditedAdmin):
    form = ChannelForm
    list_display = ["name", "kind", "enabled", "topics_display", "min_severity"]
    list_filter = ["kind", "enabled", TopicFilter, "min_severity"]
    search_fields = ["name"]
    filter_horizontal = ["rules"]

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
        labels = dict(ChannelTopic.choices)
        return ", ".join(str(labels.get(t, t)) for t in obj.topics or [])


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """The outbox: pending, sent and dead-letter deliveries; "Re-send" puts dead ones back in the queue."""

    list_display = [
        "title",
        "topic",
        "channel",
        "notification",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
    ]
    list_filter = ["status", "topic", "channel"]
    list_select_related = ["alert__rule", "alert__service", "channel"]
    search_fields = ["event_key"]
    readonly_fields = (
        "topic",
        "alert",
        "event_key",
        "target_link",
        "channel",
        "notification",
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
            return "- (an alert's message is built from the alert when sent)"
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


@admin.register(ServicePromotion)
class ServicePromotionAdmin(SimpleHistoryAdmin):
    list_display = ["service", "system", "synced_stage", "promoted_by", "created_at"]
    readonly_fields = ["service", "system", "alert", "promoted_by", "synced_stage"]
    actions = ["sync_policy"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Apply the registry decision to the discovery policy now", permissions=["change"])
    def sync_policy(self, request: HttpRequest, queryset: QuerySet[ServicePromotion]) -> None:
        changes = services.promotions_sync_policy()
        self.message_user(request, f"{len(changes)} policy change(s): {changes}", messages.SUCCESS)


@admin.action(description="Promote into the AI registry (draft system for classification)")
def promote_to_registry(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Any]) -> None:
    """For the AI-service changelist: needs ``governance.add_aisystem`` (checked by the service)."""
    for service in queryset:
        try:
            promotion = services.ai_service_promote(service=service, actor=request.user, reason="promoted from catalog")
        except (ApplicationError, PermissionDenied) as exc:
            modeladmin.message_user(request, f"{service}: {getattr(exc, 'message', exc)}", messages.WARNING)
        else:
            modeladmin.message_user(request, f"{service} registered as {promotion.system}.", messages.SUCCESS)
