"""API for shadow-AI alerts: rules and silences (CRUD through services) and alerts with triage actions."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from alerts import services
from alerts.api.serializers import (
    AlertAssignSerializer,
    AlertBulkResultSerializer,
    AlertBulkSerializer,
    AlertCommentInputSerializer,
    AlertCommentSerializer,
    AlertRuleSerializer,
    AlertSerializer,
    AlertTransitionSerializer,
    SilenceSerializer,
)
from alerts.filtersets import AlertFilterSet, AlertRuleFilterSet, SilenceFilterSet
from alerts.selectors import alert_list, alert_rule_list, silence_list
from core.api.mixins import AuditedModelViewSetMixin, change_reason
from core.api.permissions import ActionPerms
from core.api.viewsets import ServiceModelViewSet


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


_TRIAGE = ("alerts.change_alert",)


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
        "comment": ("alerts.add_alertcomment",),
        "comments": ("alerts.view_alertcomment",),
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
