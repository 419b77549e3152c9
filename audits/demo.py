"""Demo audit data for `manage.py demo`. Idempotent."""

from __future__ import annotations

from typing import Any

from audits.models import AuditDefinition
from audits.services import audit_definition_create
from governance.selectors import ai_system_list


def load(*, users: dict[str, Any]) -> None:
    """Create the demo audit definitions as the compliance officer ``alice``."""
    cv = ai_system_list().filter(name="CV screening assistant").first()
    if cv is not None and not AuditDefinition.objects.filter(ai_system=cv, name="LL144 annual bias audit").exists():
        audit_definition_create(
            actor=users["alice"],
            reason="demo data",
            data={"ai_system": cv, "name": "LL144 annual bias audit", "description": "Selection-rate impact ratios"},
        )
