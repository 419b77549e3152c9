from __future__ import annotations

from typing import Any

import pytest

from governance.models import AISystem
from governance.services import ai_system_classify
from tests.governance.factories import HIGH_RISK_FACTS, AISystemFactory


@pytest.fixture
def high_risk_system(alice: Any) -> AISystem:
    """A recruitment system (Annex III 4(a), profiling), classified: high risk with open obligations."""
    system = AISystemFactory(name="CV ranker", facts=HIGH_RISK_FACTS)
    ai_system_classify(system=system, actor=alice)
    system.refresh_from_db()
    return system
