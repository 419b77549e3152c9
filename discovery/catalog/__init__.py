"""AI-service catalog: seed data, risk score and host/URL matcher. Pure Python: no Django imports.

Public API::

    from discovery.catalog import load_catalog, CatalogMatcher

    services = load_catalog()                   # list[AIService], validated
    matcher = CatalogMatcher(services)
    hit = matcher.match("chat.openai.com", "https://chatgpt.com/backend-api/files")
    hit.service_slug, hit.is_upload_endpoint, hit.telemetry
    services[0].risk.score, services[0].risk.factors   # see discovery.catalog.risk
"""

from __future__ import annotations

import re

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
    "normalise_host",
    "score_risk",
    "validate_catalog",
]

_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def validate_catalog(services: list[AIService]) -> None:
    """Raise :class:`CatalogError` unless slugs are unique and well-formed, every service has a name,
    vendor and at least one rule, regex rules compile, and no rule is claimed by two services.
    """
    seen: set[str] = set()
    for service in services:
        if not _SLUG.match(service.slug):
            raise CatalogError(f"bad slug {service.slug!r}: use lower-case words joined by '-'")
        if service.slug in seen:
            raise CatalogError(f"duplicate slug {service.slug!r}")
        seen.add(service.slug)
        if not service.name or not service.vendor or not service.rules:
            raise CatalogError(f"{service.slug}: name, vendor and at least one rule are required")
        for rule in service.rules:
            if rule.rule_type is RuleType.REGEX:
                try:
                    re.compile(rule.value)
                except re.error as exc:
                    raise CatalogError(f"{service.slug}: bad regex {rule.value!r}: {exc}") from exc
    CatalogMatcher(services)  # raises on a rule claimed twice


def load_catalog() -> list[AIService]:
    """Return the seeded catalog (a new list; the services are immutable), validated."""
    from discovery.catalog.seed import SERVICES  # imported lazily: the seed module is large

    services = list(SERVICES)
    validate_catalog(services)
    return services
