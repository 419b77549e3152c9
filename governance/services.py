"""Writes to the AI-system registry. Each service runs in one transaction and records actor and reason."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from core.services import model_create, model_delete, model_update
from governance.models import AISystem


@transaction.atomic
def ai_system_register(*, actor: Any, reason: str = "", data: dict[str, Any]) -> AISystem:
    """Add an AI system to the inventory (EU AI Act Art. 26/49 presuppose knowing which systems are in use)."""
    return model_create(AISystem, actor=actor, reason=reason or "registered", data=data)


@transaction.atomic
def ai_system_update(*, system: AISystem, actor: Any, reason: str = "", data: dict[str, Any]) -> AISystem:
    """Change registry facts of an AI system; the history keeps before/after."""
    return model_update(system, actor=actor, reason=reason, data=data)


@transaction.atomic
def ai_system_delete(*, system: AISystem, actor: Any, reason: str = "") -> None:
    """Remove an AI system (refused with 409 while audits reference it); its history is kept."""
    model_delete(system, actor=actor, reason=reason)
