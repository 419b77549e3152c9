"""Selectors: the change history of audit definitions and findings."""

from __future__ import annotations

from typing import Any, cast

import pytest

from audits.choices import FindingKind
from audits.models import AuditDefinition, Finding
from audits.selectors import audit_history
from tests.audits.factories import AuditDefinitionFactory

pytestmark = pytest.mark.django_db


def _finding(definition: AuditDefinition, title: str) -> Finding:
    return Finding.objects.create(
        ai_system=definition.ai_system, definition=definition, kind=FindingKind.FAILING, title=title
    )


def test_audit_history_holds_the_rows_of_the_given_definitions_and_findings_only() -> None:
    mine, other = (cast(AuditDefinition, AuditDefinitionFactory(n_boot=0)) for _ in range(2))
    mine.name = "Renamed"
    mine.save()
    finding = _finding(mine, "Selection rate gap")
    _finding(other, "Someone else's")

    sources = audit_history(definition_ids=[mine.pk], finding_ids=[finding.pk])

    assert [model for model, _ in sources] == [AuditDefinition, Finding]
    rows: dict[Any, list[tuple[int, str]]] = {
        model: sorted((h.id, h.history_type) for h in qs) for model, qs in sources
    }
    assert rows == {AuditDefinition: [(mine.pk, "+"), (mine.pk, "~")], Finding: [(finding.pk, "+")]}


def test_audit_history_of_nothing_is_empty() -> None:
    AuditDefinitionFactory(n_boot=0)

    assert [list(qs) for _, qs in audit_history(definition_ids=[], finding_ids=[])] == [[], []]
