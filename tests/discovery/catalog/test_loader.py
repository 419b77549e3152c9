"""Tests for the catalog data file and its loader (discovery.catalog.loader)."""

from __future__ import annotations

import json
from pathlib import Path
from re import escape as re_escape
from typing import Any

import pytest

from discovery.catalog import (
    CATALOG_PATH,
    CatalogError,
    Category,
    Region,
    RuleType,
    Training,
    load_catalog,
    load_excluded_v2fly_rules,
    load_seed,
)
from discovery.catalog.loader import dump_catalog


def _write(tmp_path: Path, services: list[dict[str, Any]], **top: Any) -> Path:
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps({"format": 1, "services": services, **top}), encoding="utf-8")
    return path


MINIMAL = {
    "slug": "acme-chat",
    "name": "Acme Chat",
    "vendor": "Acme",
    "category": "chat",
    "hq": "FR",
    "rules": ["suffix:acme.example"],
}


def test_a_minimal_entry_loads_with_unknown_risk_attributes(tmp_path: Path) -> None:
    # given a service with only the required keys
    path = _write(tmp_path, [MINIMAL])
    # when it is loaded
    (service,) = load_seed(path)
    # then the omitted attributes are unknown (scored as risky), and the rule is parsed from its compact string
    attrs = service.risk_attributes
    assert (service.slug, service.category, attrs.hq_country) == ("acme-chat", Category.CHAT, "FR")
    assert (attrs.trains_on_user_data, attrs.data_retention, attrs.data_region) == (
        Training.UNKNOWN,
        "",
        Region.UNKNOWN,
    )
    assert attrs.enterprise_tier_available is False and service.notes == ""
    assert [(rule.rule_type, rule.value, rule.source) for rule in service.rules] == [
        (RuleType.SUFFIX, "acme.example", "curated")
    ]
    assert load_excluded_v2fly_rules(path) == {}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"colour": "red"}, "unknown keys ['colour']"),
        ({"hq": None}, "hq must be a string"),
        ({"enterprise": "yes"}, "enterprise must be a bool"),
        ({"retention": False}, "retention must be a str"),
        ({"category": "chatbot"}, "'chatbot' is not a valid Category"),
        ({"trains": "maybe"}, "'maybe' is not a valid Training"),
        ({"region": "mars"}, "'mars' is not a valid Region"),
        ({"rules": "suffix:acme.example"}, "rules must be a list"),
        ({"rules": ["domain:acme.example"]}, "bad rule 'domain:acme.example'"),
        ({"rules": ["suffix:acme.example @ads"]}, "unknown attribute '@ads'"),
        ({"rules": []}, "at least one rule are required"),
        ({"rules": ["regex:^acme(.example$"]}, "bad regex"),
        ({"slug": "Acme Chat"}, "bad slug 'Acme Chat'"),
    ],
)
def test_a_bad_entry_is_refused_naming_the_service(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    # given a service with one bad key
    path = _write(tmp_path, [{**MINIMAL, **change}])
    # when / then loading raises a CatalogError that says what is wrong
    with pytest.raises(CatalogError, match=re_escape(message)):
        load_seed(path)


@pytest.mark.parametrize(
    ("services", "top", "message"),
    [
        ([{k: v for k, v in MINIMAL.items() if k != "vendor"}], {}, "missing keys ['vendor']"),
        ([MINIMAL, {**MINIMAL, "rules": ["exact:other.example"]}], {}, "duplicate slug 'acme-chat'"),
        ([MINIMAL, {**MINIMAL, "slug": "acme-two"}], {}, "acme.example"),  # one rule claimed by two services
        ([MINIMAL], {"format": 2}, '"format": 1'),
        ([MINIMAL], {"extra": 1}, "unknown keys ['extra']"),
        ([MINIMAL], {"excluded_v2fly_rules": {"x.example": ""}}, "non-empty reason"),
    ],
)
def test_a_bad_file_is_refused(
    tmp_path: Path, services: list[dict[str, Any]], top: dict[str, Any], message: str
) -> None:
    # given a file that is inconsistent as a whole
    path = _write(tmp_path, services, **top)
    # when / then
    with pytest.raises(CatalogError, match=re_escape(message)):
        load_seed(path)


def test_invalid_json_is_a_catalog_error(tmp_path: Path) -> None:
    # given a truncated file
    path = tmp_path / "catalog.json"
    path.write_text('{"format": 1, "services": [', encoding="utf-8")
    # when / then
    with pytest.raises(CatalogError, match="not valid JSON"):
        load_seed(path)


def test_the_shipped_file_round_trips_through_dump_catalog(tmp_path: Path) -> None:
    # given the shipped catalog
    services, excluded = load_seed(), load_excluded_v2fly_rules()
    # when it is written back in the data-file layout and read again
    path = tmp_path / "catalog.json"
    path.write_text(dump_catalog(services, excluded), encoding="utf-8")
    # then nothing is lost: same services in the same order, same exclusions
    assert load_seed(path) == services and load_excluded_v2fly_rules(path) == excluded
    assert load_catalog() == list(services)
    assert CATALOG_PATH.is_file()
