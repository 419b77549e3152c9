"""AI-service catalog: seed data (``data/catalog.json``), risk score and host/URL matcher. Pure Python: no Django
imports.

Public API::

    from discovery.catalog import load_catalog, CatalogMatcher

    services = load_catalog()                   # list[AIService], validated
    matcher = CatalogMatcher(services)
    hit = matcher.match("chat.openai.com", "https://chatgpt.com/backend-api/files")
    hit.service_slug, hit.is_upload_endpoint, hit.telemetry
    services[0].risk.score, services[0].risk.factors   # see discovery.catalog.risk
"""

from __future__ import annotations

from discovery.catalog.loader import (
    CATALOG_PATH,
    load_excluded_v2fly_rules,
    load_seed,
    validate_catalog,
)
from discovery.catalog.matcher import CatalogMatcher, Match, normalise_host
from discovery.catalog.model import (
    AIService,
    CatalogError,
    Category,
    DomainRule,
    Region,
    RiskAttributes,
    RuleType,
    Training,
)
from discovery.catalog.risk import RiskAssessment, RiskFactor, score_risk

__all__ = [
    "CATALOG_PATH",
    "AIService",
    "CatalogError",
    "CatalogMatcher",
    "Category",
    "DomainRule",
    "Match",
    "Region",
    "RiskAssessment",
    "RiskAttributes",
    "RiskFactor",
    "RuleType",
    "Training",
    "load_catalog",
    "load_excluded_v2fly_rules",
    "load_seed",
    "normalise_host",
    "score_risk",
    "validate_catalog",
]


def load_catalog() -> list[AIService]:
    """Return the seeded catalog from ``data/catalog.json`` (a new list; the services are immutable), validated."""
    return list(load_seed())
