"""Tests for the catalog data file and its loader (discovery.catalog.loader)."""

from __future__ import annotations

import json
from pathlib import Path
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


MINIMAL = {"slug": "acme-chat", "name": "Acme Chat", "vendor": "Acme", "category": "chat", "hq": "FR",
           "rules": ["suffix:acme.example"]}  # fmt: skip


def test_the_loader_returns_exactly_the_records_of_the_former_seed_module() -> None:
    # given the Python records the data file was generated from
    from discovery.catalog import seed

    # when the data file is loaded
    services, excluded = load_seed(), load_excluded_v2fly_rules()
    # then it is the same catalog, service by service, in the same order
    assert services == seed.SERVICES
    assert excluded == seed.EXCLUDED_V2FLY_RULES
    assert load_catalog() == list(seed.SERVICES)
