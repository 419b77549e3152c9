"""The one error contract: services raise ``ApplicationError`` subclasses; the API maps them to 400/409 + ``code``."""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    """A domain rule said no. ``code`` is stable and machine-readable; ``message`` is for people."""

    code = "application_error"
    http_status = 400

    def __init__(self, message: str, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}


class ValidationFailed(ApplicationError):
    code = "validation_failed"


class Conflict(ApplicationError):
    """The request conflicts with the current state (e.g. a duplicate, or a state that moved on)."""

    code = "conflict"
    http_status = 409


class InvalidTransition(Conflict):
    """A lifecycle transition not allowed by the declared transition table, or blocked by a gate."""

    code = "invalid_transition"


class NotPermitted(ApplicationError):
    """The acting user may not do this to this object (e.g. revoke another user's API token)."""

    code = "not_permitted"
    http_status = 403
