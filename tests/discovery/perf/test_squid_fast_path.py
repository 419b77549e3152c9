"""The Squid native fast path (``SquidParser.iter_fast``) gives exactly what ``parse_lines`` over ``parse`` gives:
the same fields per line, the same counts and malformed samples, and the same aggregates once ingested."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from discovery.ingest import ChunkResult, _aggregate, _DayOf, catalog_snapshot
from discovery.parsers.base import FastRecord, ParseStats, fast_record, parse_lines
from discovery.parsers.squid import SquidParser
from tests.discovery.factories import identity_map

TS = "1772409600.123"
LINES = [
    f"{TS}    120 10.0.0.5 TCP_MISS/200 4512 GET https://ChatGPT.com/backend-api/conversation CORP\\jdoe "
    "HIER_DIRECT/1.2.3.4 text/html",
    f"{TS} 5 10.0.0.6 TCP_TUNNEL/200 9000 CONNECT claude.ai:443 - HIER_DIRECT/1.2.3.4 -",
    f"{TS} 5 2001:db8::7 TCP_TUNNEL/200 77 CONNECT [2001:db8::1]:443 alice HIER_DIRECT/2001:db8::1 -",
    f"{TS} 5 10.0.0.8 TCP_TUNNEL/200 0 CONNECT gemini.google.com:443 - HIER_NONE/- -",
    f"{TS} 5 10.0.0.8 TCP_TUNNEL/200 0 CONNECT gemini.google.com - HIER_NONE/- -",
    f"{TS}  7  10.0.0.9  TCP_MISS/200  123  POST  https://chat.deepseek.com/api/v0/file/upload_file  bob  "
    "HIER_DIRECT/5.6.7.8  application/json",
    f"{TS} 7 10.0.0.9 TCP_MISS/200 123 POST https://huggingface.co/api/datasets/acme/upload bob HIER_DIRECT/5.6.7.8 -"
    "\r",
    f"{TS} 7 10.0.0.9 TCP_MISS/200 123 GET http://user@www.perplexity.ai./x bob HIER_DIRECT/5.6.7.8 -",
    f"{TS} 7 10.0.0.9 TCP_MISS/200 123 GET chatgpt.com/path bob HIER_DIRECT/5.6.7.8 - trailing extra fields",
    f"{TS} 7 10.0.0.9 TCP_MISS/200 123 GET HTTP://[2001:db8::2]:8080/x bob HIER_DIRECT/5.6.7.8 -",
    f"{TS} 7 10.0.0.9 NONE/400 0 NONE error:invalid-request - HIER_NONE/- -",
    f"{TS} 7 10.0.0.9 TCP_MISS/200 123 GET /relative bob HIER_DIRECT/5.6.7.8 -",
    f"{TS} 7 10.0.0.9 TCP_MISS 123 GET https://claude.ai/ bob HIER_DIRECT/5.6.7.8 -",
    f"{TS} 7 10.0.0.9 TCP_MISS/2x0 123 GET https://claude.ai/ bob HIER_DIRECT/5.6.7.8 -",
    f"{TS} 7 10.0.0.9 TCP_MISS/200 12\u00b2 GET https://claude.ai/ bob HIER_DIRECT/5.6.7.8 -",
    f"{TS} x7 10.0.0.9 TCP_MISS/200 123 GET https://claude.ai/ bob HIER_DIRECT/5.6.7.8 -",
    f"{TS} 7 10.0.0.9 TCP_MISS/200 -1 GET https://claude.ai/ bob HIER_DIRECT/5.6.7.8 -",
    "nan 7 10.0.0.9 TCP_MISS/200 123 GET https://claude.ai/ bob HIER_DIRECT/5.6.7.8 -",
    "1e20 7 10.0.0.9 TCP_MISS/200 123 GET https://claude.ai/ bob HIER_DIRECT/5.6.7.8 -",
    "abc 7 10.0.0.9 TCP_MISS/200 123 GET https://claude.ai/ bob HIER_DIRECT/5.6.7.8 -",
    "1772409600.5 7 10.0.0.9 TCP_MISS/200 \u0663 GET https://claude.ai/ b\u00f6b HIER_DIRECT/5.6.7.8 -",
    f"{TS} 7 10.0.0.9 TCP_MISS/200 123 GET https://claude.ai/",
    "# a comment",
    "",
    "   ",
    "\x00\xff garbage \ufffd",
    "1772495999.9999996 1 10.0.0.1 TCP_MISS/200 1 GET https://claude.ai/ carol HIER_DIRECT/1.1.1.1 -",
    "1772496000.0000004 1 10.0.0.1 TCP_MISS/200 1 GET https://claude.ai/ carol HIER_DIRECT/1.1.1.1 -",
    "1772409600.123 1 10.0.0.1 TCP_MISS/200 1 GET https://claude.ai/trunc",
]


def _general(lines: list[str]) -> tuple[list[FastRecord], ParseStats]:
    stats = ParseStats()
    return [fast_record(e) for e in parse_lines(SquidParser(), lines, stats)], stats


def _fast(lines: list[str]) -> tuple[list[FastRecord], ParseStats]:
    stats = ParseStats()
    fast = SquidParser().iter_fast(lines, stats)
    assert fast is not None
    return list(fast), stats


def _as_datetimes(records: list[FastRecord]) -> list[tuple[Any, ...]]:
    return [(datetime.fromtimestamp(r[0], UTC), *r[1:]) for r in records]


@pytest.mark.parametrize("line", LINES, ids=range(len(LINES)))
def test_each_line_gives_the_same_record_and_counts(line: str) -> None:
    # given one line (well-formed or not)
    # when it goes through the fast path and through parse_lines
    fast, fast_stats = _fast([line])
    general, general_stats = _general([line])
    # then the fields (times compared as the datetimes the events carry) and the counters are the same
    assert _as_datetimes(fast) == _as_datetimes(general)
    assert fast_stats == general_stats


def test_a_whole_stream_gives_the_same_records_counts_and_samples() -> None:
    # given all the lines, twice (the host caches are warm the second time), with line endings
    lines = [line + "\n" for line in LINES * 2]
    # when
    fast, fast_stats = _fast(lines)
    general, general_stats = _general(lines)
    # then
    assert _as_datetimes(fast) == _as_datetimes(general)
    assert fast_stats == general_stats
    assert fast_stats.records_malformed > 10  # the table really exercises the fallback
    assert [s["line"] for s in fast_stats.malformed_samples] == [s["line"] for s in general_stats.malformed_samples]


@pytest.mark.parametrize(
    "ts",
    [
        0.0,
        86399.9999994,
        86399.9999996,
        86400.0,
        1772495999.9999995,
        1772496000.0000004,
        -0.0000004,
        1e-7,
        1772409600.5,
    ],
)
def test_day_of_matches_datetime_including_microsecond_rounding(ts: float) -> None:
    # given a day cache warmed on a neighbouring time
    day_of = _DayOf()
    day_of(ts - 3600)
    # when / then
    assert day_of(ts) == datetime.fromtimestamp(ts, UTC).date()
    assert day_of(ts + 1e-7) == datetime.fromtimestamp(ts + 1e-7, UTC).date()


@pytest.mark.django_db
def test_aggregates_from_the_fast_path_equal_those_from_events(catalog: None) -> None:
    # given many lines over three days, users with and without names, AI and other hosts
    lines = []
    start = datetime(2026, 3, 1, 23, 0, tzinfo=UTC).timestamp()
    for i in range(3000):
        user = ["CORP\\jdoe", "-", "alice@corp.example", "bob"][i % 4]
        url = [
            "CONNECT chatgpt.com:443",
            "POST https://chat.deepseek.com/api/v0/file/upload_file",
            "GET https://huggingface.co/api/datasets/acme/upload",
            "CONNECT www.example.org:443",
            "GET http://intranet.corp/x",
        ][i % 5]
        method, target = url.split(" ")
        lines.append(
            f"{start + i * 61.3:.3f} 5 10.0.{i % 3}.1 TCP_MISS/200 {i} {method} {target} {user} HIER_DIRECT/1.1.1.1 -"
        )
    lines += LINES
    source = SimpleNamespace(identity_map=identity_map(), strip_domain=True, lowercase_users=True)
    snapshot = catalog_snapshot()
    fast_result, general_result = ChunkResult(), ChunkResult()
    # when
    fast, _ = _fast(lines)
    general, _ = _general(lines)
    _aggregate(iter(fast), fast_result, source=source, snapshot=snapshot)
    _aggregate(iter(general), general_result, source=source, snapshot=snapshot)
    # then
    assert fast_result.usage == general_result.usage
    assert len({key[4] for key in fast_result.usage}) == 4  # 51 hours from 23:00
    assert (fast_result.first_seen, fast_result.last_seen) == (general_result.first_seen, general_result.last_seen)
    assert fast_result.records_matched == general_result.records_matched > 0
    assert fast_result.records_unmatched == general_result.records_unmatched > 0
    assert set(fast_result.identities) == set(general_result.identities)


def test_day_of_follows_days_forward_and_backward() -> None:
    # given
    day_of = _DayOf()
    base = datetime(2026, 3, 1, tzinfo=UTC)
    # when / then
    for hours in (1, 30, 2, 100, -5, 50):
        moment = base + timedelta(hours=hours)
        assert day_of(moment.timestamp()) == moment.date()
    assert day_of(base.timestamp()) == date(2026, 3, 1)
