"""Reads for shadow-AI discovery."""

from __future__ import annotations

from django.db.models import QuerySet

from discovery.models import LogSource


def log_source_list() -> QuerySet[LogSource]:
    return LogSource.objects.all()
