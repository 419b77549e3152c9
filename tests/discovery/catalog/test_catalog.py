"""Tests for the seeded catalog: size, completeness, risk scores and coverage of the v2fly lists."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from discovery.catalog import (
    AIService,
    CatalogError,
    CatalogMatcher,
    Category,
    DomainRule,
    Region,
    RiskAttributes,
    RuleType,
    Training,
    load_catalog,
    load_excluded_v2fly_rules,
    validate_catalog,
)

EXCLUDED_V2FLY_RULES = load_excluded_v2fly_rules()
REPO_ROOT = Path(__file__).resolve().parents[3]
V2FLY_DIR = REPO_ROOT / "tests" / "fixtures" / "catalog"  # copies of the v2fly lists, with their licence
V2FLY_FILES = ("v2fly_category-ai-not-cn.tsv", "v2fly_category-ai-cn.tsv")
V2FLY_TYPES = {"domain": RuleType.SUFFIX, "full": RuleType.EXACT, "regexp": RuleType.REGEX}
ATTRS = RiskAttributes(Training.NO, "1 day", Region.EU, True, "FR")


def _v2fly_rows() -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for name in V2FLY_FILES:
        path = V2FLY_DIR / name
        assert path.is_file(), f"v2fly sample {path} is missing"
        with path.open(encoding="utf-8", newline="") as handle:
            rows.extend(csv.DictReader(handle, delimiter="\t"))
    return rows


@pytest.fixture(scope="module")
def catalog() -> list[AIService]:
    return load_catalog()


@pytest.fixture(scope="module")
def rules_by_key(catalog: list[AIService]) -> dict[tuple[RuleType, str], tuple[str, DomainRule]]:
    return {(rule.rule_type, rule.value): (service.slug, rule) for service in catalog for rule in service.rules}


def test_catalog_has_at_least_150_services_with_unique_slugs(catalog: list[AIService]) -> None:
    # given the seeded catalog
    # when its slugs are counted
    slugs = [service.slug for service in catalog]
    # then there are at least 150 services and no slug repeats
    assert len(slugs) >= 150
    assert len(set(slugs)) == len(slugs)


def test_every_service_is_complete_and_scored_0_to_10_with_factors(catalog: list[AIService]) -> None:
    # given every service
    for service in catalog:
        # when its fields and risk are read
        risk = service.risk
        # then it has a name, vendor, category, rules and a score in range explained by its factors
        assert service.name and service.vendor, service.slug
        assert isinstance(service.category, Category), service.slug
        assert service.rules, service.slug
        assert 0 <= risk.score <= 10, service.slug
        assert risk.factors, service.slug
        assert risk.score == min(risk.raw_points, 10), service.slug
        hq = service.risk_attributes.hq_country
        assert hq == "" or (len(hq) == 2 and hq.isupper()), service.slug


@pytest.mark.parametrize(
    "slug",
    [
        "character-ai", "pi", "you-com", "phind", "perplexity", "poe", "mistral-le-chat", "deepseek", "qwen", "kimi",
        "doubao", "midjourney", "runway", "suno", "udio", "elevenlabs", "jasper", "copy-ai", "writesonic", "grammarly",
        "notion-ai", "quillbot", "github-copilot", "cursor", "windsurf", "tabnine", "replit", "huggingface",
        "together", "fireworks", "groq", "openrouter", "cohere", "ai21", "stability", "leonardo", "ideogram", "pika",
        "heygen", "synthesia", "otter", "fireflies", "tome", "gamma", "beautiful-ai", "claude", "gemini", "meta-ai",
        "grok", "microsoft-copilot", "m365-copilot", "chatgpt",
    ],
)  # fmt: skip
def test_services_named_in_the_issue_are_catalogued(catalog: list[AIService], slug: str) -> None:
    # given a service the issue asks for
    # when the catalog is searched
    # then it is there
    assert slug in {service.slug for service in catalog}


def test_every_v2fly_rule_is_in_the_catalog_with_its_provenance(
    rules_by_key: dict[tuple[RuleType, str], tuple[str, DomainRule]],
) -> None:
    # given every rule of the two v2fly lists
    rows = _v2fly_rows()
    assert len(rows) == 180 + 113
    for row in rows:
        key = (V2FLY_TYPES[row["type"]], row["value"])
        is_ads = "@ads" in row["attrs"].split()
        # when it is looked up in the catalog
        if row["value"] in EXCLUDED_V2FLY_RULES:
            # then a deliberately excluded rule is telemetry and absent
            assert is_ads and key not in rules_by_key, row
            continue
        # then it is there with the same type, the v2fly list as provenance and @ads as telemetry
        assert key in rules_by_key, f"v2fly rule {row} is not in the catalog"
        _, rule = rules_by_key[key]
        assert rule.source == f"v2fly:{row['source_list']}", row
        assert rule.telemetry is is_ads, row


def test_no_rule_claims_v2fly_provenance_it_does_not_have(catalog: list[AIService]) -> None:
    # given the v2fly rules as (type, value, list)
    upstream = {(V2FLY_TYPES[r["type"]], r["value"], f"v2fly:{r['source_list']}") for r in _v2fly_rows()}
    # when the catalog's v2fly-tagged rules are collected
    tagged = {
        (rule.rule_type, rule.value, rule.source) for s in catalog for rule in s.rules if rule.source != "curated"
    }
    # then each one really is upstream
    assert tagged <= upstream


def test_every_non_ads_v2fly_domain_matches_a_service_as_usage(catalog: list[AIService]) -> None:
    # given the matcher over the catalog and every non-telemetry v2fly domain/full rule
    matcher = CatalogMatcher(catalog)
    for row in _v2fly_rows():
        if row["type"] == "regexp" or "@ads" in row["attrs"]:
            continue
        # when the host and a sub-host are matched
        hit = matcher.match(row["value"])
        # then a service matches and it is not telemetry
        assert hit is not None and not hit.telemetry, row
        if row["type"] == "domain":
            assert matcher.match("sub." + row["value"]) is not None, row


def test_only_telemetry_rules_may_be_excluded() -> None:
    # given the exclusion list
    ads = {r["value"] for r in _v2fly_rows() if "@ads" in r["attrs"]}
    # when it is compared with the @ads rules
    # then every exclusion is an @ads rule with a reason
    assert set(EXCLUDED_V2FLY_RULES) <= ads
    assert all(EXCLUDED_V2FLY_RULES.values())


def test_key_services_declare_upload_endpoints(catalog: list[AIService]) -> None:
    # given services whose upload endpoints are known
    by_slug = {service.slug: service for service in catalog}
    # when their upload endpoints are read
    # then each declares at least one
    for slug in ("chatgpt", "claude", "gemini", "openai-api", "anthropic-api", "perplexity", "deepseek", "notion-ai"):
        assert by_slug[slug].upload_endpoints, slug


def _svc(slug: str, *rules: str, name: str = "N") -> AIService:
    return AIService(slug, name, "V", Category.CHAT, tuple(DomainRule.parse(r) for r in rules), ATTRS)


@pytest.mark.parametrize(
    ("services", "message"),
    [
        ([_svc("Bad Slug", "suffix:a.example")], "bad slug"),
        ([_svc("a", "suffix:a.example"), _svc("a", "suffix:b.example")], "duplicate slug"),
        ([_svc("a")], "at least one rule"),
        ([_svc("a", "suffix:a.example", name="")], "at least one rule"),
        ([_svc("a", "regex:^(unclosed$")], "bad regex"),
        ([_svc("a", "suffix:a.example"), _svc("b", "suffix:a.example")], "claimed by"),
    ],
)
def test_validation_rejects_inconsistent_catalogs(services: list[AIService], message: str) -> None:
    # given an inconsistent catalog
    # when it is validated
    # then a CatalogError names the problem
    with pytest.raises(CatalogError, match=message):
        validate_catalog(services)
