from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from discovery.parsers.base import MalformedLine, ParseStats, parse_lines
from discovery.parsers.squid import (
    SQUID_SHADOWAI_FORMAT,
    CompiledLogformat,
    SquidCombinedParser,
    SquidCommonParser,
    SquidLogformatParser,
    SquidParser,
)
from tests.discovery.parsers.helpers import fixture_lines, parse_fixture, project


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        (
            0,
            {
                "timestamp": datetime(2023, 3, 4, 23, 15, 34, 79000, tzinfo=UTC),
                "host": "domain.xyz",
                "url": "domain.xyz:443",
                "method": "CONNECT",
                "dest_port": 443,
                "user": None,
                "status": 200,
                "action": "TCP_TUNNEL",
                "download_bytes": 39,
                "upload_bytes": None,
            },
        ),
        (1, {"host": "domain.xyz", "dest_ip": "1.2.3.4", "download_bytes": 39}),  # double space before last field
        (
            2,
            {
                "host": "example.com",
                "user": "user1",
                "url": "http://example.com/index.html",
                "dest_ip": "93.184.216.34",
            },
        ),
        (3, {"status": 304, "dest_ip": None, "action": "TCP_HIT", "download_bytes": 0}),
        (4, {"src_ip": "2001:db8::1", "user": "admin", "status": 404}),
        (5, {"method": "POST", "action": "TCP_DENIED", "status": 403, "dest_ip": None}),
        (7, {"host": "secure.example.com", "user": "user@domain.com", "download_bytes": 54321, "dest_port": 443}),
    ],
)
def test_squid_native_reads_the_plaso_sample(index: int, expected: dict[str, Any]) -> None:
    # given
    events, stats = parse_fixture("squid", "plaso_squid_access.log")
    # when
    event = events[index]
    # then
    assert stats.records_parsed == 8 and stats.records_malformed == 0
    assert project(event, expected) == expected


def test_squid_native_double_space_line_equals_single_space_line() -> None:
    # given
    lines = fixture_lines("plaso_squid_access.log")
    assert "  -" in lines[1]
    parser = SquidParser()
    # when
    first, second = parser.parse(lines[0]), parser.parse(lines[1])
    # then
    assert first is not None and second is not None
    assert (first.host, first.url, first.extra) == (second.host, second.url, second.extra)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("1677971734.079 1234 1.2.3.4 TCP_TUNNEL/200 39", "expected 10 fields"),
        ("1677971734.079 1234 1.2.3.4 TCP_TUNNEL 39 GET http://x/ - HIER_NONE/- -", "bad result code"),
        ("1677971734.079 1234 1.2.3.4 NONE/400 0 NONE error:invalid-request - HIER_NONE/- -", "no destination host"),
        ("yesterday 1234 1.2.3.4 TCP_MISS/200 39 GET http://x/ - HIER_NONE/- -", "bad number"),
        # a stray \r tears the size field in two: every later field shifts, the URL field reads "GET"
        ("1677971734.079 12 1.2.3.4 TCP_MISS/200 12\r34 GET http://x.example/ - HIER_NONE/- -", "bad request method"),
        ("1677971734.079 12 1.2.3.4 TCP_MISS/200 12 G3T http://x.example/ - HIER_NONE/- -", "bad request method"),
    ],
)
def test_squid_native_counts_malformed_lines_without_failing(line: str, message: str) -> None:
    # given
    stats = ParseStats()
    good = fixture_lines("plaso_squid_access.log")[2]
    # when
    events = list(parse_lines(SquidParser(), ["#comment", line, good], stats))
    # then
    assert len(events) == 1
    assert (stats.records_malformed, stats.records_skipped) == (1, 1)
    assert message in stats.malformed_samples[0]["error"] and stats.malformed_samples[0]["line"] == 2


def test_squid_native_keeps_trailing_fields_of_extended_formats() -> None:
    # given
    line = "1677971735.123 5 10.0.0.1 TCP_MISS/200 10 GET http://a.example/ - HIER_DIRECT/1.1.1.1 text/html 999 x"
    # when
    event = SquidParser().parse(line)
    # then
    assert event is not None and event.extra["trailing"] == ["999", "x"]


@pytest.mark.parametrize(
    ("format_name", "fixture", "expected"),
    [
        (
            "squid_common",
            "squid_common.log",
            [
                {"host": "chatgpt.com", "user": "alice", "method": "CONNECT", "dest_port": 443, "status": 200},
                {
                    "host": "api.openai.com",
                    "timestamp": datetime(2023, 3, 4, 22, 16, tzinfo=UTC),
                    "action": "TCP_DENIED",
                    "download_bytes": 3900,
                    "upload_bytes": None,
                    "user": None,
                },
            ],
        ),
        (
            "squid_combined",
            "squid_combined.log",
            [
                {
                    "host": "chatgpt.com",
                    "extra": {"hierarchy": "HIER_DIRECT", "user_agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"},
                },
                {
                    "host": "api.openai.com",
                    "user": "bob",
                    "method": "POST",
                    "url": "http://api.openai.com/v1/chat/completions",
                },
            ],
        ),
    ],
)
def test_squid_common_and_combined_follow_the_builtin_logformats(
    format_name: str, fixture: str, expected: list[dict[str, Any]]
) -> None:
    # given / when
    events, stats = parse_fixture(format_name, fixture)
    # then
    assert stats.records_malformed == 0
    assert [project(e, row) for e, row in zip(events, expected, strict=True)] == expected


def test_squid_logformat_with_request_size_gives_upload_bytes() -> None:
    # given
    options = {"logformat": SQUID_SHADOWAI_FORMAT}
    # when
    events, stats = parse_fixture("squid_logformat", "squid_shadowai_logformat.log", options)
    # then
    assert stats.records_malformed == 0
    first, second = events
    assert (first.host, first.upload_bytes, first.download_bytes, first.user) == ("claude.ai", 48213, 5432, "bob")
    assert first.extra["sni"] == "claude.ai" and first.extra["user_agent"] == "Mozilla/5.0 (X11; Linux x86_64)"
    assert first.timestamp == datetime(2024, 5, 2, 9, 12, 44, 120000, tzinfo=UTC)
    assert (second.host, second.upload_bytes, second.dest_ip, second.extra["content_type"]) == (
        "chat.example.net",
        20480,
        "203.0.113.9",
        "application/json",
    )


@pytest.mark.parametrize(
    ("logformat", "line", "expected"),
    [
        (
            "%tl %>a %un %>rd %>st %<st",
            "02/May/2024:09:12:44 +0200 10.1.2.3 alice chatgpt.com 100 200",
            {"host": "chatgpt.com", "timestamp": datetime(2024, 5, 2, 7, 12, 44, tzinfo=UTC), "upload_bytes": 100},
        ),
        (
            "%{%Y-%m-%d %H:%M:%S}tl %>a %ul %{Host}>h %rm %rp",
            "2024-05-02 09:12:44 10.1.2.3 bob Claude.AI:443 GET /x",
            {"host": "claude.ai", "user": "bob", "timestamp": datetime(2024, 5, 2, 8, 12, 44, tzinfo=UTC)},
        ),
        (
            "[%tg] %>a %ssl::>sni %% %un",
            "[02/May/2024:09:12:44 +0000] 10.1.2.3 gemini.google.com % -",
            {"host": "gemini.google.com", "user": None, "upload_bytes": None, "download_bytes": None},
        ),
        (
            "%tg %>a %>rd",
            "02/May/2024:09:12:44 +0000 10.1.2.3 perplexity.ai",
            {"host": "perplexity.ai", "timestamp": datetime(2024, 5, 2, 9, 12, 44, tzinfo=UTC)},
        ),
        (
            "%ts %6tr %>a %ru",
            "1714641164      5 10.1.2.3 https://chatgpt.com/",
            {"host": "chatgpt.com", "timestamp": datetime(2024, 5, 2, 9, 12, 44, tzinfo=UTC)},
        ),
    ],
)
def test_squid_logformat_compiles_arbitrary_templates(logformat: str, line: str, expected: dict[str, Any]) -> None:
    # given
    parser = SquidLogformatParser(options={"logformat": logformat}, tz=timezone(timedelta(hours=1)))
    # when
    event = parser.parse(line)
    # then
    assert event is not None and project(event, expected) == expected


@pytest.mark.parametrize(
    ("logformat", "line", "message"),
    [
        ("%>a %ru", "10.0.0.1 http://x.example/", "no usable time code"),
        ("%ts %>a %ru", "1714641164 10.0.0.1 /only-a-path", "no destination host"),
        ("%ts %>a %ru", "1714641164 10.0.0.1 error:transaction-end-before-headers", "squid internal error"),
        ("%ts %>a %ru", "1714641164 10.0.0.1", "does not match"),
    ],
)
def test_squid_logformat_reports_unusable_lines(logformat: str, line: str, message: str) -> None:
    # given
    parser = SquidLogformatParser(options={"logformat": logformat})
    # when / then
    with pytest.raises(MalformedLine, match=message):
        parser.parse(line)


def test_squid_logformat_accepts_builtin_names_skips_comments_and_rejects_templates_without_codes() -> None:
    # given
    parser = SquidLogformatParser(options={"logformat": "common"})
    # when / then
    assert parser.compiled.template.startswith("%>a %[ui")
    assert parser.parse("# a comment") is None
    assert CompiledLogformat("%ts %ts").match("1 2") == {"ts": "1"}
    with pytest.raises(ValueError, match="no %-codes"):
        CompiledLogformat("plain text")


@pytest.mark.parametrize(
    ("cls", "fixture", "score"),
    [
        (SquidParser, "plaso_squid_access.log", 1.0),
        (SquidCommonParser, "squid_common.log", 1.0),
        (SquidCombinedParser, "squid_combined.log", 1.0),
        (SquidCommonParser, "plaso_squid_access.log", 0.0),
        (SquidParser, "squid_common.log", 0.0),
        (SquidLogformatParser, "squid_shadowai_logformat.log", 0.0),
    ],
)
def test_squid_sniffers_score_their_own_layout(cls: type[SquidParser], fixture: str, score: float) -> None:
    # given / when / then
    assert cls.sniff(fixture_lines(fixture)) == score


def test_squid_sniffers_give_zero_for_empty_input() -> None:
    # given / when / then
    assert SquidParser.sniff(["#x", ""]) == 0.0
    assert SquidCommonParser.sniff([]) == 0.0
