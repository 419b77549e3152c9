"""Writes for shadow-AI discovery. Each service runs in one transaction and records actor and reason."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from core.services import model_create, model_delete, model_update
from discovery.models import LogSource


@transaction.atomic
def log_source_create(*, actor: Any, reason: str = "", data: dict[str, Any]) -> LogSource:
    """Register a proxy/firewall/sensor whose logs will be ingested."""
    return model_create(LogSource, actor=actor, reason=reason or "created", data=data)


@transaction.atomic
def log_source_update(*, source: LogSource, actor: Any, reason: str = "", data: dict[str, Any]) -> LogSource:
    """Change a log source's settings; the history keeps before/after."""
    return model_update(source, actor=actor, reason=reason, data=data)


@transaction.atomic
def log_source_delete(*, source: LogSource, actor: Any, reason: str = "") -> None:
    """Delete a log source; its history is kept."""
    model_delete(source, actor=actor, reason=reason)
