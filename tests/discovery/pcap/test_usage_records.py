"""``read_usage``: a record per event of ``read_capture``, in the same order and with the same counters, carrying
what ingestion counts (one request per request)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from discovery.parsers.base import EventKind, ProxyEvent
from discovery.parsers.pcap import CaptureOptions, CaptureStats, UsageRecord, read_capture, read_usage

from ._build import POST, Capture, get, hello
from ._support import CAPTURES, capture


def _expected(event: ProxyEvent) -> UsageRecord:
    """What an event counts for (README, "What counts as a request")."""
    ts, src, host, url = event.timestamp.timestamp(), event.src_ip or "", event.host, event.url
    if event.kind is EventKind.FLOW:
        requests = 0 if event.extra["http_requests"] else 1
        return ts, src, host, url, event.upload_bytes, event.download_bytes, requests, 0
    if event.kind is EventKind.HTTP:
        return ts, src, host, url, None, None, 1, 0
    if event.kind is EventKind.DNS:
        return ts, src, host, url, None, None, 0, 1
    return ts, src, host, url, None, None, 0, 0


def _same(source: Path, options: CaptureOptions | None = None) -> list[UsageRecord]:
    general_stats, usage_stats = CaptureStats(), CaptureStats()
    general = [_expected(e) for e in read_capture(source, general_stats, options=options)]
    usage = list(read_usage(source, usage_stats, options=options))
    # times compared as the datetimes the events carry (microseconds)
    assert [(round(r[0], 6), *r[1:]) for r in usage] == [(round(r[0], 6), *r[1:]) for r in general]
    assert dataclasses.asdict(usage_stats) == dataclasses.asdict(general_stats)
    return usage


@pytest.mark.parametrize("name", sorted(CAPTURES))
def test_usage_records_match_the_events_of_the_sample_captures(name: str) -> None:
    assert _same(capture(name))


def test_usage_records_with_local_names_and_a_small_flow_cap() -> None:
    for name in sorted(CAPTURES):
        _same(capture(name), CaptureOptions(include_local_names=True, max_flows=3, tcp_timeout=1.0))


def test_usage_records_of_keep_alive_http_tls_and_dns(tmp_path: Path) -> None:
    # given
    built = Capture()
    built.dns("chatgpt.com")
    built.tcp([get("/a"), get("/b")], dport=80)
    built.tcp([POST], dport=80)
    built.tcp([hello("chatgpt.com"), b"\x17\x03\x03\x00\x10" + b"e" * 16], fin=False)
    path = tmp_path / "built.pcap"
    built.write(path)
    # when
    usage = _same(path)
    # then: 2 + 1 HTTP requests (their flows 0), one TLS connection (its flow 1, its hello 0), one lookup, and the
    # lookup's UDP flow, unnamed, one request for the resolver's address (which no catalog rule matches)
    requests = {(r[2], r[6]) for r in usage if r[6]}
    assert requests == {("chatgpt.com", 1), ("10.0.0.53", 1)}
    assert sum(r[6] for r in usage) == 5 and sum(r[7] for r in usage) == 1
