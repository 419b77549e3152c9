"""Models and the seed data migration."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.db import IntegrityError, connection

from discovery.catalog import load_seed
from discovery.choices import PolicyStatus
from discovery.models import AIService, AIServiceRule, LogBatch, LogSource, PolicyException, UsageRecord

SEED = Path(__file__).resolve().parents[2] / "discovery" / "migrations" / "0003_seed_ai_catalog.json"


def test_the_seed_migration_loads_the_frozen_catalog(catalog: None) -> None:
    # given
    frozen = json.loads(SEED.read_text())["services"]
    # then
    assert AIService.objects.count() == len(frozen) >= 150
    assert AIServiceRule.objects.count() == sum(len(s["rules"]) for s in frozen)
    chatgpt = AIService.objects.get(slug="chatgpt")
    assert chatgpt.vendor == "OpenAI" and chatgpt.policy == PolicyStatus.UNSANCTIONED
    assert chatgpt.risk_factors and {"code", "points", "reason"} <= set(chatgpt.risk_factors[0])
    assert AIServiceRule.objects.filter(upload=True).exists()


def test_the_migrated_catalog_is_the_catalog_data_file(catalog: None) -> None:
    # given the catalog as the data migrations leave a fresh database, and the data file (discovery.catalog)
    stored = {
        service.slug: (
            (service.name, service.vendor, service.category, service.notes, service.hq_country),
            (service.trains_on_user_data, service.data_retention, service.data_region),
            (service.enterprise_tier_available, service.risk_score, service.risk_factors),
        )
        for service in AIService.objects.all()
    }
    stored_rules = set(
        AIServiceRule.objects.values_list(
            "service__slug", "rule_type", "value", "upload", "telemetry", "weak", "source"
        )
    )
    # when the data file is loaded and scored
    expected: dict[str, tuple[tuple[object, ...], ...]] = {}
    expected_rules: set[tuple[object, ...]] = set()
    for service in load_seed():
        attrs, risk = service.risk_attributes, service.risk
        expected[service.slug] = (
            (service.name, service.vendor, service.category, service.notes, attrs.hq_country),
            (attrs.trains_on_user_data, attrs.data_retention, attrs.data_region),
            (
                attrs.enterprise_tier_available,
                risk.score,
                [{"code": f.code, "points": f.points, "reason": f.reason} for f in risk.factors],
            ),
        )
        expected_rules |= {
            (service.slug, r.rule_type, r.value, r.upload, r.telemetry, r.weak, r.source) for r in service.rules
        }
    # then they agree: a change to discovery/catalog/data/catalog.json must ship with a data migration that applies it
    # (migration 0003 seeds from its own frozen snapshot and is never edited)
    assert stored == expected
    assert stored_rules == expected_rules


def test_a_file_is_unique_per_source(catalog: None) -> None:
    # given
    source = LogSource.objects.create(name="p", log_format="squid")
    LogBatch.objects.create(source=source, sha256="a" * 64, log_format="squid")
    # when / then
    with pytest.raises(IntegrityError):
        LogBatch.objects.create(source=source, sha256="a" * 64, log_format="squid")


def test_a_policy_exception_has_a_department_or_a_group_not_both(catalog: None) -> None:
    # given
    service = AIService.objects.get(slug="claude")
    # when / then
    with pytest.raises(IntegrityError):
        PolicyException.objects.create(service=service, department="Legal", group="g", policy="tolerated")


def test_a_rule_belongs_to_one_service(catalog: None) -> None:
    # given
    claude = AIService.objects.get(slug="claude")
    # when / then
    with pytest.raises(IntegrityError):
        AIServiceRule.objects.create(service=claude, rule_type="suffix", value="chatgpt.com")


@pytest.mark.django_db
def test_usage_rows_are_found_by_chunk_through_the_unique_key_without_an_index_of_their_own() -> None:
    # given the usage table as migrated
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, UsageRecord._meta.db_table)
    # when
    by_columns = {tuple(c["columns"]): c for c in constraints.values() if c["index"] or c["unique"]}
    # then the unique key leads with the chunk (lookups and the cascade from a chunk use it), and no index on the
    # chunk alone costs a third B-tree update per inserted row
    assert by_columns[("chunk_id", "subject", "service_id", "day")]["unique"]
    assert ("chunk_id",) not in by_columns
    assert ("batch_id",) in by_columns
