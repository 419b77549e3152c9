"""Demo registry data for `manage.py demo`. Idempotent: looks rows up by natural key before creating them."""

from __future__ import annotations

from typing import Any

from governance.models import AISystem
from governance.services import ai_system_register

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


def load(*, users: dict[str, Any]) -> None:
    """Create the demo AI systems as the compliance officer ``alice``."""
    for data in DEMO_SYSTEMS:
        if not AISystem.objects.filter(name=data["name"]).exists():
            ai_system_register(actor=users["alice"], reason="demo data", data=data)
