"""Shared viewset behaviour: the change reason header and the per-object history (audit trail) endpoint."""

from __future__ import annotations

from typing import Any

from django.db import models
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.field_access import hidden_fields, mask_change

CHANGE_REASON_HEADER = "X-Change-Reason"


def change_reason(request: Request) -> str:
    """The reason a client gave for a write, from the ``X-Change-Reason`` header (recorded in the audit trail)."""
    return str(request.headers.get(CHANGE_REASON_HEADER, ""))[:100]


class HistoryRecordSerializer(serializers.Serializer):
    history_id = serializers.IntegerField()
    history_date = serializers.DateTimeField()
    history_type = serializers.CharField(help_text="+ created, ~ changed, - deleted")
    history_user = serializers.CharField(allow_null=True)
    history_change_reason = serializers.CharField(allow_null=True)
    changes = serializers.ListField(child=serializers.DictField(), help_text="field, old, new")


def history_records(instance: models.Model, *, user: Any = None) -> list[dict[str, Any]]:
    """The django-simple-history records of one object, newest first, each with its field-level diff; the values
    of fields ``user`` may not read (:mod:`core.field_access`) are masked."""
    hidden = hidden_fields(type(instance), user)
    records = list(instance.history.select_related("history_user").order_by("-history_date", "-history_id"))  # type: ignore[attr-defined]
    out: list[dict[str, Any]] = []
    for index, record in enumerate(records):
        previous = records[index + 1] if index + 1 < len(records) else None
        changes: list[dict[str, Any]] = []
        if previous is not None:
            delta = record.diff_against(previous)
            for c in delta.changes:
                old, new = mask_change(c.field, _jsonable(c.old), _jsonable(c.new), hidden)
                changes.append({"field": c.field, "old": old, "new": new})
        out.append(
            {
                "history_id": record.history_id,
                "history_date": record.history_date,
                "history_type": record.history_type,
                "history_user": str(record.history_user) if record.history_user else None,
                "history_change_reason": record.history_change_reason,
                "changes": changes,
            }
        )
    return out


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool | list | dict):
        return value
    return str(value)


class AuditedModelViewSetMixin:
    """Adds ``GET <object>/history/`` (who, when, before/after, why) to a ModelViewSet whose model has history."""

    @extend_schema(
        responses=HistoryRecordSerializer(many=True),
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)],
        summary="Audit trail of this object (django-simple-history records with field diffs)",
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request: Request, pk: str | None = None) -> Response:
        instance = self.get_object()  # type: ignore[attr-defined]
        return Response(HistoryRecordSerializer(history_records(instance, user=request.user), many=True).data)
