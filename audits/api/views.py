from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from audits import charts, services
from audits.api.serializers import (
    AuditDefinitionSerializer,
    AuditRunDetailSerializer,
    AuditRunSerializer,
    FindingSerializer,
)
from audits.constants import DEFAULT_CHART_METRIC
from audits.filtersets import AuditDefinitionFilterSet, AuditRunFilterSet, FindingFilterSet
from audits.models import AuditRun
from audits.selectors import audit_definition_list, audit_run_list, audit_run_trend, audit_trend_metrics, finding_list
from core.api.mixins import change_reason
from core.api.permissions import ActionPerms
from core.api.viewsets import ServiceModelViewSet
from core.exceptions import ValidationFailed

PNG = OpenApiResponse(response=OpenApiTypes.BINARY, description="PNG image")


class AuditDefinitionViewSet(ServiceModelViewSet):
    """Fairness-audit definitions. Writes: compliance officers. Reads: compliance officers and auditors."""

    queryset = audit_definition_list()
    serializer_class = AuditDefinitionSerializer
    filterset_class = AuditDefinitionFilterSet
    search_fields = ["name", "description", "ai_system__name"]
    ordering_fields = ["name", "created_at"]
    create_service = staticmethod(services.audit_definition_create)
    update_service = staticmethod(services.audit_definition_update)
    delete_service = staticmethod(services.audit_definition_delete)
    instance_kwarg = "definition"
    action_perms = {"run_now": ("audits.view_auditdefinition", "audits.add_auditrun")}

    @extend_schema(request=None, responses={202: AuditRunSerializer}, summary="Run this audit now (enqueued)")
    @action(
        detail=True,
        methods=["post"],
        url_path="run-now",
        permission_classes=[IsAuthenticated, ActionPerms],
    )
    def run_now(self, request: Request, pk: str | None = None) -> Response:
        definition = self.get_object()
        run = services.audit_run_request(definition=definition, actor=request.user, reason=change_reason(request))
        return Response(AuditRunSerializer(run).data, status=202)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "metric", str, description="Aggregate key (default demographic_parity_ratio) or min_impact_ratio"
            )
        ],
        responses={(200, "image/png"): PNG},
        summary="Trend of an aggregate across the completed runs (PNG)",
    )
    @action(detail=True, methods=["get"], url_path="trend-chart", filter_backends=[], pagination_class=None)
    def trend_chart(self, request: Request, pk: str | None = None) -> HttpResponse:
        definition = self.get_object()
        metric = request.query_params.get("metric", "demographic_parity_ratio")
        known = audit_trend_metrics(definition=definition)
        if known and metric not in known:
            raise ValidationFailed(
                f"unknown metric {metric!r}; this audit's runs have: {', '.join(sorted(known))}",
                extra={"metric": [f"one of: {', '.join(sorted(known))}"]},
            )
        png = charts.trend(audit_run_trend(definition=definition, metric=metric), metric)
        return HttpResponse(png, content_type="image/png")


class AuditRunViewSet(viewsets.ReadOnlyModelViewSet):
    """Audit runs: read by compliance officers and auditors; retried by compliance officers."""

    action_perms = {"retry": ("audits.view_auditrun", "audits.change_auditrun")}
    queryset = audit_run_list()
    filterset_class = AuditRunFilterSet
    ordering_fields = ["slot", "created_at", "verdict", "status"]
    search_fields = ["definition__name", "definition__ai_system__name", "error"]

    def get_queryset(self) -> QuerySet[AuditRun]:
        queryset = super().get_queryset()
        return queryset.defer("result") if self.action == "list" else queryset  # results can be large

    def get_serializer_class(self) -> type[AuditRunSerializer]:
        return AuditRunDetailSerializer if self.action == "retrieve" else AuditRunSerializer

    @extend_schema(request=None, responses={202: AuditRunSerializer}, summary="Retry a failed run (enqueued)")
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[IsAuthenticated, ActionPerms],
    )
    def retry(self, request: Request, pk: str | None = None) -> Response:
        run = services.audit_run_retry(run=self.get_object(), actor=request.user, reason=change_reason(request))
        return Response(AuditRunSerializer(run).data, status=202)

    @extend_schema(
        parameters=[
            OpenApiParameter("metric", str, description="Group metric (fairlearn name), default selection_rate"),
            OpenApiParameter("analysis", int, description="Index of the analysis (non-intersectional runs)"),
        ],
        responses={(200, "image/png"): PNG},
        summary="Per-group bars with bootstrap CI whiskers (PNG)",
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def chart(self, request: Request, pk: str | None = None) -> HttpResponse:
        run = self.get_object()
        metric = request.query_params.get("metric", DEFAULT_CHART_METRIC)
        try:
            analysis = run.analyses[int(request.query_params.get("analysis", 0))]
        except (IndexError, ValueError) as exc:
            raise ValidationFailed("This run has no such analysis (has it completed?).") from exc
        known = charts.group_metrics(analysis)
        if known and metric not in known:
            raise ValidationFailed(
                f"unknown metric {metric!r}; this analysis has: {', '.join(sorted(known))}",
                extra={"metric": [f"one of: {', '.join(sorted(known))}"]},
            )
        return HttpResponse(charts.group_bars(analysis, metric), content_type="image/png")


class FindingViewSet(viewsets.ReadOnlyModelViewSet):
    """Findings opened by audits (failing verdicts, runs that could not complete)."""

    action_perms = {"resolve": ("audits.view_finding", "audits.change_finding")}
    queryset = finding_list()
    serializer_class = FindingSerializer
    filterset_class = FindingFilterSet
    ordering_fields = ["created_at", "status"]
    search_fields = ["title", "description"]

    @extend_schema(request=None, responses={200: FindingSerializer}, summary="Resolve an open finding")
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[IsAuthenticated, ActionPerms],
    )
    def resolve(self, request: Request, pk: str | None = None) -> Response:
        finding = services.finding_resolve(finding=self.get_object(), actor=request.user, reason=change_reason(request))
        return Response(FindingSerializer(finding).data)
