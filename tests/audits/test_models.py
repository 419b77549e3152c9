"""Model invariants: unique run per slot, one schedule kind, source/column/config validation, history."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from audits.choices import SourceType
from audits.models import AuditDefinition, AuditRun
from tests.audits.factories import AuditDefinitionFactory, AuditRunFactory

pytestmark = pytest.mark.django_db


def test_the_database_refuses_a_second_run_for_the_same_slot() -> None:
    # given
    run = AuditRunFactory(slot=datetime(2026, 5, 1, tzinfo=UTC))
    # when / then
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditRun.objects.create(definition=run.definition, slot=datetime(2026, 5, 1, tzinfo=UTC))


def test_the_database_refuses_cron_and_interval_together() -> None:
    # given
    definition = AuditDefinitionFactory()
    # when / then
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditDefinition.objects.filter(pk=definition.pk).update(schedule_cron="* * * * *", schedule_interval_minutes=5)


@pytest.mark.parametrize(
    ("fields", "error_field"),
    [
        ({"source_type": SourceType.URL, "source_url": "ftp://example.org/x.csv"}, "source_url"),
        ({"sensitive_features": "sex"}, "sensitive_features"),
        ({"column_y_pred": "", "column_y_score": ""}, "column_y_pred"),
        ({"pos_label": "1", "metrics": ["r2_score"]}, "metrics"),
    ],
)
def test_clean_reports_the_offending_field(fields: dict, error_field: str) -> None:
    # given
    definition = AuditDefinitionFactory.build(**fields)
    # when / then
    with pytest.raises(ValidationError) as excinfo:
        definition.clean()
    assert error_field in excinfo.value.message_dict


def test_valid_definition_passes_clean_and_has_history() -> None:
    # given
    definition = AuditDefinitionFactory(schedule_interval_minutes=30)
    # when
    definition.clean()
    # then
    assert definition.schedule_label == "every 30 min"
    assert definition.history.count() == 1


def test_run_analyses_is_empty_without_a_result() -> None:
    # given
    run = AuditRunFactory()
    # then
    assert run.analyses == []
    assert str(run).startswith(run.definition.name)


def test_incomplete_definition_is_a_valid_draft_that_lists_what_is_missing() -> None:
    # given
    definition = AuditDefinitionFactory.build(
        source_type=SourceType.SQL, source_database="default", sensitive_features=[]
    )
    # when
    definition.clean()
    # then
    assert definition.missing_configuration() == [
        "source_query (for a sql query against a configured database source)",
        "sensitive_features (at least one column)",
    ]


@pytest.mark.parametrize(
    ("cron", "label"),
    [
        ("0 6 * * 1", "At 06:00, only on Monday (cron 0 6 * * 1)"),
        ("*/15 * * * *", "Every 15 minutes (cron */15 * * * *)"),
        ("not a cron", "not a cron (cron not a cron)"),
    ],
)
def test_a_cron_schedule_is_labelled_in_words(cron: str, label: str) -> None:
    assert AuditDefinition(schedule_cron=cron).schedule_label == label
