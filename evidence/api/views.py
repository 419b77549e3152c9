"""API for evidence packs: request (compliance officers), list/detail (compliance officers, auditors) and the
audited ZIP download (users with ``evidence.download_evidencepack``: auditors and compliance officers)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from django.http import HttpResponse
from django.urls import reverse as django_reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.authentication import BaseAuthentication
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from audits.selectors import audit_run_list
from core.api.mixins import change_reason
from core.api.permissions import ActionPerms
from evidence import services as evidence_services
from evidence.models import EvidencePack
from evidence.selectors import evidence_pack_list
from evidence.signing import published_keys
from governance.selectors import ai_system_list

ZIP = OpenApiResponse(response=OpenApiTypes.BINARY, description="The signed evidence-pack ZIP, byte for byte as stored")


class EvidencePackSerializer(serializers.ModelSerializer[EvidencePack]):
    ai_system_name = serializers.CharField(source="ai_system.name", read_only=True)
    requested_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    filename = serializers.CharField(read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = EvidencePack
        fields = [
            "id",
            "ai_system",
            "ai_system_name",
            "audit_run",
            "period_start",
            "period_end",
            "requested_by",
            "requested_at",
            "status",
            "progress",
            "progress_step",
            "attempts",
            "built_at",
            "error",
            "sha256",
            "size",
            "key_id",
            "law_version",
            "timestamped",
            "filename",
            "download_url",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True))  # null until the pack is built
    def get_download_url(self, pack: EvidencePack) -> str | None:
        if pack.status != "built":
            return None
        return reverse("evidence-api:evidencepack-download", args=[pack.pk], request=self.context.get("request"))


class EvidencePackRequestSerializer(serializers.Serializer[Any]):
    ai_system = serializers.PrimaryKeyRelatedField(queryset=ai_system_list())
    audit_run = serializers.PrimaryKeyRelatedField(queryset=audit_run_list(), required=False, allow_null=True)
    period_start = serializers.DateField(required=False, allow_null=True)
    period_end = serializers.DateField(required=False, allow_null=True)


class EvidencePackViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Evidence packs. Request: ``evidence.request_evidencepack``. Download: ``evidence.download_evidencepack``
    (every download is written to the audit trail)."""

    queryset = evidence_pack_list()
    serializer_class = EvidencePackSerializer
    filterset_fields = ["ai_system", "audit_run", "status"]
    ordering_fields = ["requested_at", "built_at", "status"]
    search_fields = ["ai_system__name", "sha256", "key_id"]
    action_perms = {
        "create": ("evidence.view_evidencepack", "evidence.request_evidencepack"),
        "download": ("evidence.view_evidencepack", "evidence.download_evidencepack"),
    }

    def get_permissions(self) -> Sequence[BasePermission]:
        if self.action in self.action_perms:
            return [IsAuthenticated(), ActionPerms()]
        return super().get_permissions()  # type: ignore[return-value]

    @extend_schema(
        request=EvidencePackRequestSerializer,
        responses={202: EvidencePackSerializer},
        summary="Request a new evidence pack (built asynchronously)",
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = EvidencePackRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        pack = evidence_services.evidence_pack_request(
            ai_system=data.validated_data["ai_system"],
            audit_run=data.validated_data.get("audit_run"),
            period_start=data.validated_data.get("period_start"),
            period_end=data.validated_data.get("period_end"),
            actor=request.user,
            reason=change_reason(request),
        )
        return Response(EvidencePackSerializer(pack, context={"request": request}).data, status=202)

    @extend_schema(responses={(200, "application/zip"): ZIP}, summary="Download the signed ZIP (audited)")
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def download(self, request: Request, pk: str | None = None) -> HttpResponse:
        pack = self.get_object()
        data = evidence_services.evidence_pack_download(pack=pack, actor=request.user, via="api")
        response = HttpResponse(data, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{pack.filename}"'
        response["X-Content-SHA256"] = pack.sha256
        return response


class PublishedKeySerializer(serializers.Serializer[Any]):
    key_id = serializers.CharField(help_text="First 16 hex characters of the fingerprint; named in manifest.json")
    fingerprint = serializers.CharField(help_text="SHA-256 hex of the raw 32-byte Ed25519 public key")
    status = serializers.ChoiceField(choices=["current", "retired"])
    development = serializers.BooleanField(help_text="The auto-generated DEBUG key: proves nothing")
    public_key_pem = serializers.CharField(help_text="SubjectPublicKeyInfo PEM, for verify.py --trusted-key")
    pem_url = serializers.CharField(help_text="The same key as a .pem file")


class EvidenceKeysView(APIView):
    """The evidence-signing public keys (current and retired) auditors anchor offline verification on.

    Public, like the ``/evidence/keys/`` page: public keys are not secret and outside auditors have no account;
    trust comes from the organisation's HTTPS domain and a fingerprint confirmed another way, not from a login.
    """

    authentication_classes: Sequence[type[BaseAuthentication]] = []
    permission_classes: Sequence[type[BasePermission]] = [AllowAny]

    @extend_schema(responses={200: PublishedKeySerializer(many=True)}, auth=[])
    def get(self, request: Request) -> Response:
        rows = [
            {
                **asdict(key),
                "pem_url": request.build_absolute_uri(django_reverse("evidence:evidence-key-pem", args=[key.key_id])),
            }
            for key in published_keys()
        ]
        return Response(PublishedKeySerializer(rows, many=True).data)
