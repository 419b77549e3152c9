from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from discovery.parsers.base import EventKind, ParseStats, parse_lines
from discovery.parsers.suricata import SuricataEveParser
from tests.discovery.parsers.helpers import fixture_lines, parse_fixture, project


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        (
            0,
            {
                "host": "chatgpt.com",
                "kind": EventKind.TLS,
                "timestamp": datetime(2022, 11, 17, 23, 15, 50, 936753, tzinfo=UTC),
                "src_ip": "10.1.2.3",
                "dest_port": 443,
            },
        ),
        (
            1,
            {
                "host": "chat.example.net",
                "url": "http://chat.example.net:8080/api/upload",
                "method": "POST",
                "status": 200,
                "upload_bytes": 20480,
                "download_bytes": 312,
            },
        ),
        (2, {"host": "gemini.google.com", "kind": EventKind.DNS, "src_ip": "10.1.2.3"}),  # v2 query
        (3, {"host": "api.anthropic.com", "kind": EventKind.DNS, "src_ip": "10.1.2.3"}),  # v3 request
        (4, {"host": "104.18.32.47", "kind": EventKind.FLOW, "upload_bytes": 48213, "download_bytes": 5120}),
        (5, {"host": "gemini.google.com", "kind": EventKind.QUIC}),
    ],
)
def test_suricata_eve_sample(index: int, expected: dict[str, Any]) -> None:
    # given / when
    events, stats = parse_fixture("suricata", "suricata_eve.json")
    # then
    assert stats.records_parsed == 6 and stats.records_skipped == 4 and stats.records_malformed == 0
    assert project(events[index], expected) == expected


def test_suricata_dns_v2_and_v3_requests_count_and_responses_are_skipped() -> None:
    # given
    lines = fixture_lines("suricata_eve.json")[2:6]
    # when
    events = list(parse_lines(SuricataEveParser(), lines))
    # then
    assert [(e.host, e.extra["dns_version"], e.extra["rrtype"]) for e in events] == [
        ("gemini.google.com", 2, "A"),
        ("api.anthropic.com", 3, "AAAA"),
    ]
    assert all(e.src_ip == "10.1.2.3" for e in events)  # the v3 response (src = resolver) is not an event


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            '{"timestamp":"2024-05-02T09:12:40+00:00","event_type":"dns","dns":{"type":"request","version":3,'
            '"queries":[{"rrname":"a.example"},{"rrname":"b.example","rrtype":"A"}]}}',
            {"host": "a.example", "extra": {"event_type": "dns", "dns_version": 3, "other_queries": ["b.example"]}},
        ),
        (
            '{"timestamp":"2024-05-02T09:12:40+00:00","event_type":"dns","dns":{"rrname":"old.example"}}',
            {"host": "old.example"},
        ),
        (
            '{"timestamp":"2024-05-02T09:12:40+00:00","event_type":"tls","dest_ip":"1.2.3.4","tls":{}}',
            {"host": "1.2.3.4", "extra": {"event_type": "tls", "sni": False}},
        ),
        (
            '{"timestamp":"2024-05-02T09:12:40+00:00","event_type":"http","dest_ip":"1.2.3.4",'
            '"http":{"url":"http://proxied.example/x","http_method":"GET"}}',
            {"host": "proxied.example", "url": "http://proxied.example/x", "upload_bytes": None},
        ),
        (
            '{"timestamp":"2024-05-02T09:12:40+00:00","event_type":"http","dest_ip":"1.2.3.4","http":{"url":"/x"}}',
            {"host": "1.2.3.4", "url": "http://1.2.3.4/x"},
        ),
    ],
)
def test_suricata_variants(line: str, expected: dict[str, Any]) -> None:
    # given / when
    event = SuricataEveParser().parse(line)
    # then
    assert event is not None and project(event, expected) == expected


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{oops", "invalid JSON"),
        ('{"timestamp":"x"}', "no event_type"),
        ('{"event_type":"tls","tls":{}}', "without timestamp"),
        ('{"timestamp":"2024-05-02T09:12:40+00:00","event_type":"http","http":"x"}', "without a 'http' object"),
        ('{"timestamp":"2024-05-02T09:12:40+00:00","event_type":"tls","tls":{}}', "without sni or dest_ip"),
        ('{"timestamp":"2024-05-02T09:12:40+00:00","event_type":"http","http":{"url":"/x"}}', "without hostname"),
        ('{"timestamp":"2024-05-02T09:12:40+00:00","event_type":"dns","dns":{"type":"x"}}', "without rrname"),
        (
            '{"timestamp":"2024-05-02T09:12:40+00:00","event_type":"dns","dns":{"type":"request","queries":[{}]}}',
            "without a query name",
        ),
        ('{"timestamp":"2024-05-02T09:12:40+00:00","event_type":"flow"}', "without a 'flow' object"),
        ('{"timestamp":"2024-05-02T09:12:40+00:00","event_type":"flow","flow":{}}', "flow event without dest_ip"),
        ('{"timestamp":"yesterday","event_type":"flow","flow":{}}', "bad ISO timestamp"),
    ],
)
def test_suricata_reports_unusable_events(line: str, message: str) -> None:
    # given
    stats = ParseStats()
    # when
    list(parse_lines(SuricataEveParser(), [line], stats))
    # then
    assert stats.records_malformed == 1 and message in stats.malformed_samples[0]["error"]


def test_suricata_sniff() -> None:
    # given / when / then
    assert SuricataEveParser.sniff(fixture_lines("suricata_eve.json")) == 0.95
    assert SuricataEveParser.sniff(fixture_lines("zeek_javascript.http-uri-sha256_http.log")) == 0.0
