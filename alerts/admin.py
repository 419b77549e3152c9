"""Admin for shadow-AI alerts: rules (with the channels they route to), triage (bulk actions, assignment,
comments, the alert's notifications), silences, promotion of an alert's service into the registry and the
block-list download. Every write goes through ``alerts.services`` (or ``discovery.services`` for promotions)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.contenttypes.admin import GenericTabularInline
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from alerts import services
from alerts.choices import ALERT_TRANSITIONS, AlertStatus
from alerts.models import Alert, AlertComment, AlertRule, Silence
from alerts.selectors import alert_list, alerts_active_by_severity
from core.admin_mixins import AuditedAdmin, ReadOnlyHistoryAdmin, stored
from core.exceptions import ApplicationError
from discovery.blocklist import FILE_NAMES, BlocklistFormat
from discovery.models import Pseudonym
from discovery.selectors import (
    blocklist_render,
    log_sources_freshness,
    usage_new_services,
    usage_top_departments,
    usage_top_subjects,
)
from discovery.services import ai_service_promote
from notifications.models import Delivery

#: the audit-log reason of deletes made in the admin (its delete pages ask for none)
ADMIN_DELETE_REASON = "deleted in the admin"

BLOCKLIST_LABELS = [
    (BlocklistFormat.PLAIN.value, "domains"),
    (BlocklistFormat.SQUID.value, "Squid"),
    (BlocklistFormat.PANOS.value, "PAN-OS EDL"),
    (BlocklistFormat.RPZ.value, "DNS RPZ"),
]


def _changed(form: Any) -> dict[str, Any]:
    return {f: form.cleaned_data[f] for f in form.changed_data if f != "change_reason" and f in form.cleaned_data}


def _cleaned(form: Any) -> dict[str, Any]:
    return {f: v for f, v in form.cleaned_data.items() if f != "change_reason"}


@admin.register(AlertRule)
class AlertRuleAdmin(AuditedAdmin):
    """Rules; saves and deletes through ``alert_rule_create`` / ``_update`` / ``_delete`` (history with the
    reason). The channels a rule routes to are set here (none: every channel subscribed to alerts)."""

    list_display = ["key", "name", "kind", "severity", "enabled", "window_hours", "repeat_interval_hours"]
    list_filter = ["kind", "severity", "enabled"]
    search_fields = ["key", "name", "description"]
    filter_horizontal = ["channels"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        reason = form.cleaned_data.get("change_reason") or ""
        if change:
            services.alert_rule_update(rule=stored(obj), actor=request.user, reason=reason, data=_changed(form))
        else:
            obj.pk = services.alert_rule_create(actor=request.user, reason=reason, data=_cleaned(form)).pk

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """The channels were set by the service (``form.save_m2m`` would set them again, outside it)."""
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request: HttpRequest, obj: AlertRule) -> None:
        services.alert_rule_delete(rule=obj, actor=request.user, reason=ADMIN_DELETE_REASON)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[AlertRule]) -> None:
        for rule in queryset:
            self.delete_model(request, rule)


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


class DeliveryInline(GenericTabularInline):
    """The alert's notifications in the outbox (``notifications.Delivery`` rows about it)."""

    model = Delivery
    ct_field = "target_content_type"
    ct_fk_field = "target_object_id"
    extra = 0
    can_delete = False
    fields = ("channel", "event_key", "status", "attempts", "next_attempt_at", "sent_at", "last_error")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


#: the triage buttons and bulk actions, in the order they are offered
TRIAGE_LABELS: dict[AlertStatus, str] = {
    AlertStatus.ACKNOWLEDGED: "Acknowledge",
    AlertStatus.RESOLVED: "Resolve",
    AlertStatus.FALSE_POSITIVE: "Mark false positive",
    AlertStatus.OPEN: "Re-open",
}


class TriageReasonForm(forms.Form):
    """Why the selected alerts are resolved or marked false positive (kept in their history and the audit log)."""

    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text="What was done, or why it is not a risk. Kept in each alert's history and the audit log.",
    )


def _transition_action(to: str, label: str) -> Any:
    @admin.action(description=label, permissions=["change"])
    def act(modeladmin: AlertAdmin, request: HttpRequest, queryset: QuerySet[Alert]) -> HttpResponse | None:
        reason = label
        if to in services.REASON_REQUIRED:  # ask first, on an intermediate page (as Django's delete confirmation)
            form = TriageReasonForm(request.POST if "apply_reason" in request.POST else None)
            if not form.is_valid():
                context = {
                    **modeladmin.admin_site.each_context(request),
                    "title": f"{label}: why?",
                    "opts": modeladmin.model._meta,
                    "alerts": queryset.select_related("rule", "service"),
                    "form": form,
                    "action": request.POST.get("action", ""),
                    "label": label,
                    "action_checkbox_name": ACTION_CHECKBOX_NAME,
                }
                return TemplateResponse(request, "admin/alerts/alert/triage_reason.html", context)
            reason = form.cleaned_data["reason"]
        outcome = services.alerts_bulk_transition(alerts=list(queryset), to=to, actor=request.user, reason=reason)
        modeladmin.message_user(request, f"{len(outcome.changed)} alert(s) changed.", messages.SUCCESS)
        if outcome.skipped:
            modeladmin.message_user(
                request,
                f"{len(outcome.skipped)} skipped: {'; '.join(sorted(set(outcome.skipped.values())))}",
                messages.WARNING,
            )
        return None

    act.__name__ = f"mark_{to}"
    return act


@admin.register(Alert)
class AlertAdmin(ReadOnlyHistoryAdmin):
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
    list_filter = [
        "status",
        "severity",
        "rule",
        ("service", admin.RelatedOnlyFieldListFilter),  # the services alerts are about, not the whole catalogue
        AgeFilter,
        "silenced",
        ("assignee", admin.RelatedOnlyFieldListFilter),
    ]
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
        *(_transition_action(status, label) for status, label in TRIAGE_LABELS.items()),
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
                promotion = ai_service_promote(
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
                name="alerts_alert_blocklist",
            ),
            path("<int:pk>/triage/", self.admin_site.admin_view(self.triage_view), name="alerts_alert_triage"),
            path("home/", self.admin_site.admin_view(self.security_home_view), name="alerts_security_home"),
            *super().get_urls(),
        ]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """The alert page with its triage buttons (the transitions allowed from its status; resolving and false
        positive need a reason) and, for holders of the re-identification permission, a link to re-identify its
        user (audited there, with a reason)."""
        alert = self.get_object(request, object_id)
        context = dict(extra_context or {})
        if alert is not None:
            if self.has_change_permission(request, alert):
                allowed = ALERT_TRANSITIONS.get(alert.status, frozenset())
                context["triage"] = [
                    (status.value, TRIAGE_LABELS[status], status in services.REASON_REQUIRED)
                    for status in AlertStatus
                    if status in allowed
                ]
            context["reidentify_url"] = self._reidentify_url(request, alert)
        return super().change_view(request, object_id, form_url, context)

    def _reidentify_url(self, request: HttpRequest, alert: Alert) -> str | None:
        if not alert.subject or not request.user.has_perm("discovery.reidentify_pseudonym"):
            return None
        pseudonym = Pseudonym.objects.filter(pseudonym=alert.subject).values_list("pk", flat=True).first()
        return reverse("admin:discovery_pseudonym_reidentify", args=[pseudonym]) if pseudonym else None

    def security_home_view(self, request: HttpRequest) -> HttpResponse:
        """The security team's landing page: open alerts by severity and the latest ones, new AI services this
        week, top users and departments by upload volume (7 days), and each log source's last data."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        today = timezone.localdate()
        week = today - timedelta(days=7)
        context = {
            **self.admin_site.each_context(request),
            "title": "Security home",
            "opts": self.model._meta,
            "severities": alerts_active_by_severity(),
            "latest": alert_list().filter(status=AlertStatus.OPEN).order_by("-last_seen")[:10],
            "new_services": usage_new_services(since=week),
            "top_subjects": usage_top_subjects(since=week),
            "top_departments": usage_top_departments(since=week),
            "sources": log_sources_freshness(),
            "since": week,
            "can_reidentify": request.user.has_perm("discovery.reidentify_pseudonym"),
        }
        return TemplateResponse(request, "admin/alerts/security_home.html", context)

    def triage_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """POST ``to`` and ``reason`` from the alert page's triage buttons: ``alert_transition``, then back."""
        alert = self.get_object(request, str(pk))
        if alert is None:
            raise Http404("no such alert")
        if request.method != "POST" or not self.has_change_permission(request, alert):
            raise PermissionDenied
        to = request.POST.get("to", "")
        try:
            alert = services.alert_transition(
                alert=alert, to=to, actor=request.user, reason=request.POST.get("reason", "").strip()
            )
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(request, f"Alert {alert.get_status_display().lower()}.", messages.SUCCESS)
        return redirect("admin:alerts_alert_change", alert.pk)

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
    list_filter = ["rule", ("service", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["subject", "reason"]
    fields = ["rule", "subject", "service", "until", "reason", "created_by"]
    readonly_fields = ["created_by"]
    autocomplete_fields = ["service"]

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        """Through ``silence_create`` (audit-logged, ``created_by`` = the user) / ``silence_update``."""
        reason = form.cleaned_data.get("change_reason") or ""
        if change:
            services.silence_update(silence=stored(obj), actor=request.user, reason=reason, data=_changed(form))
        else:
            obj.pk = services.silence_create(actor=request.user, reason=reason, data=_cleaned(form)).pk

    def delete_model(self, request: HttpRequest, obj: Silence) -> None:
        services.silence_delete(silence=obj, actor=request.user, reason=ADMIN_DELETE_REASON)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Silence]) -> None:
        for silence in queryset:
            self.delete_model(request, silence)
