from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from discovery.parsers.base import EventKind, MalformedLine
from discovery.parsers.fortigate import FortiGateParser, parse_pairs
from tests.discovery.parsers.helpers import fixture_lines, parse_fixture, project


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        (
            0,
            {
                "timestamp": datetime(2019, 5, 10, 18, 37, 47, 369913, tzinfo=UTC),
                "kind": EventKind.FLOW,
                "host": "104.18.32.47",
                "user": "alice",
                "src_ip": "10.1.100.11",
                "dest_port": 443,
                "upload_bytes": 48213,
                "download_bytes": 5120,
                "action": "close",
            },
        ),
        (
            1,
            {
                "timestamp": datetime(2024, 5, 2, 7, 12, 44, tzinfo=UTC),
                "kind": EventKind.HTTP,
                "host": "claude.ai",
                "url": "https://claude.ai/api/append_message",
                "user": "bob",
                "upload_bytes": 20480,
                "action": "blocked",
            },
        ),
        (
            2,
            {
                "kind": EventKind.DNS,
                "host": "gemini.google.com",
                "timestamp": datetime(2024, 5, 2, 9, 12, 40, tzinfo=UTC),
            },
        ),
        (
            3,
            {
                "host": "8.8.8.8",
                "user": "carol",
                "timestamp": datetime(2024, 5, 2, 8, 13, 5, tzinfo=UTC),
                "upload_bytes": 60,
            },
        ),
    ],
)
def test_fortigate_traffic_webfilter_and_dns(index: int, expected: dict[str, Any]) -> None:
    # given
    parser = FortiGateParser(tz=timezone(timedelta(hours=1)))
    # when
    events = [e for e in map(parser.parse, fixture_lines("fortigate_kv.log")) if e is not None]
    # then
    assert len(events) == 4
    assert project(events[index], expected) == expected
    assert events[0].extra["app"] == "ChatGPT" and events[1].extra["catdesc"] == "Artificial Intelligence"


def test_fortigate_skips_event_logs() -> None:
    # given / when
    _events, stats = parse_fixture("fortigate", "fortigate_kv.log")
    # then
    assert (stats.records_parsed, stats.records_skipped, stats.records_malformed) == (4, 1, 0)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("just some syslog text", "not a FortiGate"),
        ('date=2024-05-02 type="traffic" dstip=1.2.3.4', "date without time"),
        ('date=2024-05-02 time=09:00:00 type="traffic"', "no hostname"),
    ],
)
def test_fortigate_reports_unusable_lines(line: str, message: str) -> None:
    # given / when / then
    with pytest.raises(MalformedLine, match=message):
        FortiGateParser().parse(line)


def test_fortigate_webfilter_without_service_uses_http_and_keeps_absolute_urls() -> None:
    # given
    parser = FortiGateParser()
    base = 'date=2024-05-02 time=09:00:00 type="utm" subtype="webfilter" hostname="a.example" '
    # when
    relative = parser.parse(base + 'url="/x"')
    absolute = parser.parse('date=2024-05-02 time=09:00:00 type="utm" subtype="webfilter" url="https://b.example/y"')
    # then
    assert relative is not None and relative.url == "http://a.example/x"
    assert absolute is not None and (absolute.host, absolute.url) == ("b.example", "https://b.example/y")


def test_parse_pairs_handles_quotes_escapes_and_bare_values() -> None:
    # given / when / then
    assert parse_pairs('<189>a=1 b="two words"  c="say \\"hi\\"" d=') == {
        "a": "1",
        "b": "two words",
        "c": 'say "hi"',
        "d": "",
    }


def test_fortigate_sniff() -> None:
    # given / when / then
    assert FortiGateParser.sniff(fixture_lines("fortigate_kv.log")) == pytest.approx(0.95)
    assert FortiGateParser.sniff(fixture_lines("plaso_squid_access.log")) == 0.0
    assert FortiGateParser.sniff([]) == 0.0
