"""Tests for CatalogMatcher: dot boundaries, precedence, URL/upload rules, telemetry, normalisation."""

from __future__ import annotations

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
    normalise_host,
)
from discovery.catalog.matcher import path_of, regex_anchor

ATTRS = RiskAttributes(Training.UNKNOWN, "", Region.UNKNOWN, False, "")


def _service(slug: str, *rules: str) -> AIService:
    return AIService(slug, slug, "Vendor", Category.CHAT, tuple(DomainRule.parse(r) for r in rules), ATTRS)


@pytest.fixture(scope="module")
def matcher() -> CatalogMatcher:
    return CatalogMatcher(load_catalog())


@pytest.mark.parametrize(
    ("host", "slug"),
    [
        ("openai.com", "chatgpt"),
        ("chat.openai.com", "chatgpt"),
        ("cdn.oaistatic.com", "chatgpt"),
        ("claude.ai", "claude"),
        ("gemini.google.com", "gemini"),
        ("copilot.microsoft.com", "microsoft-copilot"),
        ("copilot.cloud.microsoft", "m365-copilot"),
        ("api.githubcopilot.com", "github-copilot"),
        ("chat.deepseek.com", "deepseek"),
        ("www.perplexity.ai", "perplexity"),
        ("beta.character.ai", "character-ai"),
        ("my-resource.openai.azure.com", "azure-openai"),
    ],
)
def test_host_matches_its_service_on_a_dot_boundary(matcher: CatalogMatcher, host: str, slug: str) -> None:
    # given a host of a catalogued service
    # when it is matched
    hit = matcher.match(host)
    # then the service is found
    assert hit is not None
    assert hit.service_slug == slug


@pytest.mark.parametrize(
    "host",
    [
        "notopenai.com",  # suffix without a dot boundary
        "openai.com.evil.example",  # rule value in the middle of the host
        "xclaude.ai",
        "gemini._sftp-ssh._tcp.local",  # mDNS service in wikipedia.pcap: no keyword matching
        "copilot.example.com",
        "claude-monet.org",
        "poem.com",
        "chatgpt.example.net",
        "google.com",
        "www.notion.so",  # Notion AI is only matched on its AI endpoints
        "m365.cloud.microsoft",  # the Microsoft 365 portal without the /chat path
        "x.com",  # Grok is only matched on x.com/i/grok
        "webpubsub.azure.com",  # shared Azure service: only the regex-shaped hosts are ChatGPT
        "foo.amazonaws.com",
        "com",
        "",
        ".",
    ],
)
def test_lookalike_and_keyword_hosts_do_not_match(matcher: CatalogMatcher, host: str) -> None:
    # given a host that merely contains an AI name or shares a parent domain
    # when it is matched
    # then nothing matches
    assert matcher.match(host) is None


@pytest.mark.parametrize(
    ("host", "url", "slug", "upload"),
    [
        ("chatgpt.com", "https://chatgpt.com/backend-api/files?upload=1", "chatgpt", True),
        ("chatgpt.com", "chatgpt.com/backend-api/conversation", "chatgpt", True),  # PAN-OS style, no scheme
        ("chatgpt.com", "/backend-api/me", "chatgpt", False),  # host rule, not an upload endpoint
        ("chatgpt.com", "/codex/tasks", "openai-codex", False),  # url prefix beats the host rule
        ("huggingface.co", "/chat/conversation/123", "huggingchat", True),  # longest path first
        ("huggingface.co", "/chat/", "huggingchat", False),
        ("huggingface.co", "/meta-llama/Llama-3.1-8B", "huggingface", False),
        ("claude.ai", "/api/organizations/0f3c/chat_conversations/9a1b/completion", "claude", True),
        ("claude.ai", "/api/organizations//chat_conversations/9a1b/completion", "claude", False),  # * is non-empty
        ("www.bing.com", "https://www.bing.com/chat?q=hi", "microsoft-copilot", False),
        ("m365.cloud.microsoft", "/chat", "m365-copilot", False),
        ("www.notion.so", "https://www.notion.so/api/v3/getCompletion", "notion-ai", True),
        ("x.com", "https://x.com/i/grok?conversation=1", "grok", False),
        ("ppl-ai-file-upload.s3.amazonaws.com", None, "perplexity", True),  # an exact host can be an upload endpoint
        ("api.openai.com", "/v1/files", "openai-api", True),
    ],
)
def test_url_rules_identify_upload_endpoints(
    matcher: CatalogMatcher, host: str, url: str | None, slug: str, upload: bool
) -> None:
    # given a host and, when known, the request URL
    # when they are matched
    hit = matcher.match(host, url)
    # then the most specific rule decides the service and whether it is an upload endpoint
    assert hit is not None
    assert (hit.service_slug, hit.is_upload_endpoint) == (slug, upload)


def test_url_rules_are_ignored_without_a_url(matcher: CatalogMatcher) -> None:
    # given a host that only has url rules for its AI part
    # when it is matched from a DNS or SNI log (no URL)
    # then it is not reported, while a host rule still matches without a URL
    assert matcher.match("www.notion.so") is None
    assert matcher.match("www.notion.so", "notion.so:443") is None  # CONNECT target: no path
    hit = matcher.match("chatgpt.com", "")
    assert hit is not None
    assert hit.rule_type is RuleType.SUFFIX


@pytest.mark.parametrize(
    ("host", "telemetry"),
    [
        ("copilot-telemetry.githubusercontent.com", True),
        ("copilot-telemetry-service.githubusercontent.com", True),
        ("o33249.ingest.sentry.io", True),
        ("openai.qualtrics.com", True),
        ("copilot-proxy.githubusercontent.com", False),
    ],
)
def test_telemetry_hosts_are_flagged(matcher: CatalogMatcher, host: str, telemetry: bool) -> None:
    # given a telemetry (v2fly @ads) or a regular host
    # when it is matched
    hit = matcher.match(host)
    # then the telemetry flag tells the detector not to count it as usage
    assert hit is not None
    assert hit.telemetry is telemetry


def test_shared_datadog_intake_is_not_attributed_to_openai(matcher: CatalogMatcher) -> None:
    # given the Datadog RUM intake v2fly lists under openai @ads
    # when it is matched
    # then it is not in the catalog at all (shared by thousands of sites)
    assert matcher.match("browser-intake-datadoghq.com") is None


def test_shared_infrastructure_is_weak_evidence(matcher: CatalogMatcher) -> None:
    # given a LiveKit Cloud TURN host v2fly attributes to OpenAI
    hit = matcher.match("turn.livekit.cloud")
    # then it matches ChatGPT but only as weak evidence
    assert hit is not None
    assert (hit.service_slug, hit.weak) == ("chatgpt", True)


def test_exact_rule_beats_suffix_rule(matcher: CatalogMatcher) -> None:
    # given api.openai.com (exact, openai-api) under openai.com (suffix, chatgpt)
    # when it and a sibling are matched
    # then the exact rule wins, and the sibling falls back to the suffix
    assert matcher.match("api.openai.com").service_slug == "openai-api"  # type: ignore[union-attr]
    assert matcher.match("status.openai.com").service_slug == "chatgpt"  # type: ignore[union-attr]


def test_longest_suffix_wins() -> None:
    # given nested suffix rules owned by different services
    matcher = CatalogMatcher(
        [_service("outer", "suffix:example.com"), _service("inner", "suffix:ai.example.com", "exact:x.ai.example.com")]
    )
    # when hosts at each depth are matched
    # then the longest (most specific) rule wins
    assert matcher.match("deep.sub.ai.example.com").service_slug == "inner"  # type: ignore[union-attr]
    assert matcher.match("ai.example.com").service_slug == "inner"  # type: ignore[union-attr]
    assert matcher.match("www.example.com").service_slug == "outer"  # type: ignore[union-attr]
    assert matcher.match("x.ai.example.com").rule_type is RuleType.EXACT  # type: ignore[union-attr]


def test_regex_rules_are_tried_at_their_literal_tail_and_last_when_unanchored() -> None:
    # given an anchored regex under a suffix rule of another service, and an unanchored regex
    matcher = CatalogMatcher(
        [
            _service("platform", "suffix:pubsub.example.net"),
            _service("app", r"regex:^app-\d+\.pubsub\.example\.net$"),
            _service("loose", r"regex:^gpt-[a-z]+\."),
        ]
    )
    # when hosts are matched
    # then the regex wins at equal specificity, the suffix otherwise, and the unanchored regex is the last resort
    assert matcher.match("app-7.pubsub.example.net").service_slug == "app"  # type: ignore[union-attr]
    assert matcher.match("other.pubsub.example.net").service_slug == "platform"  # type: ignore[union-attr]
    assert matcher.match("gpt-box.internal").service_slug == "loose"  # type: ignore[union-attr]
    assert matcher.match("box.internal") is None


def test_openai_webpubsub_regex_from_v2fly_matches_only_its_hosts(matcher: CatalogMatcher) -> None:
    # given the v2fly regexp for ChatGPT's Azure Web PubSub hosts
    # when a conforming and a non-conforming host are matched
    hit = matcher.match("chatgpt-async-webps-prod-eastus-12.webpubsub.azure.com")
    # then only the conforming one is ChatGPT
    assert hit is not None
    assert (hit.service_slug, hit.rule_type) == ("chatgpt", RuleType.REGEX)
    assert matcher.match("chatgpt-async-webps-prod-eastus.webpubsub.azure.com") is None


def test_a_rule_claimed_by_two_services_is_rejected() -> None:
    # given two services claiming the same rule
    services = [_service("a", "suffix:dup.example"), _service("b", "suffix:dup.example")]
    # when a matcher is built
    # then it refuses the ambiguity
    with pytest.raises(CatalogError, match="claimed by 'a' and 'b'"):
        CatalogMatcher(services)


def test_matcher_without_url_rules_ignores_urls() -> None:
    # given a matcher with host rules only
    matcher = CatalogMatcher([_service("a", "suffix:a.example")])
    # when a URL is passed
    # then the host rule answers
    assert matcher.match("www.a.example", "/any/path").service_slug == "a"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("Chat.OpenAI.com", "chat.openai.com"),
        ("chat.openai.com.", "chat.openai.com"),
        ("  chat.openai.com:443 ", "chat.openai.com"),
        ("chat.openai.com.:443", "chat.openai.com"),
        ("[2001:DB8::1]:443", "2001:db8::1"),
        ("[2001:db8::1", "2001:db8::1"),
        ("2001:db8::1", "2001:db8::1"),
        ("Bücher.de", "xn--bcher-kva.de"),
        ("bücher..de", "bücher..de"),  # the IDNA codec rejects an empty label: kept as is
    ],
)
def test_host_normalisation(raw: str, normalised: str) -> None:
    # given a host as it appears in some log
    # when it is normalised
    # then case, trailing dot, port and brackets are removed and IDNA is applied
    assert normalise_host(raw) == normalised


def test_matching_normalises_the_host(matcher: CatalogMatcher) -> None:
    # given a host with upper case, a trailing dot and a port
    # when it is matched
    hit = matcher.match("Chat.OpenAI.COM.:443")
    # then it matches like the canonical host
    assert hit is not None
    assert hit.service_slug == "chatgpt"


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("https://chatgpt.com/backend-api/files?x=1#top", "/backend-api/files"),
        ("HTTP://bro.org/", "/"),
        ("chatgpt.com/backend-api/files", "/backend-api/files"),
        ("/backend-api/files?x", "/backend-api/files"),
        ("chatgpt.com:443", ""),
        ("https://chatgpt.com", ""),
        ("https://chatgpt.com?next=/chat", ""),
        ("https://chatgpt.com#/chat", ""),
    ],
)
def test_path_extraction(url: str, path: str) -> None:
    # given a URL in one of the shapes logs use
    # when its path is extracted
    # then query and fragment are dropped and a missing path is empty
    assert path_of(url) == path


@pytest.mark.parametrize(
    ("pattern", "anchor"),
    [
        (r"^chatgpt-async-webps-prod-\S+-\d+\.webpubsub\.azure\.com$", "webpubsub.azure.com"),
        (r"^[a-z0-9-]+-aiplatform\.googleapis\.com$", "googleapis.com"),
        (r"^x\d\.com$", "com"),
        (r"^ab\d$", ""),
        (r"^[a-z]+$", ""),
        (r"^gpt-[a-z]+\.", ""),
        (r"^price\$", ""),
    ],
)
def test_regex_anchor_is_the_literal_label_suffix(pattern: str, anchor: str) -> None:
    # given a host regex
    # when its anchor is computed
    # then it is the literal label suffix every matching host has (or empty)
    assert regex_anchor(pattern) == anchor
