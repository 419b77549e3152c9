"""Admin for evidence packs: request form, list with status and progress, permission-checked, audited download.

The old ``/admin/evidence/evidencepack/...`` URLs redirect here (``config.urls``), so bookmarks keep working.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from audits.selectors import audit_run_list
from core.exceptions import ApplicationError
from evidence import services as evidence_services
from evidence.choices import EvidencePackStatus
from evidence.models import EvidencePack
from governance.selectors import ai_system_list


class EvidencePackRequestForm(forms.Form):
    ai_system = forms.ModelChoiceField(queryset=ai_system_list(), label="AI system")
    audit_run = forms.ModelChoiceField(
        queryset=audit_run_list().order_by("-slot"),
        required=False,
        help_text="Optional: a pack for this one audit run only.",
    )
    period_start = forms.DateField(required=False, help_text="YYYY-MM-DD; with the end date, limits the period.")
    period_end = forms.DateField(required=False)
    reason = forms.CharField(required=False, max_length=500, help_text="Why this pack is requested (audit trail).")


@admin.register(EvidencePack)
class EvidencePackAdmin(admin.ModelAdmin):
    """Packs are never edited or deleted here: they are evidence. New ones come from the request form."""

    list_display = [
        "short_id",
        "ai_system",
        "scope",
        "status",
        "progress_display",
        "requested_by",
        "requested_at",
        "size",
        "key_id",
        "download_link",
    ]
    list_filter = ["status", "timestamped", "ai_system"]
    search_fields = ["id", "ai_system__name", "sha256", "key_id"]
    list_select_related = ["ai_system", "requested_by", "audit_run"]
    date_hierarchy = "requested_at"
    readonly_fields = [f.name for f in EvidencePack._meta.fields] + ["download_link"]
    actions = ["request_same_scope"]
    change_list_template = "admin/evidence/evidencepack/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: EvidencePack | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: EvidencePack | None = None) -> bool:
        return False

    @admin.display(description="Pack")
    def short_id(self, pack: EvidencePack) -> str:
        return str(pack.pk)[:8]

    @admin.display(description="Scope")
    def scope(self, pack: EvidencePack) -> str:
        return f"run {pack.audit_run_id}" if pack.audit_run_id else pack.period_label

    @admin.display(description="Progress")
    def progress_display(self, pack: EvidencePack) -> str:
        if pack.status == EvidencePackStatus.BUILT:
            return "100%"
        if pack.status == EvidencePackStatus.FAILED:
            return format_html('<span title="{}">failed</span>', pack.error)
        return format_html(
            '<progress max="100" value="{}"></progress> {}% {}', pack.progress, pack.progress, pack.progress_step
        )

    @admin.display(description="Download")
    def download_link(self, pack: EvidencePack) -> str:
        if pack.status != EvidencePackStatus.BUILT:
            return "-"
        url = reverse("admin:evidence_evidencepack_download", args=[pack.pk])
        return format_html('<a href="{}">{}</a>', url, pack.filename)

    def get_urls(self) -> list[URLPattern]:
        own = [
            path("request/", self.admin_site.admin_view(self.request_view), name="evidence_evidencepack_request"),
            path(
                "<uuid:pack_id>/download/",
                self.admin_site.admin_view(self.download_view),
                name="evidence_evidencepack_download",
            ),
        ]
        return own + super().get_urls()

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        context = {
            **(extra_context or {}),
            "can_request": request.user.has_perm(evidence_services.REQUEST_PERMISSION),
            "request_url": reverse("admin:evidence_evidencepack_request"),
            # while a pack is being built the list reloads itself so the progress moves
            "refresh": EvidencePack.objects.filter(
                status__in=[EvidencePackStatus.PENDING, EvidencePackStatus.BUILDING]
            ).exists(),
        }
        return super().changelist_view(request, extra_context=context)

    def request_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm(evidence_services.REQUEST_PERMISSION):
            raise PermissionDenied
        initial = {k: request.GET[k] for k in ("ai_system", "audit_run") if k in request.GET}
        form = EvidencePackRequestForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                pack = evidence_services.evidence_pack_request(
                    ai_system=form.cleaned_data["ai_system"],
                    audit_run=form.cleaned_data["audit_run"],
                    period_start=form.cleaned_data["period_start"],
                    period_end=form.cleaned_data["period_end"],
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, f"Evidence pack {str(pack.pk)[:8]} requested; it is being built.")
                return HttpResponseRedirect(reverse("admin:evidence_evidencepack_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Request an evidence pack",
            "form": form,
        }
        return TemplateResponse(request, "admin/evidence/evidencepack/request.html", context)

    def download_view(self, request: HttpRequest, pack_id: str) -> HttpResponse:
        if not request.user.has_perm(evidence_services.DOWNLOAD_PERMISSION):
            raise PermissionDenied
        pack = EvidencePack.objects.select_related("ai_system").filter(pk=pack_id).first()
        if pack is None:
            raise PermissionDenied
        try:
            data = evidence_services.evidence_pack_download(pack=pack, actor=request.user, via="admin")
        except ApplicationError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)
            return HttpResponseRedirect(reverse("admin:evidence_evidencepack_changelist"))
        response = HttpResponse(data, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{pack.filename}"'
        return response

    @admin.action(description="Request a new pack with the same scope", permissions=["request"])
    def request_same_scope(self, request: HttpRequest, queryset: QuerySet[EvidencePack]) -> None:
        for pack in queryset:
            evidence_services.evidence_pack_request(
                ai_system=pack.ai_system,
                audit_run=pack.audit_run,
                period_start=pack.period_start,
                period_end=pack.period_end,
                actor=request.user,
                reason=f"same scope as pack {str(pack.pk)[:8]}",
            )
        self.message_user(request, f"{queryset.count()} new pack(s) requested.")

    def has_request_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(evidence_services.REQUEST_PERMISSION)
