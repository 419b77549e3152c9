from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from discovery.parsers.apache import ApacheProxyParser
from discovery.parsers.base import MalformedLine
from tests.discovery.parsers.helpers import fixture_lines, parse_fixture, project


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        (
            0,
            {
                "timestamp": datetime(2024, 5, 2, 7, 12, 44, tzinfo=UTC),
                "host": "chatgpt.com",
                "url": "chatgpt.com:443",
                "method": "CONNECT",
                "dest_port": 443,
                "user": "alice",
                "download_bytes": 6120,
                "upload_bytes": None,
            },
        ),
        (1, {"host": "example.com", "url": "http://Example.COM./path?q=1", "user": None, "dest_port": None}),
        (2, {"host": "claude.ai", "method": "POST", "status": 200}),  # common format, no referer/UA
    ],
)
def test_apache_forward_proxy_absolute_form_and_connect(index: int, expected: dict[str, Any]) -> None:
    # given / when
    events, stats = parse_fixture("apache", "apache_forward_proxy.log")
    # then
    assert stats.records_parsed == 3 and stats.records_malformed == 0
    assert project(events[index], expected) == expected


def test_apache_web_server_sample_only_parses_vhost_lines() -> None:
    # given / when
    events, stats = parse_fixture("apache", "plaso_apache_access.log")
    # then
    assert {e.host for e in events} == {"plaso.log2timeline.net", "plaso-2.log2timeline.net"}
    assert events[0].url == "https://plaso.log2timeline.net/wp-content/themes/darkmode/evil.php"
    assert events[0].extra["origin_form"] is True
    assert stats.records_parsed == 4 and stats.records_malformed == 11
    assert any("origin-form" in s["error"] for s in stats.malformed_samples)


def test_apache_trailing_fields_give_upload_bytes() -> None:
    # given
    parser = ApacheProxyParser(options={"trailing": ["upload_bytes", "download_bytes", "request_time"]})
    line = (
        '10.0.0.1 - - [02/May/2024:09:12:44 +0000] "CONNECT claude.ai:443 HTTP/1.1" 200 0 "-" "curl/8" 48213 5120 0.532'
    )
    # when
    event = parser.parse(line)
    # then
    assert event is not None
    assert (event.upload_bytes, event.download_bytes, event.extra["request_time"]) == (48213, 5120, "0.532")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("garbage", "not a common/combined"),
        ('10.0.0.1 - - [02/May/2024:09:12:44 +0000] "GARBAGE" 400 0', "bad request line"),
        ('10.0.0.1 - - [02/May/2024:09:12:44 +0000] "GET /x HTTP/1.1" 200 1', "origin-form"),
    ],
)
def test_apache_reports_unusable_lines(line: str, message: str) -> None:
    # given / when / then
    with pytest.raises(MalformedLine, match=message):
        ApacheProxyParser().parse(line)


def test_apache_sniff_prefers_proxy_logs_over_web_server_logs() -> None:
    # given / when / then
    assert ApacheProxyParser.sniff(fixture_lines("apache_forward_proxy.log")) == pytest.approx(1.0)
    assert ApacheProxyParser.sniff(fixture_lines("plaso_apache_access.log")) < 0.5
    assert ApacheProxyParser.sniff(fixture_lines("squid_common.log")) == pytest.approx(0.8)
    assert ApacheProxyParser.sniff([]) == 0.0
