"""The registry-resource viewset: CRUD whose writes go through services (never ``serializer.save()``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rest_framework import serializers, viewsets

from core.api.mixins import AuditedModelViewSetMixin, change_reason


class ServiceModelViewSet(AuditedModelViewSetMixin, viewsets.ModelViewSet):
    """ModelViewSet whose create/update/delete call the app's ``<entity>_<verb>`` services.

    Subclasses set ``create_service``, ``update_service`` and ``delete_service`` (keyword-only services) and
    ``instance_kwarg``, the keyword the update/delete services take the object by (e.g. ``"system"``). The
    ``X-Change-Reason`` header becomes the audit-trail reason.
    """

    instance_kwarg: str

    create_service: Callable[..., Any]
    update_service: Callable[..., Any]
    delete_service: Callable[..., Any]

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        serializer.instance = type(self).create_service(
            actor=self.request.user, reason=change_reason(self.request), data=dict(serializer.validated_data)
        )

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        serializer.instance = type(self).update_service(
            **{self.instance_kwarg: serializer.instance},
            actor=self.request.user,
            reason=change_reason(self.request),
            data=dict(serializer.validated_data),
        )

    def perform_destroy(self, instance: Any) -> None:
        type(self).delete_service(
            **{self.instance_kwarg: instance}, actor=self.request.user, reason=change_reason(self.request)
        )
