"""Model-level rules: immutable classification records, facts/roles validation, obligation reason."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from governance.choices import ObligationStatus
from governance.models import AISystem, ClassificationRecord, ImmutableRecord
from tests.governance.factories import AISystemFactory

pytestmark = pytest.mark.django_db


def test_classification_record_cannot_be_saved_again(high_risk_system: AISystem) -> None:
    # given
    record = high_risk_system.classification_records.get()
    record.risk_class = "minimal"
    # when / then
    with pytest.raises(ImmutableRecord):
        record.save()
    assert ClassificationRecord.objects.get(pk=record.pk).risk_class == "high"


def test_classification_record_cannot_be_deleted_one_by_one_or_in_bulk(high_risk_system: AISystem) -> None:
    # given
    record = high_risk_system.classification_records.get()
    # when / then
    with pytest.raises(ImmutableRecord):
        record.delete()
    with pytest.raises(ImmutableRecord):
        ClassificationRecord.objects.all().delete()
    with pytest.raises(ImmutableRecord):
        ClassificationRecord.objects.update(risk_class="minimal")
    assert ClassificationRecord.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("facts", {"art_5": {"social_scoring": "yes"}}),
        ("facts", {"unknown_section": {}}),
        ("roles", ["provider", "emperor"]),
        ("roles", ["deployer", "deployer"]),
        ("personal_data_categories", "health"),
    ],
)
def test_invalid_registry_values_are_rejected(field: str, value: Any) -> None:
    # given
    system = AISystemFactory.build(**{field: value})
    # when / then
    with pytest.raises(ValidationError) as excinfo:
        system.full_clean()
    assert field in excinfo.value.message_dict


def test_not_applicable_obligation_needs_a_reason(high_risk_system: AISystem) -> None:
    # given
    obligation = high_risk_system.obligations.first()
    assert obligation is not None
    obligation.status = ObligationStatus.NOT_APPLICABLE
    # when / then
    with pytest.raises(ValidationError, match="reason"):
        obligation.full_clean()
    obligation.not_applicable_reason = "Only internal use, no EU users."
    obligation.full_clean()


def test_with_role_matches_the_json_list_exactly() -> None:
    # given
    provider = AISystemFactory(roles=["provider", "deployer"])
    AISystemFactory(roles=["deployer"])
    AISystemFactory(roles=["authorised_representative"])
    # when
    found = list(AISystem.objects.with_role("provider"))
    # then
    assert found == [provider]
