"""API for shadow-AI alerts: rules, channels and silences (CRUD through services), alerts with triage actions,
the delivery outbox with re-send, promotions into the registry and the block-list export."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.mixins import AuditedModelViewSetMixin, change_reason
from core.api.permissions import ActionPerms
from core.api.viewsets import ServiceModelViewSet
from core.exceptions import ValidationFailed
from discovery import alert_services as services
from discovery.alert_filtersets import (
    AlertFilterSet,
    AlertRuleFilterSet,
    ChannelFilterSet,
    DeliveryFilterSet,
    SilenceFilterSet,
)
from discovery.alert_selectors import (
    alert_list,
    alert_rule_list,
    blocklist_render,
    channel_list,
    delivery_list,
    promotion_list,
    silence_list,
)
from discovery.api.alert_serializers import (
    BLOCKLIST_FORMATS,
    AlertAssignSerializer,
    AlertBulkResultSerializer,
    AlertBulkSerializer,
    AlertCommentInputSerializer,
    AlertCommentSerializer,
    AlertRuleSerializer,
    AlertSerializer,
    AlertTransitionSerializer,
    ChannelSerializer,
    DeliverySerializer,
    PromotionInputSerializer,
    PromotionSerializer,
    ReasonSerializer,
    SilenceSerializer,
)
from discovery.blocklist import FILE_NAMES, BlocklistFormat


class AlertRuleViewSet(ServiceModelViewSet):
    """Detection rules. Writes: security analysts. Reads: every role."""

    queryset = alert_rule_list()
    serializer_class = AlertRuleSerializer
    filterset_class = AlertRuleFilterSet
    search_fields = ["key", "name"]
    ordering_fields = ["key", "severity"]
    create_service = staticmethod(services.alert_rule_create)
    update_service = staticmethod(services.alert_rule_update)
    delete_service = staticmethod(services.alert_rule_delete)
    instance_kwarg = "rule"


class ChannelViewSet(ServiceModelViewSet):
    """Delivery channels (secrets in ``config`` are masked in responses)."""

    queryset = channel_list()
    serializer_class = ChannelSerializer
    filterset_class = ChannelFilterSet
    search_fields = ["name"]
    ordering_fields = ["name", "kind"]
    create_service = staticmethod(services.channel_create)
    update_service = staticmethod(services.channel_update)
    delete_service = staticmethod(services.channel_delete)
    instance_kwarg = "channel"


class SilenceViewSet(ServiceModelViewSet):
    """Silences: mute a rule, a pseudonymous user and/or a service until a date."""

    queryset = silence_list()
    serializer_class = SilenceSerializer
    filterset_class = SilenceFilterSet
    search_fields = ["subject", "reason"]
    ordering_fields = ["until", "created_at"]
    create_service = staticmethod(services.silence_create)
    update_service = staticmethod(services.silence_update)
    delete_service = staticmethod(services.silence_delete)
    instance_kwarg = "silence"


_TRIAGE = ("discovery.change_alert",)


class AlertViewSet(AuditedModelViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Deduplicated alerts (pseudonyms only). Triage actions: security analysts."""

    queryset = alert_list()
    serializer_class = AlertSerializer
    filterset_class = AlertFilterSet
    search_fields = ["summary", "subject", "service__name", "rule__key"]
    ordering_fields = ["last_seen", "first_seen", "severity", "count", "status"]
    action_perms = {
        "transition": _TRIAGE,
        "assign": _TRIAGE,
        "comment": ("discovery.add_alertcomment",),
        "comments": ("discovery.view_alertcomment",),
        "bulk": _TRIAGE,
    }

    @extend_schema(request=AlertTransitionSerializer, responses={200: AlertSerializer})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated, ActionPerms])
    def transition(self, request: Request, pk: str | None = None) -> Response:
        """Acknowledge, resolve, mark false positive or re-open (declared transition table; 409 otherwise)."""
        data = AlertTransitionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        alert = services.alert_transition(
            alert=self.get_object(),
            to=data.validated_data["to"],
            actor=request.user,
            reason=data.validated_data["reason"] or change_reason(request),
        )
        return Response(AlertSerializer(alert).data)

    @extend_schema(request=AlertAssignSerializer, responses={200: AlertSerializer})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated, ActionPerms])
    def assign(self, request: Request, pk: str | None = None) -> Response:
        data = AlertAssignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        alert = services.alert_assign(
            alert=self.get_object(),
            assignee=data.validated_data["assignee"],
            actor=request.user,
            reason=data.validated_data["reason"],
        )
        return Response(AlertSerializer(alert).data)

    @extend_schema(request=AlertCommentInputSerializer, responses={201: AlertCommentSerializer})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated, ActionPerms])
    def comment(self, request: Request, pk: str | None = None) -> Response:
        data = AlertCommentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.alert_comment_add(
            alert=self.get_object(), body=data.validated_data["body"], actor=request.user
        )
        return Response(AlertCommentSerializer(comment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: AlertCommentSerializer(many=True)})
    @action(
        detail=True,
        methods=["get"],
        permission_classes=[IsAuthenticated, ActionPerms],
        pagination_class=None,
        filter_backends=[],
    )
    def comments(self, request: Request, pk: str | None = None) -> Response:
        alert = self.get_object()
        return Response(AlertCommentSerializer(alert.comments.select_related("author"), many=True).data)

    @extend_schema(request=AlertBulkSerializer, responses={200: AlertBulkResultSerializer})
    @action(detail=False, methods=["post"], permission_classes=[IsAuthenticated, ActionPerms])
    def bulk(self, request: Request) -> Response:
        """Apply one transition to many alerts; refused ones are listed in ``skipped``."""
        data = AlertBulkSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        alerts = list(self.get_queryset().filter(pk__in=data.validated_data["ids"]))
        outcome = services.alerts_bulk_transition(
            alerts=alerts, to=data.validated_data["to"], actor=request.user, reason=data.validated_data["reason"]
        )
        body = {"changed": outcome.changed, "skipped": {str(k): v for k, v in outcome.skipped.items()}}
        return Response(AlertBulkResultSerializer(body).data)


class DeliveryViewSet(viewsets.ReadOnlyModelViewSet):
    """The alert outbox: one row per (alert, channel, notification); dead letters can be re-sent."""

    queryset = delivery_list()
    serializer_class = DeliverySerializer
    filterset_class = DeliveryFilterSet
    search_fields: list[str] = []
    ordering_fields = ["created_at", "next_attempt_at", "attempts"]
    action_perms = {"resend": ("discovery.change_delivery",)}

    @extend_schema(request=ReasonSerializer, responses={200: DeliverySerializer})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated, ActionPerms])
    def resend(self, request: Request, pk: str | None = None) -> Response:
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        delivery = services.delivery_resend(
            delivery=self.get_object(), actor=request.user, reason=data.validated_data["reason"]
        )
        return Response(DeliverySerializer(delivery).data)


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
