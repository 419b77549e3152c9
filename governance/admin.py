"""Admin for compliance officers: the registry with questionnaire, classification, transitions, obligations,
printable summaries, CSV/XLSX import/export and the overview page (linked from the admin index)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from import_export.admin import ImportExportModelAdmin

from core.admin_mixins import (
    ADMIN_DELETE_REASON,
    AuditedAdmin,
    ChangeReasonForm,
    change_reason,
    formset_save_through,
    stored,
)
from core.exceptions import ApplicationError
from governance import services
from governance.charts import CLASS_COLOURS, bar_chart_svg
from governance.choices import ClassificationStatus, LifecycleStage, OperatorRole
from governance.constants import AI_SYSTEM_TRANSITIONS, DEFAULT_LAW_VERSION, OVERVIEW_HORIZONS_DAYS
from governance.forms import QuestionnaireForm, TransitionForm
from governance.models import AISystem, ClassificationRecord, ModelVersion, Obligation, ObligationEvidence
from governance.selectors import overview_data


class RoleFilter(admin.SimpleListFilter):
    title = "organisation role"
    parameter_name = "role"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return list(OperatorRole.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet[AISystem]) -> QuerySet[AISystem]:
        value = self.value()
        return queryset.filter(pk__in=AISystem.objects.with_role(value).values("pk")) if value else queryset


class OverdueFilter(admin.SimpleListFilter):
    title = "overdue obligations"
    parameter_name = "overdue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Has overdue obligations"), ("no", "None overdue")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[AISystem]) -> QuerySet[AISystem]:
        overdue = AISystem.objects.with_overdue_obligations().values("pk")
        if self.value() == "yes":
            return queryset.filter(pk__in=overdue)
        if self.value() == "no":
            return queryset.exclude(pk__in=overdue)
        return queryset


class ModelVersionInline(admin.TabularInline):
    model = ModelVersion
    extra = 0
    fields = ["version", "base_model", "training_compute_flop", "release_date", "artifact_uri", "intended_use_notes"]


class ObligationInline(admin.TabularInline):
    """The checklist, editable inline (status, reason, owner, due date); the legal text comes from the engine."""

    model = Obligation
    extra = 0
    max_num = 0
    can_delete = False
    fields = [
        "article",
        "duty",
        "applies_from",
        "deadline_text",
        "status",
        "not_applicable_reason",
        "owner",
        "due_date",
        "evidence_link",
    ]
    readonly_fields = ["article", "duty", "applies_from", "deadline_text", "evidence_link"]
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[Obligation]:
        return super().get_queryset(request).filter(is_current=True).prefetch_related("evidence")

    @admin.display(description="evidence")
    def evidence_link(self, obj: Obligation) -> str:
        url = reverse("admin:governance_obligation_change", args=[obj.pk])
        return format_html('<a href="{}">{} item(s)</a>', url, len(obj.evidence.all()))


class ClassificationRecordInline(admin.TabularInline):
    """Classification history, newest first (read-only: records are immutable)."""

    model = ClassificationRecord
    extra = 0
    can_delete = False
    fields = ["created_at", "law_version", "as_of", "risk_class", "status", "changed", "created_by"]
    readonly_fields = ["created_at", "law_version", "as_of", "risk_class", "status", "changed", "created_by"]
    show_change_link = True
    ordering = ["-created_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _classified(record: ClassificationRecord) -> str:
    """What a classification found, for messages: the class, or "incomplete: at least X; Y if ..."."""
    if record.status == ClassificationStatus.INCOMPLETE:
        return f"incomplete, {record.summary} ({len(record.open_questions)} open question(s))"
    return str(record.get_risk_class_display())


def _level(record: ClassificationRecord) -> int:
    return messages.WARNING if record.status == ClassificationStatus.INCOMPLETE else messages.SUCCESS


def _transition_action(stage: str, label: str) -> Callable[..., None]:
    def action(modeladmin: AISystemAdmin, request: HttpRequest, queryset: QuerySet[AISystem]) -> None:
        for system in queryset:
            try:
                services.ai_system_transition(system=system, to=stage, actor=request.user, reason="admin bulk action")
            except ApplicationError as exc:
                modeladmin.message_user(request, f"{system}: {exc.message}", messages.ERROR)
            else:
                modeladmin.message_user(request, f"{system}: moved to {label}.", messages.SUCCESS)

    action.__name__ = f"transition_to_{stage}"
    return admin.action(description=f"Move selected systems to {label}", permissions=["change"])(action)


class AISystemAdminForm(ChangeReasonForm):
    roles = forms.MultipleChoiceField(
        choices=OperatorRole.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Several allowed; copied into the classification facts (Art. 3(3)-(8), Art. 25).",
    )

    class Meta:
        model = AISystem
        fields = "__all__"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # fields with a default may be left out of a POST (scripts, older clients): keep the current value then
        for name in ("sourcing", "deployment", "personal_data_categories"):
            if name in self.fields:
                self.fields[name].required = False

    def _keep(self, name: str) -> Any:
        value = self.cleaned_data.get(name)
        if value in (None, ""):
            return getattr(self.instance, name)
        return value

    def clean_sourcing(self) -> Any:
        return self._keep("sourcing")

    def clean_deployment(self) -> Any:
        return self._keep("deployment")

    def clean_personal_data_categories(self) -> Any:
        return self._keep("personal_data_categories") or []


@admin.register(AISystem)
class AISystemAdmin(ImportExportModelAdmin, AuditedAdmin):
    form = AISystemAdminForm
    list_display = [
        "name",
        "business_unit",
        "risk_class",
        "classification_status",
        "lifecycle_stage",
        "roles_display",
        "overdue_count",
        "classified_at",
    ]
    list_filter = [
        "risk_class",
        "classification_status",
        "lifecycle_stage",
        RoleFilter,
        "business_unit",
        OverdueFilter,
        "sourcing",
    ]
    search_fields = ["name", "purpose", "business_unit", "business_owner", "technical_owner", "vendor"]
    readonly_fields = ["lifecycle_stage", "risk_class", "classification_status", "classified_at", "workflow_links"]
    inlines = [ModelVersionInline, ObligationInline, ClassificationRecordInline]
    actions = [
        "classify_selected",
        *[_transition_action(value, label) for value, label in LifecycleStage.choices if value != "proposed"],
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "name",
                    "purpose",
                    "workflow_links",
                    "lifecycle_stage",
                    "risk_class",
                    "classification_status",
                    "classified_at",
                ]
            },
        ),
        ("Ownership", {"fields": ["business_unit", "business_owner", "technical_owner", "vendor", "sourcing"]}),
        ("Organisation's roles (Art. 3(3)-(8))", {"fields": ["roles"]}),
        (
            "Deployment and data",
            {"fields": ["deployment", "data_location", "personal_data_categories", "affected_persons"]},
        ),
    ]

    def get_resource_classes(self, request: HttpRequest) -> list[type[Any]]:
        """The inventory's import/export resource, imported on first use: building it imports more of
        django-import-export (and psycopg, for its PostgreSQL field widgets) than app loading needs."""
        from governance.resources import AISystemResource

        return [AISystemResource]

    def get_queryset(self, request: HttpRequest) -> QuerySet[AISystem]:
        return super().get_queryset(request).prefetch_related("obligations")

    def get_formsets_with_inlines(self, request: HttpRequest, obj: Any = None) -> Any:
        # A POST without an inline's management form (a script editing only the system's own fields) leaves that
        # inline alone instead of failing with "ManagementForm data is missing".
        for formset, inline in super().get_formsets_with_inlines(request, obj):
            if request.method == "POST" and f"{formset.get_default_prefix()}-TOTAL_FORMS" not in request.POST:
                continue
            yield formset, inline

    # -- import/export follows the role matrix: import needs add+change, export needs view ------------------------
    def has_import_permission(self, request: HttpRequest) -> bool:
        return self.has_add_permission(request) and self.has_change_permission(request)

    def has_export_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    @admin.display(description="roles")
    def roles_display(self, obj: AISystem) -> str:
        return ", ".join(obj.roles)

    @admin.display(description="overdue")
    def overdue_count(self, obj: AISystem) -> int:
        return sum(1 for o in obj.obligations.all() if o.is_overdue)

    @admin.display(description="workflow")
    def workflow_links(self, obj: AISystem) -> str:
        if obj.pk is None:
            return "Save the system first."
        links = [
            ("questionnaire", "Classification questionnaire"),
            ("transition", "Lifecycle transition"),
            ("summary", "Printable classification summary"),
        ]
        urls = [(reverse(f"admin:governance_aisystem_{n}", args=[obj.pk]), t) for n, t in links]
        # the evidence-pack request page lives in the evidence admin; linked by URL name, not imported
        urls.append((f"{reverse('admin:evidence_evidencepack_request')}?ai_system={obj.pk}", "Request evidence pack"))
        return format_html_join(" · ", '<a href="{}">{}</a>', urls)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        reason = form.cleaned_data.get("change_reason") or ""
        data = {f: form.cleaned_data[f] for f in form.changed_data if f != "change_reason" and f in form.cleaned_data}
        if change:
            saved = services.ai_system_update(system=stored(obj), actor=request.user, reason=reason, data=data)
        else:
            fields = {f: form.cleaned_data[f] for f in form.cleaned_data if f != "change_reason"}
            saved = services.ai_system_register(actor=request.user, reason=reason, data=fields)
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: AISystem) -> None:
        services.ai_system_delete(system=obj, actor=request.user, reason=ADMIN_DELETE_REASON)

    @transaction.atomic
    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[AISystem]) -> None:
        for system in queryset:
            services.ai_system_delete(system=system, actor=request.user, reason=ADMIN_DELETE_REASON)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        actor, reason = request.user, change_reason(form)
        if formset.model is ModelVersion:
            formset_save_through(
                formset,
                create=lambda data: services.model_version_create(actor=actor, reason=reason, data=data),
                update=lambda version, data: services.model_version_update(
                    version=version, actor=actor, reason=reason, data=data
                ),
                delete=lambda version: services.model_version_delete(
                    version=version, actor=actor, reason=reason or ADMIN_DELETE_REASON
                ),
            )
            return
        if formset.model is not Obligation:  # the classification records inline is read-only
            super().save_formset(request, form, formset, change)
            return
        # checklist edits go through the service (validation, history with actor and reason)
        reason = form.cleaned_data.get("change_reason") or "checklist updated in the admin"
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []  # for the change message
        for item in formset.forms:
            if item.has_changed() and item.instance.pk:
                data = {k: item.cleaned_data[k] for k in item.changed_data if k in services.OBLIGATION_EDITABLE_FIELDS}
                services.obligation_update(
                    obligation=stored(item.instance), actor=request.user, reason=reason, data=data
                )
                formset.changed_objects.append((item.instance, item.changed_data))

    @admin.action(description="Classify selected systems (default law version, today)", permissions=["change"])
    def classify_selected(self, request: HttpRequest, queryset: QuerySet[AISystem]) -> None:
        for system in queryset:
            record = services.ai_system_classify(system=system, actor=request.user, reason="admin action")
            self.message_user(request, f"{system}: {_classified(record)} ({record.law_version}).", messages.SUCCESS)

    # -- extra pages -------------------------------------------------------------------------------------------------
    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        extra = [
            path("overview/", wrap(self.overview_view), name="governance_overview"),
            path("<int:pk>/questionnaire/", wrap(self.questionnaire_view), name="governance_aisystem_questionnaire"),
            path("<int:pk>/transition/", wrap(self.transition_view), name="governance_aisystem_transition"),
            path("<int:pk>/summary/", wrap(self.summary_view), name="governance_aisystem_summary"),
            path("<int:pk>/classify/", wrap(self.classify_view), name="governance_aisystem_classify"),
        ]
        return extra + super().get_urls()

    def _context(self, request: HttpRequest, title: str, obj: AISystem | None = None, **extra: Any) -> dict[str, Any]:
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            "original": obj,
            "object": obj,
            **extra,
        }

    def _system(self, request: HttpRequest, pk: int, *, change: bool) -> AISystem:
        system = get_object_or_404(AISystem, pk=pk)
        allowed = self.has_change_permission(request, system) if change else self.has_view_permission(request, system)
        if not allowed:
            raise PermissionDenied
        return system

    def questionnaire_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        system = self._system(request, pk, change=request.method == "POST")
        can_change = self.has_change_permission(request, system)
        form = QuestionnaireForm(request.POST or None, facts=system.facts)
        if request.method == "POST" and form.is_valid():
            try:
                services.ai_system_facts_update(
                    system=system, actor=request.user, reason="questionnaire", facts=form.to_facts()
                )
                if "_classify" in request.POST:
                    record = services.ai_system_classify(system=system, actor=request.user, reason="questionnaire")
                    self.message_user(request, f"Classified: {_classified(record)}.", _level(record))
                    return HttpResponseRedirect(reverse("admin:governance_aisystem_summary", args=[pk]))
                self.message_user(request, "Facts saved.", messages.SUCCESS)
                return HttpResponseRedirect(request.path)
            except ApplicationError as exc:
                form.add_error(None, f"{exc.message} {'; '.join(exc.extra.get('errors', []))}")
        return TemplateResponse(
            request,
            "admin/governance/aisystem/questionnaire.html",
            self._context(request, f"Classification questionnaire: {system}", system, form=form, can_change=can_change),
        )

    def transition_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        system = self._system(request, pk, change=True)
        allowed = sorted(AI_SYSTEM_TRANSITIONS[system.lifecycle_stage])
        form = TransitionForm(request.POST or None)
        to_field: Any = form.fields["to"]
        to_field.choices = [(v, label) for v, label in LifecycleStage.choices if v in allowed]
        if request.method == "POST" and form.is_valid():
            try:
                services.ai_system_transition(
                    system=system, to=form.cleaned_data["to"], actor=request.user, reason=form.cleaned_data["reason"]
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, f"{system} moved to {form.cleaned_data['to']}.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:governance_aisystem_change", args=[pk]))
        blockers = {stage: services.ai_system_transition_blockers(system=system, to=stage) for stage in allowed}
        return TemplateResponse(
            request,
            "admin/governance/aisystem/transition.html",
            self._context(request, f"Lifecycle transition: {system}", system, form=form, blockers=blockers),
        )

    def classify_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        system = self._system(request, pk, change=True)
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:governance_aisystem_summary", args=[pk]))
        record = services.ai_system_classify(system=system, actor=request.user, reason="admin")
        self.message_user(request, f"Classified: {_classified(record)}.", _level(record))
        return HttpResponseRedirect(reverse("admin:governance_aisystem_summary", args=[pk]))

    def summary_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        system = self._system(request, pk, change=False)
        record = services.ai_system_latest_record(system)
        obligations = system.obligations.filter(is_current=True).select_related("owner").prefetch_related("evidence")
        return TemplateResponse(
            request,
            "admin/governance/aisystem/summary.html",
            self._context(
                request,
                f"Classification summary: {system}",
                system,
                record=record,
                result=record.result if record else None,
                obligations=obligations,
                default_law=DEFAULT_LAW_VERSION,
                can_change=self.has_change_permission(request, system),
                printed_at=timezone.now(),
            ),
        )

    def overview_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        data = overview_data(horizons=OVERVIEW_HORIZONS_DAYS)
        charts = {
            "by_class": mark_safe(
                bar_chart_svg(data["by_class"], title="Systems by risk class", colours=CLASS_COLOURS)
            ),  # SVG generated by us from counts
            "by_stage": mark_safe(bar_chart_svg(data["by_stage"], title="Systems by lifecycle stage")),
        }
        return TemplateResponse(
            request,
            "admin/governance/overview.html",
            self._context(request, "AI governance overview", None, data=data, charts=charts),
        )


class EvidenceInline(admin.TabularInline):
    model = ObligationEvidence
    extra = 1
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fields = ["description", "url", "file"]


@admin.register(Obligation)
class ObligationAdmin(AuditedAdmin):
    list_display = ["system", "article", "status", "owner", "due_date", "applies_from", "is_current"]
    list_filter = ["status", "is_current", "system__risk_class", "article"]
    list_editable = ["status", "owner", "due_date"]
    search_fields = ["system__name", "article", "duty"]
    list_select_related = ["system", "owner"]
    readonly_fields = [
        "system",
        "obligation_id",
        "article",
        "duty",
        "roles",
        "applies_from",
        "deadline_text",
        "verified",
        "is_current",
    ]
    fields = [*readonly_fields, "status", "not_applicable_reason", "owner", "due_date", "change_reason"]
    inlines = [EvidenceInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # obligations are generated by classification

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        reason = form.cleaned_data.get("change_reason") or "obligation updated in the admin"
        data = {k: form.cleaned_data[k] for k in form.changed_data if k in services.OBLIGATION_EDITABLE_FIELDS}
        services.obligation_update(obligation=stored(obj), actor=request.user, reason=reason, data=data)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        actor, reason = request.user, change_reason(form)
        obligation = formset.instance
        formset_save_through(
            formset,
            create=lambda data: services.obligation_evidence_add(
                obligation=obligation,
                actor=actor,
                reason=reason,
                data={k: v for k, v in data.items() if k != "obligation"},
            ),
            update=lambda evidence, data: services.obligation_evidence_update(
                evidence=evidence, actor=actor, reason=reason, data=data
            ),
            delete=lambda evidence: services.obligation_evidence_delete(
                evidence=evidence, actor=actor, reason=reason or ADMIN_DELETE_REASON
            ),
        )


@admin.register(ClassificationRecord)
class ClassificationRecordAdmin(admin.ModelAdmin):
    """Immutable records: viewable, never added, changed or deleted here."""

    list_display = ["system", "created_at", "law_version", "as_of", "risk_class", "status", "changed", "created_by"]
    list_filter = ["risk_class", "status", "law_version", "changed"]
    search_fields = ["system__name"]
    list_select_related = ["system", "created_by"]
    readonly_fields = [
        "system",
        "created_at",
        "created_by",
        "law_version",
        "as_of",
        "risk_class",
        "status",
        "changed",
        "facts",
        "result",
        "diff",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
