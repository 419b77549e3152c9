"""Reads of the AI-system registry."""

from __future__ import annotations

from django.db.models import QuerySet

from governance.models import AISystem


def ai_system_list() -> QuerySet[AISystem]:
    return AISystem.objects.all()
