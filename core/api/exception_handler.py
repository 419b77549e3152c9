"""Maps ``ApplicationError`` subclasses, Django's model ``ValidationError`` and ``ProtectedError`` to HTTP responses
with a stable ``code`` field."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError
from django.http import Http404
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from core.exceptions import ApplicationError


def _field_errors(exc: DjangoValidationError) -> dict[str, Any]:
    """A model ``ValidationError`` as DRF field errors: ``{field: [messages]}``, ``non_field_errors`` for the rest."""
    errors = serializers.as_serializer_error(exc)
    if NON_FIELD_ERRORS in errors:  # "__all__" from Model.clean() / constraints
        errors.setdefault(api_settings.NON_FIELD_ERRORS_KEY, []).extend(errors.pop(NON_FIELD_ERRORS))
    return errors


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        set_rollback()
        return Response({"code": exc.code, "detail": exc.message, **exc.extra}, status=exc.http_status)
    if isinstance(exc, DjangoValidationError):
        # A model's full_clean()/clean() in a service said no (e.g. a silence without an end, an interval on a
        # cron definition): the same 400 with field errors a serializer would give, not a 500.
        set_rollback()
        return Response({"code": "invalid", **_field_errors(exc)}, status=400)
    if isinstance(exc, ProtectedError):
        set_rollback()
        return Response(
            {"code": "protected", "detail": "Other records depend on this one; it cannot be deleted."}, status=409
        )
    if isinstance(exc, Http404):  # get_object() on a missing id: the same code as any other missing thing
        exc = exceptions.NotFound(str(exc) or None)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, list):
        # a ValidationError raised with a message or a list of them (not field errors): the same object as any
        # other error, its messages as non-field errors
        response.data = {api_settings.NON_FIELD_ERRORS_KEY: response.data}
    if response is not None and isinstance(response.data, dict) and "code" not in response.data:
        code = getattr(exc, "default_code", "error")
        response.data = {"code": code, **response.data}
    return response
