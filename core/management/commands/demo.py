"""Load demo data: role users, AI systems, an audit definition, a log source. Idempotent: safe to run twice."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from audits.models import AuditDefinition
from audits.services import audit_definition_create
from core.roles import AUDITOR, COMPLIANCE_OFFICER, SECURITY_ANALYST
from discovery.models import LogSource
from discovery.services import log_source_create
from governance.models import AISystem
from governance.services import ai_system_register

DEMO_PASSWORD = "demo-password-123"

DEMO_USERS = {
    "alice": COMPLIANCE_OFFICER,
    "audrey": AUDITOR,
    "sam": SECURITY_ANALYST,
}

DEMO_SYSTEMS: list[dict[str, Any]] = [
    {
        "name": "CV screening assistant",
        "purpose": "Ranks job applications for recruiters and filters out candidates below a score.",
        "business_unit": "HR",
        "business_owner": "Head of Talent",
        "technical_owner": "HR IT",
    },
    {
        "name": "Customer support chatbot",
        "purpose": "Answers customer questions on the website using a third-party LLM.",
        "business_unit": "Customer Service",
        "business_owner": "Head of Support",
        "technical_owner": "Digital channels",
    },
    {
        "name": "Credit limit scoring",
        "purpose": "Scores consumer credit applications and proposes a credit limit.",
        "business_unit": "Retail lending",
        "business_owner": "Chief Risk Officer",
        "technical_owner": "Risk analytics",
    },
    {
        "name": "Invoice OCR",
        "purpose": "Extracts fields from supplier invoices for accounts payable.",
        "business_unit": "Finance",
        "business_owner": "Head of AP",
        "technical_owner": "Finance IT",
    },
]


class Command(BaseCommand):
    help = "Load demo data (role users, AI systems, audits, log sources). Safe to run more than once."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        user_model = get_user_model()
        for username, role in DEMO_USERS.items():
            user, created = user_model.objects.get_or_create(username=username, defaults={"is_staff": True})
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            user.groups.add(Group.objects.get(name=role))
        actor = user_model.objects.get(username="alice")
        for data in DEMO_SYSTEMS:
            if not AISystem.objects.filter(name=data["name"]).exists():
                ai_system_register(actor=actor, reason="demo data", data=data)
        cv = AISystem.objects.get(name="CV screening assistant")
        if not AuditDefinition.objects.filter(ai_system=cv, name="LL144 annual bias audit").exists():
            audit_definition_create(
                actor=actor,
                reason="demo data",
                data={
                    "ai_system": cv,
                    "name": "LL144 annual bias audit",
                    "description": "Selection-rate impact ratios",
                },
            )
        if not LogSource.objects.filter(name="HQ Squid proxy").exists():
            analyst = user_model.objects.get(username="sam")
            log_source_create(actor=analyst, reason="demo data", data={"name": "HQ Squid proxy", "log_format": "squid"})
        users = ", ".join(f"{u} ({r})" for u, r in DEMO_USERS.items())
        self.stdout.write(f"Demo data loaded. Role users (password {DEMO_PASSWORD!r}): {users}")
