"""Admin for fairness audits: definitions (schedule, run now, trend), runs (history, charts, tables, retry) and
findings. Charts are rendered on the fly from the stored result with matplotlib ``Figure``."""

from __future__ import annotations

import base64
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from audits import charts, services
from audits.choices import FindingStatus, RunStatus
from audits.models import AuditDefinition, AuditRun, Finding
from audits.selectors import audit_run_trend
from core.admin_mixins import ADMIN_DELETE_REASON, AuditedAdmin, ChangeReasonForm, change_reason, form_data, stored
from core.exceptions import InvalidTransition


def _img(png: bytes, alt: str) -> SafeString:
    return format_html(
        '<img alt="{}" style="max-width:100%" src="data:image/png;base64,{}">', alt, base64.b64encode(png).decode()
    )


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def _estimate(est: dict[str, Any]) -> str:
    if est.get("ci_low") is None:
        return _fmt(est.get("value"))
    return f"{_fmt(est.get('value'))} [{_fmt(est.get('ci_low'))}, {_fmt(est.get('ci_high'))}]"


class AuditDefinitionForm(ChangeReasonForm):
    sensitive_features = forms.JSONField(help_text='Column names, e.g. ["sex", "race"].')
    source_url = forms.URLField(
        assume_scheme="https", required=False, max_length=500, help_text="http(s) URL, downloaded on every run."
    )

    class Meta:
        model = AuditDefinition
        fields = "__all__"


class AuditRunInline(admin.TabularInline):
    model = AuditRun
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True
    fields = ("slot", "model_version", "trigger", "status", "verdict", "row_count", "error")
    readonly_fields = fields
    ordering = ["-slot"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditRun]:
        return super().get_queryset(request).defer("result")


@admin.register(AuditDefinition)
class AuditDefinitionAdmin(AuditedAdmin):
    form = AuditDefinitionForm
    list_display = [
        "name",
        "ai_system",
        "model_version",
        "task_type",
        "legal_basis",
        "schedule_label",
        "enabled",
        "last_verdict",
    ]
    list_filter = ["ai_system", "legal_basis", "task_type", "source_type", "enabled"]
    search_fields = ["name", "description", "ai_system__name", "model_version__version"]
    list_select_related = ["ai_system", "model_version"]
    readonly_fields = ["periodic_task_link", "trend_chart"]
    inlines = [AuditRunInline]
    actions = ["run_now"]
    fieldsets = [
        (None, {"fields": ["name", "ai_system", "model_version", "description", "legal_basis", "enabled"]}),
        (
            "Data source (predictions only)",
            {
                "fields": [
                    "source_type",
                    "source_file",
                    "source_path",
                    "source_url",
                    "source_database",
                    "source_query",
                    "file_format",
                ]
            },
        ),
        (
            "Columns",
            {
                "fields": [
                    "task_type",
                    "column_y_true",
                    "column_y_pred",
                    "column_y_score",
                    "score_threshold",
                    "pos_label",
                    "column_sample_weight",
                    "sensitive_features",
                    "column_control",
                ]
            },
        ),
        (
            "Analysis and thresholds",
            {"fields": ["metrics", "intersectional", "reference_group", "min_group_size", "thresholds", "n_boot"]},
        ),
        (
            "Schedule (django-celery-beat)",
            {"fields": ["schedule_cron", "schedule_interval_minutes", "periodic_task_link"]},
        ),
        ("Trend", {"fields": ["trend_chart"]}),
    ]

    @admin.display(description="last verdict")
    def last_verdict(self, obj: AuditDefinition) -> str:
        run = obj.runs.filter(status=RunStatus.SUCCEEDED).order_by("-slot").only("verdict").first()
        return run.get_verdict_display() if run else "-"

    @admin.display(description="beat task")
    def periodic_task_link(self, obj: AuditDefinition) -> str:
        if not obj.periodic_task_id:
            return "- (no schedule)"
        url = reverse("admin:django_celery_beat_periodictask_change", args=[obj.periodic_task_id])
        return format_html('<a href="{}">{}</a>', url, obj.periodic_task)

    @admin.display(description="trend across runs")
    def trend_chart(self, obj: AuditDefinition) -> str:
        if obj.pk is None:
            return "-"
        parts = [
            _img(charts.trend(audit_run_trend(definition=obj, metric=metric), metric), metric)
            for metric in ("min_impact_ratio", "demographic_parity_difference")
        ]
        return mark_safe("<br>".join(parts))

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # through the services: history with user and reason, the audit-log row, the beat schedule
        reason = change_reason(form)
        if change:
            data = form_data(form, changed_only=True)
            if data:
                services.audit_definition_update(definition=stored(obj), actor=request.user, reason=reason, data=data)
        else:
            saved = services.audit_definition_create(
                actor=request.user, reason=reason, data=form_data(form, changed_only=False)
            )
            obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: AuditDefinition) -> None:
        services.audit_definition_delete(definition=obj, actor=request.user, reason=ADMIN_DELETE_REASON)

    @transaction.atomic
    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[AuditDefinition]) -> None:
        for definition in queryset:
            services.audit_definition_delete(definition=definition, actor=request.user, reason=ADMIN_DELETE_REASON)

    @admin.action(description="Run now (enqueue an audit run)", permissions=["run"])
    def run_now(self, request: HttpRequest, queryset: QuerySet[AuditDefinition]) -> None:
        for definition in queryset:
            services.audit_run_request(definition=definition, actor=request.user, reason="run now (admin)")
        self.message_user(request, f"{queryset.count()} audit run(s) enqueued.", messages.SUCCESS)

    def has_run_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("audits.add_auditrun"))


@admin.register(AuditRun)
class AuditRunAdmin(admin.ModelAdmin):
    list_display = [
        "slot",
        "definition",
        "system",
        "model_version",
        "trigger",
        "status",
        "verdict",
        "row_count",
        "attempts",
    ]
    list_filter = ["status", "verdict", "trigger", "definition__ai_system", "definition"]
    search_fields = [
        "definition__name",
        "definition__ai_system__name",
        "model_version__version",
        "error",
        "input_sha256",
    ]
    date_hierarchy = "slot"
    list_select_related = ["definition__ai_system", "model_version"]
    actions = ["retry"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "definition",
                    "model_version",
                    "slot",
                    "trigger",
                    "requested_by",
                    "status",
                    "verdict",
                    "error",
                    "notes_list",
                ]
            },
        ),
        (
            "Input",
            {"fields": ["input_sha256", "input_bytes", "row_count", "rows_excluded", "fairlearn_version", "attempts"]},
        ),
        ("Timing", {"fields": ["started_at", "finished_at"]}),
        ("Results", {"fields": ["results"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditRun]:
        queryset = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name == "audits_auditrun_changelist":
            queryset = queryset.defer("result")
        return queryset

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [str(f) for _, opts in self.fieldsets for f in opts["fields"]]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: AuditRun) -> None:
        services.audit_run_delete(run=obj, actor=request.user, reason=ADMIN_DELETE_REASON)

    @transaction.atomic
    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[AuditRun]) -> None:
        for run in queryset:
            services.audit_run_delete(run=run, actor=request.user, reason=ADMIN_DELETE_REASON)

    @admin.display(description="AI system", ordering="definition__ai_system__name")
    def system(self, obj: AuditRun) -> str:
        return str(obj.definition.ai_system)

    @admin.display(description="notes")
    def notes_list(self, obj: AuditRun) -> str:
        if not obj.notes:
            return "-"
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((n,) for n in obj.notes)))

    @admin.display(description="results")
    def results(self, obj: AuditRun) -> str:
        if not obj.analyses:
            return "- (no result: see status and error)"
        metrics = [m for m in obj.definition.metrics if m != "count"] or ["selection_rate"]
        blocks: list[str] = []
        for analysis in obj.analyses:
            blocks.append(format_html("<h3>{}</h3>", " x ".join(analysis["sensitive_features"])))
            for metric in metrics[:3]:
                blocks.append(_img(charts.group_bars(analysis, metric), metric))
            for stratum in analysis["strata"]:
                blocks.append(self._group_table(stratum, metrics))
                blocks.append(self._aggregate_table(stratum))
            blocks.append(self._verdict_table(analysis["verdicts"]["metrics"]))
        return mark_safe("".join(str(b) for b in blocks))

    @staticmethod
    def _group_table(stratum: dict[str, Any], metrics: list[str]) -> str:
        head = format_html_join(
            "", "<th>{}</th>", ((m,) for m in ["group", "count", *metrics, "impact ratio (CI)", "p", "verdict"])
        )
        rows = []
        for g in stratum["groups"]:
            ir = g.get("impact_ratio") or {}
            test = ir.get("test") or {}
            cells = [
                g["group"] + (" (reference)" if g["is_reference"] else ""),
                g["count"],
                *[_estimate(g["metrics"].get(m) or {}) for m in metrics],
                _estimate(ir) if ir else "-",
                _fmt(test.get("p_value")),
                g["verdict"],
            ]
            rows.append(format_html("<tr>{}</tr>", format_html_join("", "<td>{}</td>", ((c,) for c in cells))))
        title = f"Groups (control {stratum['control']})" if stratum.get("control") else "Groups"
        return format_html("<h4>{}</h4><table><tr>{}</tr>{}</table>", title, head, mark_safe("".join(rows)))

    @staticmethod
    def _aggregate_table(stratum: dict[str, Any]) -> str:
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>[{}, {}]</td></tr>",
            (
                (k, _fmt(v["value"]), _fmt(v.get("ci_low")), _fmt(v.get("ci_high")))
                for k, v in stratum["aggregates"].items()
            ),
        )
        return format_html(
            "<h4>Aggregates</h4><table><tr><th>metric</th><th>value</th><th>95% CI</th></tr>{}</table>", rows
        )

    @staticmethod
    def _verdict_table(verdicts: list[dict[str, Any]]) -> str:
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    v["metric"],
                    v["group"] or "-",
                    _fmt(v["value"]),
                    v["verdict"],
                    v["basis"],
                    f"fail {v['fail']} / warn {v['warn']}",
                )
                for v in verdicts
            ),
        )
        return format_html(
            "<h4>Verdicts</h4><table><tr><th>metric</th><th>group</th><th>value</th><th>verdict</th><th>basis</th>"
            "<th>bands</th></tr>{}</table>",
            rows,
        )

    @admin.action(description="Retry selected failed runs", permissions=["change"])
    def retry(self, request: HttpRequest, queryset: QuerySet[AuditRun]) -> None:
        retried = 0
        for run in queryset.filter(status=RunStatus.FAILED):
            try:
                services.audit_run_retry(run=run, actor=request.user, reason="retried in admin")
                retried += 1
            except InvalidTransition:
                continue
        self.message_user(request, f"{retried} failed run(s) re-enqueued.", messages.SUCCESS)


@admin.register(Finding)
class FindingAdmin(AuditedAdmin):
    list_display = ["title", "ai_system", "kind", "status", "obligation", "created_at"]
    list_filter = ["status", "kind", "ai_system"]
    search_fields = ["title", "description"]
    list_select_related = ["ai_system"]
    readonly_fields = [
        "ai_system",
        "definition",
        "run",
        "kind",
        "title",
        "description",
        "obligation",
        "registry_obligation",
        "resolved_at",
    ]
    actions = ["resolve"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = form_data(form, changed_only=True)
        if change and data:
            services.finding_update(finding=stored(obj), actor=request.user, reason=change_reason(form), data=data)

    def delete_model(self, request: HttpRequest, obj: Finding) -> None:
        services.finding_delete(finding=obj, actor=request.user, reason=ADMIN_DELETE_REASON)

    @transaction.atomic
    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Finding]) -> None:
        for finding in queryset:
            services.finding_delete(finding=finding, actor=request.user, reason=ADMIN_DELETE_REASON)

    @admin.action(description="Resolve selected findings", permissions=["change"])
    def resolve(self, request: HttpRequest, queryset: QuerySet[Finding]) -> None:
        resolved = 0
        for finding in queryset.filter(status=FindingStatus.OPEN):
            services.finding_resolve(finding=finding, actor=request.user, reason="resolved in admin")
            resolved += 1
        self.message_user(request, f"{resolved} finding(s) resolved.", messages.SUCCESS)
