"""The OpenAPI schema class of every API view: drf-spectacular's, plus the error responses the API really gives.

drf-spectacular documents only the success response of an operation; the error contract
(:mod:`core.api.exception_handler`: a JSON object with a stable ``code``, ``detail`` and, for a 400, the field
errors) applies to every operation, so it is added here once rather than on each view: 400 where there is input
to refuse (a body or query parameters), 401/403 wherever authentication is required, 404 where an object is
looked up (a path parameter) or a page is asked for, 409 on writes (a state conflict, a protected delete).
``tests/core/test_api_fuzz.py`` checks with schemathesis that every status code, content type and body the API
answers is documented here.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers

#: the body of every error response (see core.api.exception_handler)
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An error: a stable machine-readable `code`, a `detail` for people; a 400 adds field errors "
    "(`{field: [messages]}`, `non_field_errors`).",
    "properties": {"code": {"type": "string"}, "detail": {"type": "string"}},
    "required": ["code"],
    "additionalProperties": True,
}

_ERRORS: dict[str, str] = {
    "400": "The request is invalid (field errors, or a domain rule said no).",
    "401": "Not authenticated.",
    "403": "Authenticated, but not allowed.",
    "404": "No such object (or not visible to you), or no such page.",
    "409": "The request conflicts with the current state.",
    "415": "The request body's media type is not one this operation reads.",
}
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's schema with the error responses of :mod:`core.api.exception_handler` documented."""

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in self.error_codes():
            responses.setdefault(
                code,
                {"description": _ERRORS[code], "content": {"application/json": {"schema": dict(ERROR_SCHEMA)}}},
            )
        return responses

    def _map_serializer_field(self, field: Any, direction: Any, bypass_extensions: bool = False) -> dict[str, Any]:
        """A read-only field of a model field that may be blank may answer ``""``: DRF drops ``allow_blank`` from
        read-only fields, so the blank value is put back here (a choice's ``BlankEnum``, a URL's empty string)."""
        blank = _answers_blank(field)
        if blank and isinstance(field, serializers.ChoiceField):
            field.allow_blank = True  # this serializer instance's copy of the field, as if declared so
        schema: dict[str, Any] = super()._map_serializer_field(field, direction, bypass_extensions)
        if (blank or getattr(field, "allow_blank", False)) and schema.get("format") == "uri":
            kept: dict[str, Any] = {k: schema.pop(k) for k in ("readOnly", "writeOnly", "description") if k in schema}
            schema = {"anyOf": [schema, {"type": "string", "enum": [""]}], **kept}
        return schema

    def error_codes(self) -> list[str]:
        """The error status codes this operation can answer with."""
        parameters = self._get_parameters()
        in_path = [p for p in parameters if p.get("in") == "path"]
        in_query = [p.get("name") for p in parameters if p.get("in") == "query"]
        checked_path = any("enum" in p.get("schema", {}) for p in in_path)  # a path value the view checks
        codes = []
        if self.method in _WRITES or in_query or checked_path or self._get_request_body():
            codes.append("400")
        if self.get_auth() and not self._allows_anonymous():
            codes += ["401", "403"]
        if in_path or "page" in in_query:
            codes.append("404")
        if self.method in _WRITES:
            codes.append("409")
        if self.method in _WRITES and self._get_request_body():
            codes.append("415")
        return codes

    def _allows_anonymous(self) -> bool:
        from rest_framework.permissions import AllowAny

        return any(isinstance(permission, AllowAny) for permission in self.view.get_permissions())


def _answers_blank(field: Any) -> bool:
    """A read-only serializer field whose model field allows blank (so the value read may be ``""``)."""
    if not getattr(field, "read_only", False) or getattr(field, "allow_blank", False):
        return False
    model = getattr(getattr(getattr(field, "parent", None), "Meta", None), "model", None)
    if model is None or not isinstance(getattr(field, "source", None), str) or "." in field.source:
        return False
    if not isinstance(field, serializers.ChoiceField | serializers.CharField):
        return False
    try:
        return bool(getattr(model._meta.get_field(field.source), "blank", False))
    except FieldDoesNotExist:
        return False
