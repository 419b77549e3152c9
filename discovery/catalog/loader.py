"""Loader of the catalog data file ``discovery/catalog/data/catalog.json``. Pure Python: no Django imports.

The file is the one source of the seeded catalog (tests, benchmarks and :func:`discovery.catalog.load_catalog` read
it through :func:`load_seed`). Its layout, one object per service, in catalog order::

    {"format": 1,
     "excluded_v2fly_rules": {"<v2fly value>": "<why it is left out>", ...},
     "services": [{"slug": "chatgpt", "name": "ChatGPT", "vendor": "OpenAI", "category": "chat",
                   "hq": "US", "trains": "opt-out", "retention": "...", "region": "US", "enterprise": true,
                   "notes": "...",
                   "rules": ["suffix:chatgpt.com @v2fly:openai", "url:chatgpt.com/backend-api/files @upload"]}]}

``slug``, ``name``, ``vendor``, ``category``, ``hq`` and ``rules`` are required. Rules use the compact syntax of
:mod:`discovery.catalog.model`. Omitted risk attributes are *unknown* (``trains`` ``"unknown"``, ``retention`` ``""``,
``region`` ``"unknown"``, ``enterprise`` ``false``), which scores as risky on purpose: a reviewer who knows better
adds the fact, with its source in ``notes``. Provenance and licence of the rules: ``data/README.md`` and ``NOTICE``.

Loading validates the whole file (unknown keys, types, enum values, then :func:`validate_catalog`) and raises
:class:`CatalogError` naming the service at fault.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

from discovery.catalog.matcher import CatalogMatcher
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

CATALOG_PATH = Path(__file__).with_name("data") / "catalog.json"
FORMAT = 1

_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_REQUIRED = ("slug", "name", "vendor", "category", "hq", "rules")
# key -> (type, default when omitted); the order is the order the keys are written in.
_OPTIONAL: dict[str, tuple[type, Any]] = {
    "trains": (str, Training.UNKNOWN.value),
    "retention": (str, ""),
    "region": (str, Region.UNKNOWN.value),
    "enterprise": (bool, False),
    "notes": (str, ""),
}
_TOP = {"format", "excluded_v2fly_rules", "services"}


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


def _service(item: object, index: int) -> AIService:
    if not isinstance(item, dict):
        raise CatalogError(f"services[{index}]: expected an object, got {type(item).__name__}")
    where = f"services[{index}] ({item.get('slug', '?')!r})"
    unknown = set(item) - set(_REQUIRED) - set(_OPTIONAL)
    if unknown:
        raise CatalogError(f"{where}: unknown keys {sorted(unknown)}")
    missing = [key for key in _REQUIRED if key not in item]
    if missing:
        raise CatalogError(f"{where}: missing keys {missing}")
    for key in _REQUIRED[:-1]:
        if not isinstance(item[key], str):
            raise CatalogError(f"{where}: {key} must be a string")
    values = {key: item.get(key, default) for key, (_, default) in _OPTIONAL.items()}
    for key, (kind, _) in _OPTIONAL.items():
        if type(values[key]) is not kind:  # exact: a bool is not accepted for a string, nor 1 for true
            raise CatalogError(f"{where}: {key} must be a {kind.__name__}")
    rules = item["rules"]
    if not isinstance(rules, list) or not all(isinstance(rule, str) for rule in rules):
        raise CatalogError(f"{where}: rules must be a list of compact rule strings")
    try:
        category = Category(item["category"])
        trains = Training(values["trains"])
        region = Region(values["region"])
    except ValueError as exc:
        raise CatalogError(f"{where}: {exc}") from exc
    try:
        parsed = tuple(DomainRule.parse(rule) for rule in rules)
    except CatalogError as exc:
        raise CatalogError(f"{where}: {exc}") from exc
    return AIService(
        slug=item["slug"],
        name=item["name"],
        vendor=item["vendor"],
        category=category,
        rules=parsed,
        risk_attributes=RiskAttributes(trains, values["retention"], region, values["enterprise"], item["hq"]),
        notes=values["notes"],
    )


def _read(path: Path) -> dict[str, Any]:
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CatalogError(f"{path.name}: not valid JSON: {exc}") from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CatalogError(f'{path.name}: expected an object with "format": {FORMAT}')
    unknown = set(payload) - _TOP
    if unknown:
        raise CatalogError(f"{path.name}: unknown keys {sorted(unknown)}")
    if not isinstance(payload.get("services"), list):
        raise CatalogError(f"{path.name}: services must be a list")
    excluded = payload.get("excluded_v2fly_rules", {})
    if not isinstance(excluded, dict) or not all(isinstance(v, str) and v for v in excluded.values()):
        raise CatalogError(f"{path.name}: excluded_v2fly_rules maps a rule value to a non-empty reason")
    return payload


@functools.cache
def _load(path: Path) -> tuple[tuple[AIService, ...], dict[str, str]]:
    payload = _read(path)
    services = tuple(_service(item, index) for index, item in enumerate(payload["services"]))
    validate_catalog(list(services))
    return services, dict(payload.get("excluded_v2fly_rules", {}))


def load_seed(path: Path = CATALOG_PATH) -> tuple[AIService, ...]:
    """The catalog's services from the data file, in file order, validated (parsed once per path and cached:
    the services are immutable)."""
    return _load(path)[0]


def load_excluded_v2fly_rules(path: Path = CATALOG_PATH) -> dict[str, str]:
    """The v2fly rule values deliberately left out of the catalog, with the reason (a new dict each call).

    Only telemetry (v2fly ``@ads``) rules may be excluded: every other v2fly rule must map to a service (the tests
    check this against copies of the v2fly lists)."""
    return dict(_load(path)[1])


def dump_catalog(services: tuple[AIService, ...] | list[AIService], excluded_v2fly_rules: dict[str, str]) -> str:
    """Render services in the data-file layout (the inverse of :func:`load_seed`; omitted = default attributes)."""
    items: list[dict[str, Any]] = []
    for service in services:
        attrs = service.risk_attributes
        item: dict[str, Any] = {
            "slug": service.slug,
            "name": service.name,
            "vendor": service.vendor,
            "category": service.category.value,
            "hq": attrs.hq_country,
        }
        given = {
            "trains": attrs.trains_on_user_data.value,
            "retention": attrs.data_retention,
            "region": attrs.data_region.value,
            "enterprise": attrs.enterprise_tier_available,
            "notes": service.notes,
        }
        item.update({key: value for key, value in given.items() if value != _OPTIONAL[key][1]})
        item["rules"] = [str(rule) for rule in service.rules]
        items.append(item)
    payload = {"format": FORMAT, "excluded_v2fly_rules": excluded_v2fly_rules, "services": items}
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
