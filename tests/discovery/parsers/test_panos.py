from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from discovery.parsers.base import EventKind, MalformedLine
from discovery.parsers.panos import PanOSParser
from tests.discovery.parsers.helpers import fixture_lines, parse_fixture


def test_panos_traffic_with_syslog_prefix_gives_bytes_sent_as_upload() -> None:
    # given / when
    events, _stats = parse_fixture("panos", "panos_traffic_url.log")
    # then
    traffic = events[0]
    assert (traffic.kind, traffic.host, traffic.user, traffic.src_ip) == (
        EventKind.FLOW,
        "104.18.32.47",
        "corp\\alice",
        "10.1.2.3",
    )
    assert (traffic.upload_bytes, traffic.download_bytes, traffic.dest_port, traffic.action) == (
        48213,
        5120,
        443,
        "allow",
    )
    assert traffic.timestamp == datetime(2024, 5, 2, 9, 12, 44, tzinfo=UTC)
    assert traffic.extra["application"] == "openai-chatgpt" and traffic.extra["category"] == "artificial-intelligence"
    assert traffic.extra["session_id"] == "123456"


def test_panos_url_log_has_url_and_no_bytes() -> None:
    # given / when
    events, stats = parse_fixture("panos", "panos_traffic_url.log")
    # then
    url = events[1]
    assert (url.kind, url.host, url.url, url.user, url.action) == (
        EventKind.HTTP,
        "claude.ai",
        "claude.ai/api/append_message",
        "corp\\bob",
        "block-url",
    )
    assert url.upload_bytes is None and url.download_bytes is None
    assert url.extra["user_agent"] == "Mozilla/5.0 (X11; Linux x86_64)"
    assert (stats.records_parsed, stats.records_skipped, stats.records_malformed) == (2, 1, 2)
    assert {s["line"] for s in stats.malformed_samples} == {4, 5}


def test_panos_uses_the_firewall_time_zone() -> None:
    # given
    line = fixture_lines("panos_traffic_url.log")[0]
    # when
    event = PanOSParser(tz=timezone(timedelta(hours=2))).parse(line)
    # then
    assert event is not None and event.timestamp == datetime(2024, 5, 2, 7, 12, 44, tzinfo=UTC)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({3: "THREAT", 4: "url", 31: "", 8: ""}, "url record without URL"),
        ({8: ""}, "traffic record without destination address"),
    ],
)
def test_panos_reports_records_without_destination(fields: dict[int, str], message: str) -> None:
    # given
    values = fixture_lines("panos_traffic_url.log")[0].split(" PA-220 ", 1)[1].split(",")
    for index, value in fields.items():
        values[index] = value
    # when / then
    with pytest.raises(MalformedLine, match=message):
        PanOSParser().parse(",".join(values))


def test_panos_rejects_short_threat_records() -> None:
    # given
    line = "1,2024/05/02 09:12:47,0128,THREAT,url,2560,2024/05/02 09:12:47,10.1.2.3"
    # when / then
    with pytest.raises(MalformedLine, match="url record with 8 fields"):
        PanOSParser().parse(line)


def test_panos_sniff() -> None:
    # given / when / then
    assert PanOSParser.sniff(fixture_lines("panos_traffic_url.log")) == pytest.approx(0.9 * 4 / 5)
    assert PanOSParser.sniff(fixture_lines("plaso_squid_access.log")) == 0.0
    assert PanOSParser.sniff([""]) == 0.0
