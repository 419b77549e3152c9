"""API of the notification outbox: channels (CRUD through services, secrets masked) and deliveries (read, re-send)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.permissions import ActionPerms
from core.api.viewsets import ServiceModelViewSet
from notifications import services
from notifications.api.serializers import ChannelSerializer, DeliverySerializer, ReasonSerializer
from notifications.filtersets import ChannelFilterSet, DeliveryFilterSet
from notifications.selectors import channel_list, delivery_list


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


class DeliveryViewSet(viewsets.ReadOnlyModelViewSet):
    """The outbox: one row per (event, channel) or direct e-mail; dead letters can be re-sent."""

    queryset = delivery_list()
    serializer_class = DeliverySerializer
    filterset_class = DeliveryFilterSet
    search_fields = ["event_key"]
    ordering_fields = ["created_at", "next_attempt_at", "attempts"]
    action_perms = {"resend": ("notifications.change_delivery",)}

    @extend_schema(request=ReasonSerializer, responses={200: DeliverySerializer})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated, ActionPerms])
    def resend(self, request: Request, pk: str | None = None) -> Response:
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        delivery = services.delivery_resend(
            delivery=self.get_object(), actor=request.user, reason=data.validated_data["reason"]
        )
        return Response(DeliverySerializer(delivery).data)
