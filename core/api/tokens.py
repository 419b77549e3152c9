"""``/api/v1/tokens/``: a user lists, creates and revokes their own API tokens (issue 18).

Everyone signed in manages their own tokens, and only theirs (another user's token is a 404, as if it did not
exist); superusers manage everyone's in the admin. A new token's plaintext is in the create response only.
Creating a token needs a signed-in session: a token cannot mint tokens (a leaked token could otherwise prolong
itself past its expiry); listing and revoking work with a token too, so a client can revoke its own token.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.mixins import change_reason
from core.authentication import request_uses_api_token
from core.exceptions import NotPermitted
from core.models import ApiToken
from core.selectors import api_token_list
from core.services import api_token_create, api_token_revoke


class ApiTokenSerializer(serializers.ModelSerializer[ApiToken]):
    """A token as listed: never its secret (which is not stored)."""

    status = serializers.SerializerMethodField(help_text="`active`, `expired` or `revoked`.")

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at", "status"]
        read_only_fields = fields

    def get_status(self, obj: ApiToken) -> str:
        if obj.is_revoked:
            return "revoked"
        return "expired" if obj.is_expired(now=timezone.now()) else "active"


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    """The create response: the listing fields plus the plaintext ``token``, shown this once."""

    token = serializers.CharField(
        read_only=True, help_text="The token itself. Shown only in this response: store it now (it is kept hashed)."
    )

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]
        read_only_fields = fields


class ApiTokenCreateSerializer(serializers.Serializer):
    """What a new token needs: a name and, optionally, its expiry (a time, or a number of days from now)."""

    name = serializers.CharField(max_length=100)
    expires_at = serializers.DateTimeField(
        required=False, help_text="When it expires; at most API_TOKEN_MAX_DAYS ahead (default API_TOKEN_DEFAULT_DAYS)."
    )
    expires_in_days = serializers.IntegerField(
        required=False, min_value=1, help_text="Alternatively, days from now (at most API_TOKEN_MAX_DAYS)."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # the cap is a setting, read when the serializer is made (field validators are fixed at construction)
        self.fields["expires_in_days"] = serializers.IntegerField(
            required=False,
            min_value=1,
            max_value=settings.API_TOKEN_MAX_DAYS,
            help_text="Alternatively, days from now (at most API_TOKEN_MAX_DAYS).",
        )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "expires_at" in attrs and "expires_in_days" in attrs:
            raise serializers.ValidationError("Give expires_at or expires_in_days, not both.")
        return attrs


class ApiTokenRevokeSerializer(serializers.Serializer):
    """Why the token is revoked (optional; goes to the audit log)."""

    reason = serializers.CharField(required=False, allow_blank=True, max_length=500)


@extend_schema_view(
    list=extend_schema(summary="Your API tokens (active, expired and revoked)"),
    retrieve=extend_schema(summary="One of your API tokens"),
)
class ApiTokenViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Self-service API tokens: list, create (session only), revoke. Only the caller's own tokens exist here."""

    queryset = ApiToken.objects.all()  # narrowed to the caller's in get_queryset
    serializer_class = ApiTokenSerializer
    permission_classes = [IsAuthenticated]
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[ApiToken]:
        return api_token_list(user=self.request.user)

    @extend_schema(
        request=ApiTokenCreateSerializer,
        responses={201: ApiTokenCreatedSerializer},
        summary="Create an API token (its secret is in this response only)",
        description="Needs a signed-in session (a token cannot create tokens: 403). The expiry defaults to "
        "API_TOKEN_DEFAULT_DAYS and may not exceed API_TOKEN_MAX_DAYS.",
    )
    def create(self, request: Request) -> Response:
        if request_uses_api_token(request):
            raise NotPermitted("Create tokens from a signed-in session (admin or API login), not with a token.")
        data = ApiTokenCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        expires_at = data.validated_data.get("expires_at")
        if "expires_in_days" in data.validated_data:
            expires_at = timezone.now() + timedelta(days=data.validated_data["expires_in_days"])
        token, plaintext = api_token_create(
            user=request.user,
            name=data.validated_data["name"],
            expires_at=expires_at,
            actor=request.user,
            reason=change_reason(request),
        )
        token.token = plaintext  # type: ignore[attr-defined]  # for the response only
        response = Response(ApiTokenCreatedSerializer(token).data, status=status.HTTP_201_CREATED)
        response["Cache-Control"] = "no-store"  # the secret must not linger in a cache
        return response

    @extend_schema(
        request=ApiTokenRevokeSerializer,
        responses={200: ApiTokenSerializer},
        summary="Revoke one of your API tokens (from the next request on it answers 401)",
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str | None = None) -> Response:
        token = self.get_object()
        data = ApiTokenRevokeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reason = data.validated_data.get("reason") or change_reason(request)
        token = api_token_revoke(token=token, actor=request.user, reason=reason)
        return Response(ApiTokenSerializer(token).data)
