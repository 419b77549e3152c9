from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from discovery.parsers.base import MalformedLine
from discovery.parsers.zscaler import ZscalerParser, template_fields
from tests.discovery.parsers.helpers import fixture_lines, parse_fixture, project


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        (
            0,
            {
                "timestamp": datetime(2022, 6, 20, 15, 29, 11, tzinfo=UTC),
                "host": "chatgpt.com",
                "url": "chatgpt.com/backend-api/conversation",
                "user": "alice@example.com",
                "src_ip": "10.1.2.3",
                "dest_ip": "104.18.32.47",
                "method": "POST",
                "status": 200,
                "upload_bytes": 48213,
                "download_bytes": 5120,
                "action": "Allowed",
            },
        ),
        (1, {"host": "www.example.com", "url": "www.example.com/search?q=hello world", "action": "Blocked"}),
    ],
)
def test_zscaler_csv_default_feed(index: int, expected: dict[str, Any]) -> None:
    # given / when
    events, stats = parse_fixture("zscaler", "zscaler_nss_web.csv")
    # then
    assert stats.records_parsed == 2 and stats.records_malformed == 1
    assert "expected 33 fields" in stats.malformed_samples[0]["error"]
    assert project(events[index], expected) == expected
    assert events[0].extra["appname"] == "ChatGPT" and events[0].extra["dept"] == "Engineering"


def test_zscaler_json_feed_wrapped_and_flat() -> None:
    # given / when
    events, stats = parse_fixture("zscaler", "zscaler_nss_web.jsonl")
    # then
    assert stats.records_parsed == 2
    wrapped, flat = events
    assert (wrapped.host, wrapped.upload_bytes, wrapped.user, wrapped.status) == (
        "claude.ai",
        20480,
        "bob@example.com",
        403,
    )
    assert wrapped.extra["app_status"] == "Unsanctioned" and wrapped.extra["app_risk_score"] == "3"
    assert (flat.host, flat.timestamp) == ("gemini.google.com", datetime(2022, 6, 20, 15, 29, 11, tzinfo=UTC))


def test_zscaler_custom_template_with_local_time_and_header_row() -> None:
    # given
    template = '"%s{time}"\t"%s{login}"\t"%s{ehost}"\t"%d{reqsize}"'
    parser = ZscalerParser(options={"fields": template, "delimiter": "\t"}, tz=timezone(timedelta(hours=2)))
    # when
    header = parser.parse("time\tlogin\tehost\treqsize")
    event = parser.parse("Mon Jun 20 15:29:11 2022\tcarol@example.com\tPerplexity.AI\t999")
    # then
    assert header is None
    assert event is not None
    assert (event.host, event.upload_bytes, event.download_bytes) == ("perplexity.ai", 999, None)
    assert event.timestamp == datetime(2022, 6, 20, 13, 29, 11, tzinfo=UTC)


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ('"%s{time}","%d{reqsize}"', ["time", "reqsize"]),
        ("time, login ,eurl", ["time", "login", "eurl"]),
        (["time", "eurl"], ["time", "eurl"]),
    ],
)
def test_zscaler_template_fields_accepts_templates_and_lists(template: Any, expected: list[str]) -> None:
    # given / when / then
    assert template_fields(template) == expected


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{bad", "invalid JSON"),
        ("[1]", "expected 33 fields"),
        ('{"login":"x","eurl":"chatgpt.com/"}', "no time/epochtime"),
        ('{"time":"Mon Jun 20 15:29:11 2022","login":"x"}', "no eurl/url/host"),
    ],
)
def test_zscaler_reports_unusable_lines(line: str, message: str) -> None:
    # given / when / then
    with pytest.raises(MalformedLine, match=message):
        ZscalerParser().parse(line)


def test_zscaler_skips_comments() -> None:
    # given / when / then
    assert ZscalerParser().parse("# comment") is None


@pytest.mark.parametrize(
    ("fixture", "score"),
    [
        ("zscaler_nss_web.csv", 0.85 * 2 / 3),
        ("zscaler_nss_web.jsonl", 0.9),
        ("plaso_squid_access.log", 0.0),
    ],
)
def test_zscaler_sniff(fixture: str, score: float) -> None:
    # given / when / then
    assert ZscalerParser.sniff(fixture_lines(fixture)) == pytest.approx(score)
    assert ZscalerParser.sniff([]) == 0.0
