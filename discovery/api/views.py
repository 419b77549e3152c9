from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.mixins import change_reason
from core.api.permissions import ActionPerms
from core.api.viewsets import ServiceModelViewSet
from core.exceptions import ValidationFailed
from discovery import services
from discovery.api.serializers import (
    BLOCKLIST_FORMATS,
    AIServicePolicySerializer,
    AIServiceSerializer,
    LogBatchConfirmSerializer,
    LogBatchRetrySerializer,
    LogBatchSerializer,
    LogBatchUploadResultSerializer,
    LogBatchUploadSerializer,
    LogSourceSerializer,
    MalformedSampleSerializer,
    PromotionInputSerializer,
    PromotionSerializer,
    ReasonInputSerializer,
    ReidentifyInputSerializer,
    ReidentifyOutputSerializer,
    UsageSerializer,
)
from discovery.blocklist import FILE_NAMES, BlocklistFormat
from discovery.filtersets import AIServiceFilterSet, LogBatchFilterSet, LogSourceFilterSet, UsageFilterSet
from discovery.models import UsageRecord
from discovery.selectors import (
    ai_service_list,
    blocklist_render,
    log_batch_list,
    log_source_list,
    promotion_list,
    usage_daily,
)


class LogSourceViewSet(ServiceModelViewSet):
    """Log sources. Writes: security analysts. Reads: every role."""

    queryset = log_source_list()
    serializer_class = LogSourceSerializer
    filterset_class = LogSourceFilterSet
    search_fields = ["name", "description"]
    ordering_fields = ["name", "created_at"]
    create_service = staticmethod(services.log_source_create)
    update_service = staticmethod(services.log_source_update)
    delete_service = staticmethod(services.log_source_delete)
    instance_kwarg = "source"


class LogBatchViewSet(viewsets.ReadOnlyModelViewSet):
    """Ingested files with counts and progress. Upload and retry: security analysts (multipart, size-capped)."""

    queryset = log_batch_list()
    serializer_class = LogBatchSerializer
    filterset_class = LogBatchFilterSet
    search_fields = ["original_name", "sha256"]
    ordering_fields = ["created_at", "records_read", "records_matched"]
    action_perms = {
        "upload": ("discovery.add_logbatch",),
        "retry": ("discovery.add_logbatch",),
        "confirm": ("discovery.add_logbatch",),
        "samples_reveal": ("discovery.view_logbatch", "discovery.reidentify_pseudonym"),
    }

    @extend_schema(
        request=ReasonInputSerializer,
        responses={200: MalformedSampleSerializer(many=True)},
        summary="The raw (unredacted) malformed lines of a batch; needs re-identification rights and a reason; audited",
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="samples/reveal",
        permission_classes=[IsAuthenticated, ActionPerms],
        pagination_class=None,
        filter_backends=[],
    )
    def samples_reveal(self, request: Request, pk: str | None = None) -> Response:
        batch = self.get_object()
        data = ReasonInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        samples = services.log_batch_samples_reveal(
            batch=batch, actor=request.user, reason=data.validated_data["reason"]
        )
        return Response(MalformedSampleSerializer(samples, many=True).data)

    @extend_schema(
        request={"multipart/form-data": LogBatchUploadSerializer},
        responses={201: LogBatchUploadResultSerializer, 200: LogBatchUploadResultSerializer},
        summary="Upload a log file or capture; 200 with duplicate=true if this file (or its content) was already "
        "ingested in this source (and retried=true if that batch had failed: its failed chunks are retried); 201 "
        "with awaiting_confirmation=true if another source's batch has the same content (counted once confirmed)",
    )
    @action(
        detail=False,
        methods=["post"],
        parser_classes=[MultiPartParser, FormParser],
        permission_classes=[IsAuthenticated, ActionPerms],
    )
    def upload(self, request: Request) -> Response:
        data = LogBatchUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        outcome = services.log_batch_ingest(
            source=data.validated_data["source"],
            fileobj=upload,
            name=upload.name,
            actor=request.user,
            log_format=data.validated_data["log_format"],
        )
        batch = outcome.batch
        body = {
            "id": batch.pk,
            "status": batch.status,
            "duplicate": outcome.duplicate,
            "retried": outcome.retried,
            "progress": batch.progress,
            "log_format": batch.log_format,
            "awaiting_confirmation": outcome.awaiting_confirmation,
            "duplicate_of": batch.duplicate_of_id,
            "continues": batch.continues_id,
            "message": f"{upload.name} {outcome.message}",
        }
        return Response(LogBatchUploadResultSerializer(body).data, status=200 if outcome.duplicate else 201)

    @extend_schema(
        request=LogBatchRetrySerializer,
        responses={200: LogBatchSerializer},
        summary="Retry a failed or partial batch: its failed chunks are queued again (409 in any other status)",
    )
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated, ActionPerms])
    def retry(self, request: Request, pk: str | None = None) -> Response:
        batch = self.get_object()
        data = LogBatchRetrySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        batch = services.log_batch_retry(
            batch=batch, actor=request.user, reason=data.validated_data["reason"] or change_reason(request)
        )
        return Response(LogBatchSerializer(batch).data)

    @extend_schema(
        request=LogBatchConfirmSerializer,
        responses={200: LogBatchSerializer},
        summary="Count a batch awaiting confirmation (its content was already ingested under another source); "
        "a reason is required and audited (409 in any other status)",
    )
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated, ActionPerms])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        batch = self.get_object()
        data = LogBatchConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        batch = services.log_batch_confirm(batch=batch, actor=request.user, reason=data.validated_data["reason"])
        return Response(LogBatchSerializer(batch).data)


class AIServiceViewSet(viewsets.ReadOnlyModelViewSet):
    """The AI-service catalog with risk scores and policies. Policy changes: security analysts."""

    queryset = ai_service_list()
    serializer_class = AIServiceSerializer
    filterset_class = AIServiceFilterSet
    search_fields = ["name", "vendor", "slug"]
    ordering_fields = ["name", "risk_score", "vendor"]
    action_perms = {"policy": ("discovery.change_aiservice",)}

    @extend_schema(
        request=AIServicePolicySerializer,
        responses={200: AIServiceSerializer},
        summary="Set the organisation-wide policy (sanctioned / tolerated / unsanctioned)",
    )
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated, ActionPerms])
    def policy(self, request: Request, pk: str | None = None) -> Response:
        service = self.get_object()
        data = AIServicePolicySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        service = services.ai_service_policy_update(
            service=service,
            policy=data.validated_data["policy"],
            note=data.validated_data["note"],
            actor=request.user,
            reason=change_reason(request),
        )
        return Response(AIServiceSerializer(service).data)


class UsageViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Matched AI-service usage per (pseudonymous user or device, service, day)."""

    queryset = UsageRecord.objects.all()
    serializer_class = UsageSerializer
    filterset_class = UsageFilterSet
    ordering_fields: list[str] = []
    search_fields: list[str] = []

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        rows = usage_daily(self.filter_queryset(self.get_queryset()))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(UsageSerializer(page, many=True).data)


class ReidentifyView(APIView):
    """Reveal the identity behind a pseudonym: needs ``discovery.reidentify_pseudonym``; always audited."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=ReidentifyInputSerializer, responses={200: ReidentifyOutputSerializer})
    def post(self, request: Request) -> Response:
        data = ReidentifyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        identity = services.pseudonym_reidentify(
            pseudonym=data.validated_data["pseudonym"], actor=request.user, reason=data.validated_data["reason"]
        )
        return Response(
            ReidentifyOutputSerializer({"pseudonym": data.validated_data["pseudonym"], "identity": identity}).data
        )


class PromotionViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Discovered services promoted into the governance registry. Creating one needs ``governance.add_aisystem``
    (compliance officers); the registry stage then drives the service's discovery policy."""

    queryset = promotion_list()
    serializer_class = PromotionSerializer
    search_fields = ["service__name", "system__name"]
    ordering_fields = ["created_at"]
    action_perms = {"create": ("governance.add_aisystem", "discovery.view_aiservice")}

    def get_permissions(self) -> Any:
        if self.action == "create":
            return [IsAuthenticated(), ActionPerms()]
        return super().get_permissions()

    @extend_schema(request=PromotionInputSerializer, responses={201: PromotionSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = PromotionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        promotion = services.ai_service_promote(
            service=data.validated_data["service"],
            alert=data.validated_data.get("alert"),
            actor=request.user,
            reason=data.validated_data["reason"] or change_reason(request),
        )
        return Response(PromotionSerializer(promotion).data, status=status.HTTP_201_CREATED)


class BlocklistView(APIView):
    """Block list of unsanctioned AI services as a text file: ``plain``, ``squid``, ``panos`` (EDL) or ``rpz``."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter("fmt", str, OpenApiParameter.PATH, enum=BLOCKLIST_FORMATS)],
        responses={(200, "text/plain"): OpenApiResponse(OpenApiTypes.STR)},
    )
    def get(self, request: Request, fmt: str) -> HttpResponse:
        if not request.user.has_perm("discovery.view_aiservice"):
            raise PermissionDenied()
        if fmt not in BLOCKLIST_FORMATS:
            raise ValidationFailed(f"unknown format {fmt!r}; use one of {', '.join(BLOCKLIST_FORMATS)}")
        response = HttpResponse(blocklist_render(fmt=fmt), content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{FILE_NAMES[BlocklistFormat(fmt)]}"'
        return response
