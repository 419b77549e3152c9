from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from core.admin_mixins import (
    ADMIN_DELETE_REASON,
    AuditedAdmin,
    ChangeReasonForm,
    ReadOnlyHistoryAdmin,
    change_reason,
    form_data,
    formset_save_through,
    stored,
)
from core.exceptions import ApplicationError
from discovery import services
from discovery.charts import trend_chart_png
from discovery.choices import RETRYABLE_BATCH_STATUSES, BatchStatus
from discovery.ingest import CAPTURE_FORMAT
from discovery.models import (
    AIService,
    AIServiceRule,
    LogBatch,
    LogChunk,
    LogSource,
    PolicyException,
    Pseudonym,
    PseudonymRotation,
    ServicePromotion,
    UsageRecord,
)
from discovery.parsers.registry import format_choices
from discovery.selectors import usage_report
from discovery.services import (
    ai_service_promote,
    log_batch_confirm,
    log_batch_delete,
    log_batch_ingest,
    log_batch_retry,
    log_batch_samples_reveal,
    log_batches_delete,
    promotions_sync_policy,
    pseudonym_reidentify,
    usage_record_delete,
    usage_records_delete,
)


@admin.action(description="Promote into the AI registry (draft system for classification)")
def promote_to_registry(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Any]) -> None:
    """For the AI-service changelist: needs ``governance.add_aisystem`` (checked by the service)."""
    for service in queryset:
        try:
            promotion = ai_service_promote(service=service, actor=request.user, reason="promoted from catalog")
        except (ApplicationError, PermissionDenied) as exc:
            modeladmin.message_user(request, f"{service}: {getattr(exc, 'message', exc)}", messages.WARNING)
        else:
            modeladmin.message_user(request, f"{service} registered as {promotion.system}.", messages.SUCCESS)


def _format_field(*, blank: str, help_text: str) -> forms.ChoiceField:
    """A chooser of the log formats the service reads (their labels and names), instead of free text."""
    return forms.ChoiceField(
        choices=[("", blank), *format_choices(capture=CAPTURE_FORMAT)], required=False, help_text=help_text
    )


class LogSourceForm(ChangeReasonForm):
    log_format = _format_field(
        blank="Detect from each file", help_text="The format of this source's logs; blank: detected from each file."
    )


@admin.register(LogSource)
class LogSourceAdmin(AuditedAdmin):
    """Log sources; adds, changes and deletes go through the ``log_source_*`` services (history + audit log)."""

    form = LogSourceForm
    list_display = ["name", "log_format", "time_zone", "strip_domain", "lowercase_users", "updated_at"]
    list_filter = ["log_format"]
    search_fields = ["name", "description"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        reason = change_reason(form)
        if change:
            saved = services.log_source_update(
                source=stored(obj), actor=request.user, reason=reason, data=form_data(form, changed_only=True)
            )
        else:
            saved = services.log_source_create(
                actor=request.user, reason=reason, data=form_data(form, changed_only=False)
            )
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: LogSource) -> None:
        services.log_source_delete(source=obj, actor=request.user, reason=ADMIN_DELETE_REASON)

    @transaction.atomic
    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for source in queryset:
            services.log_source_delete(source=source, actor=request.user, reason=ADMIN_DELETE_REASON)


class AIServiceRuleInline(admin.TabularInline):
    model = AIServiceRule
    extra = 0
    fields = ["rule_type", "value", "upload", "telemetry", "weak", "source"]


class PolicyExceptionInline(admin.TabularInline):
    model = PolicyException
    extra = 0
    fields = ["department", "group", "policy", "note"]


@admin.register(AIService)
class AIServiceAdmin(AuditedAdmin):
    """The catalog. The service, its rules and its policy exceptions are saved through the ``ai_service_*``,
    ``ai_service_rule_*`` and ``policy_exception_*`` services, so a policy change made here is audited as one
    made through the API."""

    list_display = ["name", "vendor", "category", "policy", "risk_score", "data_region", "trains_on_user_data"]
    list_filter = ["policy", "category", "data_region", "trains_on_user_data", "enterprise_tier_available"]
    search_fields = ["name", "vendor", "slug", "rules__value"]
    inlines = [AIServiceRuleInline, PolicyExceptionInline]
    readonly_fields = ["risk_factors_display"]
    actions = [promote_to_registry]

    @admin.display(description="risk factors")
    def risk_factors_display(self, obj: AIService) -> str:
        return "; ".join(f"{f['reason']} (+{f['points']})" for f in obj.risk_factors or [])

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        reason = change_reason(form)
        if change:
            data = form_data(form, changed_only=True)
            if data:
                services.ai_service_update(service=stored(obj), actor=request.user, reason=reason, data=data)
        else:
            obj.pk = services.ai_service_create(
                actor=request.user, reason=reason, data=form_data(form, changed_only=False)
            ).pk

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        actor, reason = request.user, change_reason(form)
        if formset.model is AIServiceRule:
            formset_save_through(
                formset,
                create=lambda data: services.ai_service_rule_create(actor=actor, reason=reason, data=data),
                update=lambda rule, data: services.ai_service_rule_update(
                    rule=rule, actor=actor, reason=reason, data=data
                ),
                delete=lambda rule: services.ai_service_rule_delete(
                    rule=rule, actor=actor, reason=reason or ADMIN_DELETE_REASON
                ),
            )
        elif formset.model is PolicyException:
            formset_save_through(
                formset,
                create=lambda data: services.policy_exception_create(actor=actor, reason=reason, data=data),
                update=lambda exception, data: services.policy_exception_update(
                    exception=exception, actor=actor, reason=reason, data=data
                ),
                delete=lambda exception: services.policy_exception_delete(
                    exception=exception, actor=actor, reason=reason or ADMIN_DELETE_REASON
                ),
            )
        else:  # pragma: no cover - every inline of this admin is handled above
            raise ImproperlyConfigured(f"no service saves {formset.model.__name__} rows")

    def delete_model(self, request: HttpRequest, obj: AIService) -> None:
        services.ai_service_delete(service=obj, actor=request.user, reason=ADMIN_DELETE_REASON)

    @transaction.atomic
    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for service in queryset:
            services.ai_service_delete(service=service, actor=request.user, reason=ADMIN_DELETE_REASON)


class UploadForm(forms.Form):
    source = forms.ModelChoiceField(queryset=LogSource.objects.all())
    file = forms.FileField(help_text="Proxy/firewall/sensor log (plain, .gz or .zip) or a pcap/pcapng capture.")
    log_format = _format_field(
        blank="The source's format (or detect)", help_text="Blank: the source's format, else detected from the file."
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > settings.DISCOVERY_UPLOAD_MAX_BYTES:
            raise forms.ValidationError(f"Larger than {settings.DISCOVERY_UPLOAD_MAX_BYTES} bytes.")
        return upload


class LogChunkInline(admin.TabularInline):
    model = LogChunk
    extra = 0
    can_delete = False
    _columns = ["index", "status", "start_offset", "end_offset", "records_read", "records_malformed", "records_matched"]
    fields = [*_columns, "attempts", "queued_at", "claimed_at", "error"]
    readonly_fields = [*_columns, "attempts", "queued_at", "claimed_at", "error"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LogBatch)
class LogBatchAdmin(admin.ModelAdmin):
    """Uploads with counts and progress; "Add" opens the upload form; "Usage report" shows the analytics; the
    "Retry" action starts a failed or partial batch's failed chunks again."""

    list_display = [
        "__str__",
        "log_format",
        "status",
        "duplicate_display",
        "progress",
        "chunks_failed",
        "records_read",
        "records_malformed",
        "records_matched",
        "first_seen",
        "last_seen",
        "created_at",
    ]
    list_filter = ["status", "log_format", "source"]
    search_fields = ["original_name", "sha256"]
    inlines = [LogChunkInline]
    readonly_fields = [
        "source",
        "sha256",
        "original_name",
        "size_bytes",
        "log_format",
        "is_capture",
        "status",
        "duplicate_display",
        "content_sha256",
        "content_size",
        "content_skipped",
        "continues",
        "duplicate_confirmed_at",
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
        "malformed_display",
        "first_seen",
        "last_seen",
        "uploaded_by",
        "created_at",
        "finished_at",
        "error",
        "purged_at",
    ]
    exclude = ["file", "malformed_samples", "duplicate_of", "content_head_sha256"]
    actions = ["retry_batches", "confirm_duplicates"]
    list_select_related = ["source", "duplicate_of__source"]

    @admin.display(description="duplicate / continuation")
    def duplicate_display(self, obj: LogBatch) -> str:
        """ "already ingested as batch N of source X" (linked), or what earlier batch this file continues."""
        if obj.duplicate_of_id is not None:
            url = reverse("admin:discovery_logbatch_change", args=[obj.duplicate_of_id])
            return format_html('<a href="{}">{}</a>', url, obj.duplicate_message)
        if obj.continues_id is not None:
            url = reverse("admin:discovery_logbatch_change", args=[obj.continues_id])
            return format_html('<a href="{}">{}</a>', url, obj.continuation_message)
        return "—"

    @admin.action(
        description="Count the selected duplicates (same content as another source's batch)", permissions=["retry"]
    )
    def confirm_duplicates(self, request: HttpRequest, queryset: Any) -> None:
        confirmed, skipped = [], []
        for batch in queryset:
            if batch.status != BatchStatus.AWAITING_CONFIRMATION:
                skipped.append(f"{batch.pk} ({batch.status})")
                continue
            try:
                log_batch_confirm(batch=batch, actor=request.user, reason="confirmed in the admin")
            except ApplicationError as exc:
                skipped.append(f"{batch.pk} ({exc.message})")
            else:
                confirmed.append(str(batch.pk))
        if confirmed:
            self.message_user(
                request, f"Counting batch(es) {', '.join(confirmed)}: their chunks are queued.", messages.SUCCESS
            )
        if skipped:
            self.message_user(
                request,
                f"Not confirmed (only batches awaiting confirmation are): {', '.join(skipped)}.",
                messages.WARNING,
            )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_retry_permission(self, request: HttpRequest) -> bool:
        """Who may upload a batch may retry one (re-uploading the same file would retry it anyway)."""
        return request.user.has_perm("discovery.add_logbatch")

    @admin.action(description="Retry the failed chunks of the selected failed/partial batches", permissions=["retry"])
    def retry_batches(self, request: HttpRequest, queryset: Any) -> None:
        retried, skipped = [], []
        for batch in queryset:
            if batch.status not in RETRYABLE_BATCH_STATUSES:
                skipped.append(f"{batch.pk} ({batch.status})")
                continue
            try:
                log_batch_retry(batch=batch, actor=request.user, reason="retried in the admin")
            except ApplicationError as exc:
                skipped.append(f"{batch.pk} ({exc.message})")
            else:
                retried.append(str(batch.pk))
        if retried:
            self.message_user(
                request, f"Retrying batch(es) {', '.join(retried)}: their failed chunks are queued.", messages.SUCCESS
            )
        if skipped:
            self.message_user(
                request, f"Not retried (only failed or partial batches are): {', '.join(skipped)}.", messages.WARNING
            )

    def delete_model(self, request: HttpRequest, obj: LogBatch) -> None:
        log_batch_delete(batch=obj, actor=request.user, reason=ADMIN_DELETE_REASON)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        log_batches_delete(batches=list(queryset), actor=request.user, reason=ADMIN_DELETE_REASON)

    @admin.display(description="malformed lines (sample, redacted)")
    def malformed_display(self, obj: LogBatch) -> str:
        if not obj.malformed_samples:
            return "—"
        return format_html(
            "<br>".join(["line {}: {} — <code>{}</code>"] * len(obj.malformed_samples)),
            *[v for s in obj.malformed_samples for v in (s.get("line", s.get("frame")), s["error"], s.get("text", ""))],
        )

    @admin.display(description="raw malformed lines")
    def samples_reveal_link(self, obj: LogBatch) -> str:
        url = reverse("admin:discovery_logbatch_samples_reveal", args=[obj.pk])
        return format_html('<a href="{}">Reveal the raw lines (audited, needs a reason)</a>', url)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.malformed_samples and request.user.has_perm("discovery.reidentify_pseudonym"):
            fields.insert(fields.index("malformed_display") + 1, "samples_reveal_link")
        return fields

    def samples_reveal_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Reason form, then the raw malformed lines of one batch (``log_batch_samples_reveal``: audited)."""
        if not request.user.has_perm("discovery.reidentify_pseudonym"):
            raise PermissionDenied
        batch = get_object_or_404(LogBatch, pk=pk)
        form = ReidentifyForm(request.POST or None)
        samples = None
        if request.method == "POST" and form.is_valid():
            samples = log_batch_samples_reveal(batch=batch, actor=request.user, reason=form.cleaned_data["reason"])
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "batch": batch,
            "samples": samples,
            "title": "Raw malformed lines",
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/discovery/samples_reveal.html", context)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/samples/reveal/", view(self.samples_reveal_view), name="discovery_logbatch_samples_reveal"),
            path("upload/", view(self.upload_view), name="discovery_logbatch_upload"),
            path("report/", view(self.report_view), name="discovery_logbatch_report"),
            *super().get_urls(),
        ]

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:discovery_logbatch_upload"))

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                outcome = log_batch_ingest(
                    source=form.cleaned_data["source"],
                    fileobj=upload,
                    name=upload.name,
                    actor=request.user,
                    log_format=form.cleaned_data["log_format"],
                )
            except ApplicationError as exc:
                form.add_error("file", exc.message)
            else:
                level = messages.WARNING if outcome.awaiting_confirmation else messages.SUCCESS
                self.message_user(request, f"{upload.name} {outcome.message}.", level)
                return HttpResponseRedirect(reverse("admin:discovery_logbatch_change", args=[outcome.batch.pk]))
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "title": "Upload a log or capture",
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/discovery/upload.html", context)

    def report_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        period = ReportPeriodForm(request.GET or None)
        days = period.cleaned_data["days"] if period.is_valid() and period.cleaned_data["days"] else REPORT_DAYS
        report = usage_report(days=days)
        context = {
            **self.admin_site.each_context(request),
            **report,
            "period": period,
            "days": days,
            "title": "Shadow-AI usage report",
            "chart": trend_chart_png(report["per_day"]),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/discovery/report.html", context)


@admin.register(PseudonymRotation)
class PseudonymRotationAdmin(admin.ModelAdmin):
    """Re-pseudonymisation runs (``manage.py pseudonym_rotate``): read-only, written by the rotation service."""

    list_display = ["id", "to_version", "status", "pseudonyms_converted", "pseudonyms_merged", "created_at"]
    list_filter = ["status", "to_version"]
    readonly_fields = [
        "to_version",
        "status",
        "started_by",
        "batches",
        "pseudonyms_converted",
        "pseudonyms_merged",
        "rows_converted",
        "samples_resealed",
        "rows_left",
        "error",
        "created_at",
        "finished_at",
    ]
    fields = list(readonly_fields)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


#: the usage report's default period, days
REPORT_DAYS = 30


class ReportPeriodForm(forms.Form):
    """The usage report's period: a whole number of days back from today (``?days=abc`` is a form error shown on
    the page, with the default period, never a server error)."""

    days = forms.IntegerField(
        min_value=1, max_value=100_000, required=False, initial=REPORT_DAYS, help_text="Days back from today."
    )


class ReidentifyForm(forms.Form):
    reason = forms.CharField(max_length=500, help_text="Why you need the identity (recorded in the audit log).")


@admin.register(Pseudonym)
class PseudonymAdmin(admin.ModelAdmin):
    list_display = ["pseudonym", "kind", "key_version", "created_at"]
    list_filter = ["kind", "key_version"]
    search_fields = ["pseudonym"]
    fields = ["pseudonym", "kind", "key_version", "created_at"]
    readonly_fields = ["pseudonym", "kind", "key_version", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:pk>/reidentify/",
                self.admin_site.admin_view(self.reidentify_view),
                name="discovery_pseudonym_reidentify",
            ),
            *super().get_urls(),
        ]

    def reidentify_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not request.user.has_perm("discovery.reidentify_pseudonym"):
            raise PermissionDenied
        row = get_object_or_404(Pseudonym, pk=pk)
        form = ReidentifyForm(request.POST or None)
        identity = None
        if request.method == "POST" and form.is_valid():
            identity = pseudonym_reidentify(
                pseudonym=row.pseudonym, actor=request.user, reason=form.cleaned_data["reason"]
            )
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "row": row,
            "identity": identity,
            "title": "Re-identify a pseudonym",
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/discovery/reidentify.html", context)


@admin.register(UsageRecord)
class UsageRecordAdmin(admin.ModelAdmin):
    list_display = [
        "day",
        "service",
        "subject_short",
        "subject_kind",
        "department",
        "policy_status",
        "requests",
        "upload_requests",
        "dns_lookups",
        "bytes_up",
        "bytes_down",
    ]
    list_filter = ["policy_status", "subject_kind", "day", "service__category"]
    search_fields = ["subject", "service__name", "department"]
    list_select_related = ["service"]

    @admin.display(description="subject")
    def subject_short(self, obj: UsageRecord) -> str:
        return obj.subject[:16]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: UsageRecord) -> None:
        usage_record_delete(record=obj, actor=request.user, reason=ADMIN_DELETE_REASON)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        usage_records_delete(records=list(queryset), actor=request.user, reason=ADMIN_DELETE_REASON)


@admin.register(ServicePromotion)
class ServicePromotionAdmin(ReadOnlyHistoryAdmin):
    list_display = ["service", "system", "synced_stage", "promoted_by", "created_at"]
    readonly_fields = ["service", "system", "alert", "promoted_by", "synced_stage"]
    actions = ["sync_policy"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Apply the registry decision to the discovery policy now", permissions=["change"])
    def sync_policy(self, request: HttpRequest, queryset: QuerySet[ServicePromotion]) -> None:
        changes = promotions_sync_policy()
        self.message_user(request, f"{len(changes)} policy change(s): {changes}", messages.SUCCESS)
