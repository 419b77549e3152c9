"""Selectors: the registry as it stood at an instant (django-simple-history) and the change history of a system."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from governance.choices import ObligationStatus
from governance.models import AISystem, ModelVersion, Obligation, ObligationEvidence
from governance.selectors import ai_system_as_of, ai_system_history, obligations_as_of
from governance.services import (
    ai_system_classify,
    ai_system_register,
    ai_system_update,
    obligation_evidence_add,
    obligation_update,
)
from tests.governance.factories import HIGH_RISK_FACTS, AISystemFactory, ModelVersionFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()
DAY_1 = NOW - timedelta(days=3)
DAY_2 = NOW - timedelta(days=2)


def _date_history(model: type[Any], history_type: str, when: datetime, **lookup: Any) -> None:
    """Move the history rows of one kind to ``when``, so moments between changes are exact."""
    model.history.filter(history_type=history_type, **lookup).update(history_date=when)


@pytest.fixture
def renamed_system(alice: Any) -> AISystem:
    """Registered on day 1 as "Old name", renamed on day 2 to "New name"."""
    system = ai_system_register(
        actor=alice, data={"name": "Old name", "purpose": "Sorts tickets.", "roles": ["deployer"]}
    )
    _date_history(AISystem, "+", DAY_1, id=system.pk)
    ai_system_update(system=system, actor=alice, reason="rename", data={"name": "New name"})
    _date_history(AISystem, "~", DAY_2, id=system.pk)
    system.refresh_from_db()
    return system


@pytest.mark.parametrize(
    ("moment", "name"),
    [
        (DAY_1 - timedelta(hours=1), "New name"),  # no history row yet: the current row stands in
        (DAY_1, "Old name"),
        (DAY_1 + timedelta(hours=1), "Old name"),
        (DAY_2 - timedelta(microseconds=1), "Old name"),
        (DAY_2, "New name"),
        (NOW + timedelta(days=1), "New name"),
    ],
)
def test_ai_system_as_of_is_the_row_as_it_stood_then(renamed_system: AISystem, moment: datetime, name: str) -> None:
    snapshot = ai_system_as_of(system=renamed_system, moment=moment)

    assert (snapshot.pk, snapshot.name) == (renamed_system.pk, name)


def test_ai_system_as_of_without_any_history_is_the_system_itself() -> None:
    system = AISystemFactory(name="Imported")
    AISystem.history.filter(id=system.pk).delete()

    assert ai_system_as_of(system=system, moment=NOW) is system


@pytest.fixture
def checklist(alice: Any) -> tuple[AISystem, Obligation]:
    """A high-risk system whose obligations were made on day 1; the first one was marked done on day 2."""
    system = ai_system_register(
        actor=alice,
        data={"name": "CV ranker", "purpose": "Ranks CVs.", "roles": ["deployer"], "facts": HIGH_RISK_FACTS},
    )
    ai_system_classify(system=system, actor=alice)
    assert system.obligations.exists()
    _date_history(Obligation, "+", DAY_1, system_id=system.pk)
    first = system.obligations.order_by("pk").first()
    assert first is not None
    obligation_update(obligation=first, actor=alice, data={"status": ObligationStatus.DONE})
    _date_history(Obligation, "~", DAY_2, system_id=system.pk)
    return system, first


@pytest.mark.parametrize(
    ("moment", "status"),
    [
        (DAY_1 - timedelta(hours=1), None),  # not made yet
        (DAY_1 + timedelta(hours=1), ObligationStatus.OPEN),
        (DAY_2 + timedelta(hours=1), ObligationStatus.DONE),
    ],
)
def test_obligations_as_of_are_the_checklist_as_it_stood_then(
    checklist: tuple[AISystem, Obligation], moment: datetime, status: str | None
) -> None:
    system, first = checklist

    rows = {o.pk: o for o in obligations_as_of(system=system, moment=moment)}

    if status is None:
        assert rows == {}
    else:
        assert set(rows) == set(system.obligations.values_list("pk", flat=True))
        assert rows[first.pk].status == status
        assert all(isinstance(o, Obligation) for o in rows.values())


def test_obligations_as_of_leave_out_other_systems(checklist: tuple[AISystem, Obligation]) -> None:
    other = AISystemFactory()

    assert obligations_as_of(system=other, moment=NOW + timedelta(days=1)) == []


def test_obligations_without_any_history_fall_back_to_the_current_ones_made_by_then(
    checklist: tuple[AISystem, Obligation],
) -> None:
    system, first = checklist
    Obligation.history.filter(system_id=system.pk).delete()
    made = min(system.obligations.values_list("created_at", flat=True))

    assert obligations_as_of(system=system, moment=made - timedelta(seconds=1)) == []
    current = obligations_as_of(system=system, moment=timezone.now())
    assert {o.pk for o in current} == set(system.obligations.values_list("pk", flat=True))
    assert next(o for o in current if o.pk == first.pk).status == ObligationStatus.DONE


def test_ai_system_history_holds_the_rows_of_the_system_and_what_hangs_off_it(
    checklist: tuple[AISystem, Obligation], alice: Any
) -> None:
    system, first = checklist
    version = ModelVersionFactory(system=system)
    evidence = obligation_evidence_add(obligation=first, actor=alice, data={"url": "https://intranet.example/x"})
    other = AISystemFactory()
    ModelVersionFactory(system=other)

    sources = ai_system_history(system=system)

    assert [model for model, _ in sources] == [AISystem, Obligation, ModelVersion, ObligationEvidence]
    ids = {model: {row.id for row in qs} for model, qs in sources}
    assert ids == {
        AISystem: {system.pk},
        Obligation: set(system.obligations.values_list("pk", flat=True)),
        ModelVersion: {version.pk},
        ObligationEvidence: {evidence.pk},
    }
    history = dict(sources)
    assert [h.history_type for h in history[Obligation].filter(id=first.pk).order_by("history_date")] == ["+", "~"]
