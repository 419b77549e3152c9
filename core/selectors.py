"""Reads for shared infrastructure."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from core.models import AuditLogEntry, WorkerHeartbeat


def audit_log_list() -> QuerySet[AuditLogEntry]:
    return AuditLogEntry.objects.select_related("acting_user", "target_content_type")


def heartbeat_age(*, name: str) -> timedelta | None:
    """Time since the named heartbeat last ran, or ``None`` if it never ran."""
    heartbeat = WorkerHeartbeat.objects.filter(name=name).first()
    return None if heartbeat is None else timezone.now() - heartbeat.last_seen
