"""Maps ``ApplicationError`` subclasses and ``ProtectedError`` to HTTP responses with a stable ``code`` field."""

from __future__ import annotations

from typing import Any

from django.db.models import ProtectedError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.exceptions import ApplicationError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        return Response({"code": exc.code, "detail": exc.message, **exc.extra}, status=exc.http_status)
    if isinstance(exc, ProtectedError):
        return Response(
            {"code": "protected", "detail": "Other records depend on this one; it cannot be deleted."}, status=409
        )
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "code" not in response.data:
        code = getattr(exc, "default_code", "error")
        response.data = {"code": code, **response.data}
    return response
