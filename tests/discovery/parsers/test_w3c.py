from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from discovery.parsers.base import MalformedLine, ParseStats, parse_lines
from discovery.parsers.w3c import BlueCoatParser, W3CParser, split_w3c
from tests.discovery.parsers.helpers import fixture_lines, parse_fixture, project


def test_iis10_sample_falls_back_to_server_address_as_host() -> None:
    # given / when
    events, stats = parse_fixture("w3c", "plaso_iis_iis10.log")
    # then
    assert stats.records_parsed == 1 and stats.records_skipped == 4
    expected = {
        "timestamp": datetime(2021, 4, 1, 0, 0, 21, tzinfo=UTC),
        "host": "111.111.111.111",
        "src_ip": "222.222.222.222",
        "dest_port": 80,
        "method": "GET",
        "url": "http://111.111.111.111/foo/bar/baz.asp",
        "status": 200,
        "user": None,
        "upload_bytes": None,
        "download_bytes": None,
    }
    assert project(events[0], expected) == expected
    assert events[0].extra["user_agent"].startswith("Mozilla/5.0 (Windows NT 5.1) AppleWebKit")


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        (0, {"host": "::1", "user": "random\\ranuser1", "src_ip": "::1", "dest_port": 444, "status": 200}),
        (3, {"url": "http://[::1]:444/api/v1.0/$metadata?&request_id=54ghjhregfe654-8798-dss45-9d40-456465dgfde56a"}),
        (6, {"method": "RPC_IN_DATA", "user": "RanDomain\\EX04$", "dest_port": 81}),
        (12, {"user": "random/ranuser1"}),
        (13, {"user": "ranuser1@random"}),
    ],
)
def test_iis10_edge_cases_double_space_ipv6_and_odd_verbs(index: int, expected: dict[str, Any]) -> None:
    # given / when
    events, stats = parse_fixture("w3c", "plaso_iis_iis10_edge_cases.log")
    # then
    assert stats.records_malformed == 0 and stats.records_parsed == 15
    assert project(events[index], expected) == expected


def test_iis6_with_sitename_and_trailing_space_in_fields_header() -> None:
    # given / when
    events, stats = parse_fixture("w3c", "plaso_iis_iis6.log")
    # then
    assert stats.records_malformed == 0 and stats.records_parsed == 12
    assert events[-1].url == "https://10.10.10.100/foo/bar/baz.asp?ID=ERROR[`cat%20passwd|echo`]"
    assert events[-1].timestamp == datetime(2015, 10, 16, 13, 1, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        (
            0,
            {
                "host": "kh.google.com",
                "url": "http://kh.google.com/flatfile?f1-0302130-i.1",
                "status": 200,
                "action": "TCP_HIT",
                "download_bytes": 16827,
                "upload_bytes": 406,
                "user": None,
            },
        ),
        (
            1,
            {
                "host": "chatgpt.com",
                "url": "chatgpt.com:443",
                "user": "CORP\\alice",
                "method": "CONNECT",
                "upload_bytes": 48213,
                "download_bytes": 5120,
                "action": "TCP_TUNNELED",
                "timestamp": datetime(2024, 5, 2, 9, 12, 44, tzinfo=UTC),
            },
        ),
        (2, {"host": "claude.ai", "url": "https://Claude.AI/api/append_message", "upload_bytes": 20480}),
    ],
)
def test_bluecoat_elff_quoted_fields_and_mid_file_header_change(index: int, expected: dict[str, Any]) -> None:
    # given / when
    events, stats = parse_fixture("bluecoat", "bluecoat_elff.log")
    # then
    assert stats.records_parsed == 3 and stats.records_malformed == 1
    assert "expected 9 fields" in stats.malformed_samples[0]["error"]
    assert project(events[index], expected) == expected
    assert events[1].extra["categories"] == "Technology/Internet"


def test_bluecoat_assumes_main_format_when_the_header_is_missing() -> None:
    # given
    line = fixture_lines("bluecoat_elff.log")[6]
    # when
    event = BlueCoatParser().parse(line)
    # then
    assert event is not None and event.host == "chatgpt.com" and event.upload_bytes == 48213


@pytest.mark.parametrize(
    ("options", "header", "line", "expected"),
    [
        (
            {"local_time": True},
            "#Fields: date time c-ip cs-host",
            "2024-05-02 10:00:00 10.0.0.1 chatgpt.com",
            {"timestamp": datetime(2024, 5, 2, 9, 0, tzinfo=UTC), "url": None},
        ),
        (
            {},
            "#Fields: date-local time-local c-ip r-host r-ip r-port",
            "2024-05-02 10:00:00 10.0.0.1 claude.ai 160.79.104.10 443",
            {"timestamp": datetime(2024, 5, 2, 9, 0, tzinfo=UTC), "host": "claude.ai", "dest_ip": "160.79.104.10"},
        ),
        (
            {},
            "#Fields: x-timestamp-unix c-ip cs-host",
            "1714641164 10.0.0.1 chatgpt.com",
            {"timestamp": datetime(2024, 5, 2, 9, 12, 44, tzinfo=UTC)},
        ),
        (
            {},
            "#Fields: localtime c-ip cs-host",
            '"02/May/2024:09:12:44 +0000" 10.0.0.1 chatgpt.com',
            {"timestamp": datetime(2024, 5, 2, 9, 12, 44, tzinfo=UTC)},
        ),
        (
            {},
            "#Fields: time c-ip cs-host cs-method cs-uri-port",
            "09:12:44 10.0.0.1 chatgpt.com CONNECT -",
            {"timestamp": datetime(2021, 4, 1, 9, 12, 44, tzinfo=UTC), "url": "chatgpt.com", "dest_port": None},
        ),
    ],
)
def test_w3c_time_fields_local_time_and_header_date(
    options: dict[str, Any], header: str, line: str, expected: dict[str, Any]
) -> None:
    # given
    parser = W3CParser(options=options, tz=timezone(timedelta(hours=1)))
    # when
    events = list(parse_lines(parser, ["#Date: 2021-04-01 00:00:21", header, line]))
    # then
    assert project(events[0], expected) == expected


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["2024-05-02 10:00:00 10.0.0.1"], "before any #Fields"),
        (["#Fields: c-ip cs-host", "10.0.0.1 chatgpt.com"], "no date/time"),
        (["#Fields: date time c-ip", "2024-05-02 10:00:00 10.0.0.1"], "no destination host"),
    ],
)
def test_w3c_reports_unusable_lines(lines: list[str], message: str) -> None:
    # given
    stats = ParseStats()
    # when
    list(parse_lines(W3CParser(), lines, stats))
    # then
    assert stats.records_malformed == 1 and message in stats.malformed_samples[0]["error"]


def test_split_w3c_keeps_quoted_strings_whole() -> None:
    # given / when / then
    assert split_w3c('a "b c" "d ""e""" -') == ["a", "b c", 'd "e"', "-"]


@pytest.mark.parametrize(
    ("cls", "fixture", "score"),
    [
        (W3CParser, "plaso_iis_iis10.log", 0.9),
        (W3CParser, "bluecoat_elff.log", 0.6),
        (BlueCoatParser, "bluecoat_elff.log", 0.95),
        (BlueCoatParser, "plaso_iis_iis10.log", 0.0),
        (W3CParser, "plaso_squid_access.log", 0.0),
    ],
)
def test_w3c_sniffers(cls: type[W3CParser], fixture: str, score: float) -> None:
    # given / when / then
    assert cls.sniff(fixture_lines(fixture)) == score


def test_bluecoat_sniffs_elff_fields_without_software_line() -> None:
    # given
    lines = [line for line in fixture_lines("bluecoat_elff.log") if not line.startswith("#Software")]
    # when / then
    assert BlueCoatParser.sniff(lines) == 0.8


def test_w3c_rejects_lines_with_wrong_field_count() -> None:
    # given
    parser = W3CParser(options={"fields": "date time c-ip"})
    # when / then
    with pytest.raises(MalformedLine, match="expected 3 fields"):
        parser.parse("2024-05-02 10:00:00")
