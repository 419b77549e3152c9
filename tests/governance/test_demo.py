"""The demo registry: realistic, every class present, all classified, idempotent."""

from __future__ import annotations

from typing import Any

import pytest

from governance import demo
from governance.choices import LifecycleStage, ObligationStatus, RiskClass
from governance.models import AISystem, ClassificationRecord, Obligation, ObligationEvidence

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, ...]:
    return (
        AISystem.objects.count(),
        ClassificationRecord.objects.count(),
        Obligation.objects.count(),
        ObligationEvidence.objects.count(),
        AISystem.history.count(),
        Obligation.history.count(),
    )


def test_demo_covers_every_class_and_is_classified(alice: Any, audrey: Any, sam: Any) -> None:
    # when
    demo.load(users={"alice": alice, "audrey": audrey, "sam": sam})

    # then
    systems = {s.name: s for s in AISystem.objects.all()}
    assert len(systems) >= 12
    assert all(s.risk_class for s in systems.values())
    assert {s.risk_class for s in systems.values()} >= set(RiskClass.values)
    assert systems["CV screening assistant"].risk_class == RiskClass.HIGH
    assert systems["Credit limit scoring"].risk_class == RiskClass.HIGH
    assert systems["Credit limit scoring"].lifecycle_stage == LifecycleStage.PRODUCTION
    assert systems["Call-centre emotion monitor"].risk_class == RiskClass.PROHIBITED
    assert systems["Customer support chatbot"].risk_class == RiskClass.LIMITED
    assert systems["Invoice OCR"].risk_class == RiskClass.MINIMAL
    assert Obligation.objects.filter(status=ObligationStatus.IN_PROGRESS).exists()
    assert Obligation.objects.filter(status=ObligationStatus.DONE).exists()


def test_demo_is_idempotent(alice: Any, audrey: Any, sam: Any) -> None:
    # given
    users = {"alice": alice, "audrey": audrey, "sam": sam}
    demo.load(users=users)
    before = _counts()

    # when
    demo.load(users=users)

    # then
    assert _counts() == before
