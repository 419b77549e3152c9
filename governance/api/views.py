from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import MethodNotAllowed, PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.mixins import AuditedModelViewSetMixin, change_reason
from core.api.viewsets import ServiceModelViewSet
from governance import services
from governance.api.serializers import (
    AISystemSerializer,
    ClassificationRecordSerializer,
    ClassifyInputSerializer,
    EvidenceInputSerializer,
    ModelVersionSerializer,
    ObligationEvidenceSerializer,
    ObligationSerializer,
    TransitionInputSerializer,
    TransitionOutputSerializer,
)
from governance.classification import facts_json_schema
from governance.filtersets import (
    AISystemFilterSet,
    ClassificationRecordFilterSet,
    ModelVersionFilterSet,
    ObligationFilterSet,
)
from governance.selectors import ai_system_list, classification_record_list, model_version_list, obligation_list


class ActionPerms(BasePermission):
    """For ``@action`` endpoints: the user needs every permission the view lists in ``action_perms[action]``.

    (``core.api.permissions.ActionPermission`` reads a ``required_perms`` action kwarg, which DRF refuses as an
    ``as_view`` initkwarg, so the mapping lives on the viewset instead.)
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        required = getattr(view, "action_perms", {}).get(view.action)
        return bool(required and request.user and request.user.is_authenticated and request.user.has_perms(required))


class AISystemViewSet(ServiceModelViewSet):
    """The AI-system inventory. Writes: compliance officers. Reads: every role."""

    action_perms = {
        "classify": ("governance.change_aisystem", "governance.add_classificationrecord"),
        "transition": ("governance.change_aisystem",),
    }

    queryset = ai_system_list()
    serializer_class = AISystemSerializer
    filterset_class = AISystemFilterSet
    search_fields = ["name", "purpose", "business_unit", "business_owner", "technical_owner", "vendor"]
    ordering_fields = ["name", "created_at", "updated_at", "lifecycle_stage", "risk_class"]
    create_service = staticmethod(services.ai_system_register)
    update_service = staticmethod(services.ai_system_update)
    delete_service = staticmethod(services.ai_system_delete)
    instance_kwarg = "system"

    @extend_schema(
        request=ClassifyInputSerializer,
        responses={201: ClassificationRecordSerializer},
        summary="Classify under the EU AI Act; stores an immutable record and regenerates the obligations",
    )
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[IsAuthenticated, ActionPerms],
    )
    def classify(self, request: Request, pk: str | None = None) -> Response:
        system = self.get_object()
        data = ClassifyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        record = services.ai_system_classify(
            system=system,
            actor=request.user,
            law_version=data.validated_data["law_version"],
            as_of=data.validated_data["as_of"],
            reason=change_reason(request),
        )
        return Response(ClassificationRecordSerializer(record).data, status=201)

    @extend_schema(
        request=TransitionInputSerializer,
        responses={200: TransitionOutputSerializer},
        summary="Move to another lifecycle stage (declared table + gates; 409 invalid_transition)",
    )
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[IsAuthenticated, ActionPerms],
    )
    def transition(self, request: Request, pk: str | None = None) -> Response:
        system = self.get_object()
        data = TransitionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        system = services.ai_system_transition(
            system=system, to=data.validated_data["to"], actor=request.user, reason=data.validated_data["reason"]
        )
        return Response(TransitionOutputSerializer(system).data)


class ModelVersionViewSet(ServiceModelViewSet):
    """Model versions of the registered systems."""

    queryset = model_version_list()
    serializer_class = ModelVersionSerializer
    filterset_class = ModelVersionFilterSet
    search_fields = ["version", "base_model", "artifact_uri", "system__name"]
    ordering_fields = ["release_date", "version", "created_at"]
    create_service = staticmethod(services.model_version_create)
    update_service = staticmethod(services.model_version_update)
    delete_service = staticmethod(services.model_version_delete)
    instance_kwarg = "version"


class ObligationViewSet(
    AuditedModelViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The obligations checklist (generated by classification): list, read and update status/owner/due date."""

    queryset = obligation_list()
    serializer_class = ObligationSerializer
    filterset_class = ObligationFilterSet
    search_fields = ["article", "duty", "system__name"]
    ordering_fields = ["due_date", "applies_from", "status", "article"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    action_perms = {"evidence": ("governance.change_obligation", "governance.add_obligationevidence")}

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # obligations are generated by classification; POST exists only for the evidence action
        raise MethodNotAllowed("POST")

    @extend_schema(
        request={"multipart/form-data": EvidenceInputSerializer, "application/json": EvidenceInputSerializer},
        responses={201: ObligationEvidenceSerializer},
        summary="Attach evidence (a URL or an uploaded file) to an obligation",
    )
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[IsAuthenticated, ActionPerms],
        parser_classes=[MultiPartParser, FormParser, JSONParser],
    )
    def evidence(self, request: Request, pk: str | None = None) -> Response:
        obligation = self.get_object()
        data = EvidenceInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = {k: v for k, v in data.validated_data.items() if v not in (None, "")}
        evidence = services.obligation_evidence_add(
            obligation=obligation, actor=request.user, reason=change_reason(request), data=values
        )
        return Response(ObligationEvidenceSerializer(evidence).data, status=201)

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.obligation_update(
            obligation=serializer.instance,
            actor=self.request.user,
            reason=change_reason(self.request),
            data=dict(serializer.validated_data),
        )


class ClassificationRecordViewSet(viewsets.ReadOnlyModelViewSet):
    """Immutable classification records (no create/update/delete through the API: use the system's classify)."""

    queryset = classification_record_list()
    serializer_class = ClassificationRecordSerializer
    filterset_class = ClassificationRecordFilterSet
    ordering_fields = ["created_at", "risk_class"]


class ClassificationSchemaView(APIView):
    """JSON Schema (draft 2020-12) of the EU AI Act classification questionnaire (the ``facts`` of a system)."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT}, summary="JSON Schema of the classification facts")
    def get(self, request: Request) -> Response:
        if not request.user.has_perm("governance.view_aisystem"):
            raise PermissionDenied()
        return Response(facts_json_schema())
