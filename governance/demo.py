"""Demo registry data for `manage.py demo`: a realistic inventory across every EU AI Act class, with facts, all
classified, some obligations in progress or done and a few lifecycle transitions.

Idempotent: systems are looked up by name; facts are set and the system classified only while it has no
classification record, and the follow-up steps (obligation progress, transitions) only run right after that first
classification, so a second run changes nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from governance.choices import ObligationStatus
from governance.classification import facts_from_dict, facts_to_dict
from governance.models import AISystem
from governance.services import (
    ai_system_classify,
    ai_system_facts_update,
    ai_system_register,
    ai_system_transition,
    ai_system_update,
    obligation_evidence_add,
    obligation_update,
)

DEPLOYER = ["deployer"]
PROVIDER_DEPLOYER = ["provider", "deployer"]

#: name -> registry data, facts, and what happens after classification ("progress": obligations to work on,
#: "path": lifecycle moves in order)
DEMO_SYSTEMS: list[dict[str, Any]] = [
    {
        "name": "CV screening assistant",
        "purpose": "Ranks job applications for recruiters and filters out candidates below a score.",
        "business_unit": "HR",
        "business_owner": "Head of Talent",
        "technical_owner": "HR IT",
        "vendor": "TalentRank BV",
        "sourcing": "third_party",
        "deployment": "cloud",
        "data_location": "EU (Amsterdam)",
        "personal_data_categories": ["CV and employment history", "contact data", "education"],
        "affected_persons": "Job applicants",
        "roles": DEPLOYER,
        "facts": {
            "annex_iii": {"points": ["4a"]},
            "art_6_3": {"profiles_natural_persons": True},
            "deployer": {"used_at_workplace": True},
        },
        "progress": "some",
        "path": ["pilot"],
    },
    {
        "name": "Customer support chatbot",
        "purpose": "Answers customer questions on the website using a third-party LLM.",
        "business_unit": "Customer Service",
        "business_owner": "Head of Support",
        "technical_owner": "Digital channels",
        "vendor": "OpenAI (via Azure OpenAI)",
        "sourcing": "third_party",
        "deployment": "cloud",
        "data_location": "EU (Sweden Central)",
        "personal_data_categories": ["contact data", "order history"],
        "affected_persons": "Customers and website visitors",
        "roles": DEPLOYER,
        "facts": {"art_50": {"interacts_with_natural_persons": True, "generates_synthetic_content": True}},
        # the questionnaire is not finished: the class shows as incomplete, with the questions still open
        "questions_left_open": True,
        "progress": "all",
        "path": ["pilot", "approved", "production"],
    },
    {
        "name": "Credit limit scoring",
        "purpose": "Scores consumer credit applications and proposes a credit limit.",
        "business_unit": "Retail lending",
        "business_owner": "Chief Risk Officer",
        "technical_owner": "Risk analytics",
        "sourcing": "internal",
        "deployment": "on_prem",
        "data_location": "Own data centre (Frankfurt)",
        "personal_data_categories": ["income", "credit history", "identity data"],
        "affected_persons": "Consumer credit applicants",
        "roles": PROVIDER_DEPLOYER,
        "facts": {"annex_iii": {"points": ["5b"]}, "art_6_3": {"profiles_natural_persons": True}},
        "progress": "all",
        "path": ["pilot", "approved", "production"],
    },
    {
        "name": "Invoice OCR",
        "purpose": "Extracts fields from supplier invoices for accounts payable.",
        "business_unit": "Finance",
        "business_owner": "Head of AP",
        "technical_owner": "Finance IT",
        "vendor": "DocuRead GmbH",
        "sourcing": "third_party",
        "deployment": "cloud",
        "data_location": "EU (Frankfurt)",
        "personal_data_categories": ["supplier contact data"],
        "affected_persons": "Suppliers",
        "roles": DEPLOYER,
        "facts": {},
        "progress": "all",
        "path": ["approved", "production"],
    },
    {
        "name": "Call-centre emotion monitor",
        "purpose": "Infers agents' emotions from voice during calls to score their stress and engagement.",
        "business_unit": "Customer Service",
        "business_owner": "Head of Support",
        "technical_owner": "Workforce management",
        "vendor": "VoiceMood Inc.",
        "sourcing": "third_party",
        "deployment": "cloud",
        "data_location": "USA",
        "personal_data_categories": ["voice recordings", "biometric data"],
        "affected_persons": "Call-centre employees",
        "roles": DEPLOYER,
        "facts": {
            "art_5": {"emotion_recognition_workplace_or_education": True},
            "art_50": {"emotion_recognition_or_biometric_categorisation": True},
            "deployer": {"used_at_workplace": True},
        },
        "progress": "none",
        "path": [],
    },
    {
        "name": "Card fraud detection",
        "purpose": "Flags card transactions that look fraudulent for review by the fraud team.",
        "business_unit": "Payments",
        "business_owner": "Head of Fraud",
        "technical_owner": "Payments analytics",
        "sourcing": "internal",
        "deployment": "hybrid",
        "data_location": "EU (own data centre + Frankfurt cloud)",
        "personal_data_categories": ["transaction data", "device data"],
        "affected_persons": "Card holders",
        "roles": PROVIDER_DEPLOYER,
        "facts": {"annex_iii": {"points": ["5b"], "carve_outs": ["financial_fraud_detection"]}},
        "progress": "all",
        "path": ["approved", "production"],
    },
    {
        "name": "Insulin dosing advisor",
        "purpose": "Software component of our insulin pump that recommends bolus doses from glucose readings.",
        "business_unit": "Medical devices",
        "business_owner": "VP Product, Diabetes care",
        "technical_owner": "Embedded ML team",
        "sourcing": "internal",
        "deployment": "on_prem",
        "data_location": "On device",
        "personal_data_categories": ["health data"],
        "affected_persons": "Patients using the pump",
        "roles": ["provider", "product_manufacturer"],
        "facts": {
            "annex_i": {
                "act": "medical_devices_2017_745",
                "safety_component_or_product": True,
                "third_party_conformity_assessment": True,
            }
        },
        "progress": "some",
        "path": ["pilot"],
    },
    {
        "name": "Company copilot",
        "purpose": "Internal assistant built on a GPAI model: drafts emails, summarises documents, answers policy "
        "questions for employees.",
        "business_unit": "IT",
        "business_owner": "CIO",
        "technical_owner": "Platform engineering",
        "vendor": "Mistral AI (model), built in-house",
        "sourcing": "internal",
        "deployment": "cloud",
        "data_location": "EU (Paris)",
        "personal_data_categories": ["employee data", "business correspondence"],
        "affected_persons": "Employees",
        "roles": PROVIDER_DEPLOYER,
        "facts": {
            "art_50": {"interacts_with_natural_persons": True, "generates_synthetic_content": True},
            "deployer": {"used_at_workplace": True},
        },
        "progress": "some",
        "path": ["pilot", "approved"],
    },
    {
        "name": "Atlas foundation model",
        "purpose": "Large language model trained by the research lab and offered to partners via API.",
        "business_unit": "AI research",
        "business_owner": "Chief Scientist",
        "technical_owner": "Foundation models team",
        "sourcing": "internal",
        "deployment": "cloud",
        "data_location": "EU (Finland)",
        "personal_data_categories": ["web-scale text (may contain personal data)"],
        "affected_persons": "Downstream users of partner applications",
        "roles": ["provider"],
        "facts": {"gpai": {"is_gpai_model": True, "training_compute_flop": 3.2e25}},
        "progress": "some",
        "path": ["pilot"],
    },
    {
        "name": "Shift allocation helper",
        "purpose": "Prepares a draft weekly shift rota from availability that planners review and finalise.",
        "business_unit": "Operations",
        "business_owner": "Head of Operations",
        "technical_owner": "Ops IT",
        "sourcing": "internal",
        "deployment": "cloud",
        "data_location": "EU (Dublin)",
        "personal_data_categories": ["availability", "contract hours"],
        "affected_persons": "Warehouse employees",
        "roles": PROVIDER_DEPLOYER,
        "facts": {
            "annex_iii": {"points": ["4b"]},
            "art_6_3": {"preparatory_task": True},
            "deployer": {"used_at_workplace": True},
        },
        "progress": "all",
        "path": ["approved", "production"],
    },
    {
        "name": "Health insurance pricing",
        "purpose": "Estimates risk and proposes premiums for individual health insurance applicants.",
        "business_unit": "Insurance",
        "business_owner": "Chief Actuary",
        "technical_owner": "Pricing analytics",
        "sourcing": "internal",
        "deployment": "cloud",
        "data_location": "EU (Frankfurt)",
        "personal_data_categories": ["health data", "age", "lifestyle questionnaire"],
        "affected_persons": "Insurance applicants",
        "roles": PROVIDER_DEPLOYER,
        "facts": {"annex_iii": {"points": ["5c"]}, "art_6_3": {"profiles_natural_persons": True}},
        "progress": "some",
        "path": [],
    },
    {
        "name": "Marketing image generator",
        "purpose": "Generates product and lifestyle images for campaigns, including realistic people.",
        "business_unit": "Marketing",
        "business_owner": "CMO",
        "technical_owner": "Creative tech",
        "vendor": "Stability AI",
        "sourcing": "third_party",
        "deployment": "cloud",
        "data_location": "USA",
        "personal_data_categories": [],
        "affected_persons": "Public audience of campaigns",
        "roles": DEPLOYER,
        "facts": {"art_50": {"generates_synthetic_content": True, "generates_deep_fake": True}},
        "progress": "none",
        "path": ["pilot"],
    },
    {
        "name": "Warehouse demand forecast",
        "purpose": "Forecasts weekly demand per SKU to plan stock levels.",
        "business_unit": "Supply chain",
        "business_owner": "Head of Supply Chain",
        "technical_owner": "Data science",
        "sourcing": "internal",
        "deployment": "cloud",
        "data_location": "EU (Dublin)",
        "personal_data_categories": [],
        "affected_persons": "None directly",
        "roles": PROVIDER_DEPLOYER,
        "facts": {},
        "progress": "all",
        "path": ["approved", "production"],
    },
    {
        "name": "Protein folding research prototype",
        "purpose": "Research-only model to study protein structures; never put into service.",
        "business_unit": "AI research",
        "business_owner": "Chief Scientist",
        "technical_owner": "Bio-ML lab",
        "sourcing": "internal",
        "deployment": "on_prem",
        "data_location": "Own cluster",
        "personal_data_categories": [],
        "affected_persons": "None",
        "roles": ["provider"],
        "facts": {"scope": {"scientific_research_sole_purpose": True}},
        "progress": "none",
        "path": ["pilot"],
    },
]

_REGISTRY_KEYS = (
    "name", "purpose", "business_unit", "business_owner", "technical_owner", "vendor", "sourcing", "deployment",
    "data_location", "personal_data_categories", "affected_persons", "roles",
)  # fmt: skip


def _work_on_obligations(system: AISystem, *, progress: str, owner: Any, actor: Any) -> None:
    today = timezone.localdate()
    obligations = list(system.obligations.filter(is_current=True).order_by("applies_from", "article"))
    for index, obligation in enumerate(obligations):
        if progress == "all":
            if index % 4 == 3:
                data = {"status": ObligationStatus.NOT_APPLICABLE, "not_applicable_reason": "Covered by group policy."}
            else:
                data = {"status": ObligationStatus.DONE}
            obligation_update(obligation=obligation, actor=actor, reason="demo data", data={**data, "owner": owner})
            if data["status"] == ObligationStatus.DONE and index % 2 == 0:
                obligation_evidence_add(
                    obligation=obligation,
                    actor=actor,
                    reason="demo data",
                    data={
                        "description": f"{obligation.article} record",
                        "url": "https://intranet.example.com/ai/evidence",
                    },
                )
        elif progress == "some":
            status = [ObligationStatus.DONE, ObligationStatus.IN_PROGRESS, ObligationStatus.OPEN][index % 3]
            # internal target dates well before the legal dates, so the overview shows work due soon and overdue
            due = today + timedelta(days=[-5, 20, 75][index % 3])
            obligation_update(
                obligation=obligation,
                actor=actor,
                reason="demo data",
                data={"status": status, "owner": owner, "due_date": due},
            )


def _all_answered(facts: dict[str, Any]) -> dict[str, Any]:
    """The demo's answers with every other yes/no question answered "no" and no Annex III point, as a compliance
    officer who went through the whole questionnaire would leave it (so the classification is complete)."""
    answered = facts_to_dict(facts_from_dict(facts))
    for section, questions in answered.items():
        if not isinstance(questions, dict):
            continue
        for name, value in questions.items():
            if value is None and name not in _NOT_YES_NO:
                questions[name] = (section, name) == ("scope", "is_ai_system")
    if answered["annex_iii"]["points"] is None:
        answered["annex_iii"]["points"] = []
    answered["transition"]["already_on_market"] = facts.get("transition", {}).get("already_on_market", False)
    answered.pop("roles")
    return answered


_NOT_YES_NO = ("act", "realtime_rbi_objective", "training_compute_flop", "placed_on_market_on", "points")


def load(*, users: dict[str, Any]) -> None:
    """Create, classify and progress the demo AI systems as the compliance officer ``alice``."""
    alice = users["alice"]
    for spec in DEMO_SYSTEMS:
        with transaction.atomic():
            data = {k: spec[k] for k in _REGISTRY_KEYS if k in spec}
            system = AISystem.objects.filter(name=spec["name"]).first()
            if system is None:
                system = ai_system_register(actor=alice, reason="demo data", data=data)
            if system.classification_records.exists():
                continue  # already set up by an earlier run
            missing = {k: v for k, v in data.items() if not getattr(system, k)}
            if missing:  # systems created by an older demo lack the newer registry fields
                system = ai_system_update(system=system, actor=alice, reason="demo data", data=missing)
            facts = spec["facts"] if spec.get("questions_left_open") else _all_answered(spec["facts"])
            system = ai_system_facts_update(system=system, actor=alice, reason="demo data", facts=facts)
            ai_system_classify(system=system, actor=alice, reason="demo data")
            _work_on_obligations(system, progress=spec["progress"], owner=alice, actor=alice)
            for stage in spec["path"]:
                system.refresh_from_db()
                ai_system_transition(system=system, to=stage, actor=alice, reason="demo data")
