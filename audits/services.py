"""Writes for fairness audits. Each service runs in one transaction and records actor and reason."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from audits.models import AuditDefinition
from core.services import model_create, model_delete, model_update


@transaction.atomic
def audit_definition_create(*, actor: Any, reason: str = "", data: dict[str, Any]) -> AuditDefinition:
    """Define a fairness audit for an AI system (Art. 10(2)(f)-(g) examination of possible biases)."""
    return model_create(AuditDefinition, actor=actor, reason=reason or "created", data=data)


@transaction.atomic
def audit_definition_update(
    *, definition: AuditDefinition, actor: Any, reason: str = "", data: dict[str, Any]
) -> AuditDefinition:
    """Change an audit definition; the history keeps before/after."""
    return model_update(definition, actor=actor, reason=reason, data=data)


@transaction.atomic
def audit_definition_delete(*, definition: AuditDefinition, actor: Any, reason: str = "") -> None:
    """Delete an audit definition; its history is kept."""
    model_delete(definition, actor=actor, reason=reason)
