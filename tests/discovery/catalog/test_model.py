"""Tests for the catalog data model: the compact rule syntax and service properties."""

from __future__ import annotations

import pytest

from discovery.catalog import AIService, CatalogError, Category, DomainRule, Region, RiskAttributes, RuleType, Training

ATTRS = RiskAttributes(Training.NO, "30 days", Region.EU, True, "FR")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("suffix:OpenAI.com", DomainRule(RuleType.SUFFIX, "openai.com")),
        ("exact:api.openai.com", DomainRule(RuleType.EXACT, "api.openai.com")),
        ("regex:^A\\d+\\.example\\.com$", DomainRule(RuleType.REGEX, "^A\\d+\\.example\\.com$")),
        (
            "url:Chat.Example.com/API/Upload @upload",
            DomainRule(RuleType.URL_PREFIX, "chat.example.com/API/Upload", upload=True),
        ),
        (
            "exact:t.example.com @telemetry @v2fly:openai",
            DomainRule(RuleType.EXACT, "t.example.com", telemetry=True, source="v2fly:openai"),
        ),
        ("suffix:cdn.example.com @weak", DomainRule(RuleType.SUFFIX, "cdn.example.com", weak=True)),
    ],
)
def test_rule_syntax_parses_type_value_and_attributes(text: str, expected: DomainRule) -> None:
    # given a rule in the compact seed syntax
    # when it is parsed
    rule = DomainRule.parse(text)
    # then type, normalised value and flags are as written (only url paths keep their case)
    assert rule == expected


@pytest.mark.parametrize(
    "text",
    [
        "domain:openai.com",  # v2fly spelling, not ours
        "openai.com",  # no type
        "suffix:",  # no value
        "suffix:openai.com @ads",  # v2fly attribute must be translated to @telemetry
        "suffix:openai.com upload",  # attribute without @
        "suffix:openai.com @v2fly:",  # provenance without a list name
        "url:/backend-api/files",  # url rule without host
        "url:chatgpt.com",  # url rule without path
    ],
)
def test_malformed_rule_is_rejected(text: str) -> None:
    # given a malformed rule
    # when it is parsed
    # then a CatalogError says what is wrong
    with pytest.raises(CatalogError, match="bad rule"):
        DomainRule.parse(text)


@pytest.mark.parametrize(
    "text",
    ["suffix:openai.com", "exact:x.example.com @telemetry @weak @v2fly:openai", "url:claude.ai/api/*/upload @upload"],
)
def test_rule_renders_back_to_the_syntax_it_was_parsed_from(text: str) -> None:
    # given a parsed rule
    rule = DomainRule.parse(text)
    # when it is rendered
    # then it round-trips
    assert str(rule) == text
    assert DomainRule.parse(str(rule)) == rule


def test_service_splits_host_rules_from_upload_endpoints_and_scores_itself() -> None:
    # given a service with a host rule, an upload host and an upload url
    service = AIService(
        slug="demo",
        name="Demo",
        vendor="Demo Inc",
        category=Category.CHAT,
        rules=(
            DomainRule.parse("suffix:demo.ai"),
            DomainRule.parse("exact:files.demo.ai @upload"),
            DomainRule.parse("url:demo.ai/api/files @upload"),
        ),
        risk_attributes=ATTRS,
    )
    # when the derived views are read
    # then domains are the host rules, upload endpoints the @upload rules, and the risk is computed
    assert [str(rule) for rule in service.domains] == ["suffix:demo.ai", "exact:files.demo.ai @upload"]
    assert [str(rule) for rule in service.upload_endpoints] == [
        "exact:files.demo.ai @upload",
        "url:demo.ai/api/files @upload",
    ]
    assert service.risk.score == 0
