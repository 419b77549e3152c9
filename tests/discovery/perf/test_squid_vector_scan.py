"""The vectorised Squid native scan (``SquidParser.scan_matched_bytes``, numpy + pyarrow.compute) against the
record-by-record path (``parse_lines`` over ``parse``, classified one record at a time): the same sums per (code,
subject key, day), the same subjects, counts, time span and malformed samples with the same line numbers, for any cut
of the bytes into blocks; the same usage rows once aggregated and ingested; and ingestion really takes it."""

from __future__ import annotations

import io
import random
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from discovery import ingest
from discovery.catalog import CatalogMatcher, RuleType, load_catalog
from discovery.choices import BatchStatus
from discovery.ingest import CatalogSnapshot, ChunkResult, _aggregate, _Aggregator, catalog_snapshot
from discovery.models import UsageRecord
from discovery.parsers import squid_vector
from discovery.parsers.base import GroupedBlock, MatchedBlock, ParseStats, fast_record, parse_lines, subject_key
from discovery.parsers.squid import SquidParser
from discovery.services import log_batch_confirm, log_batch_ingest
from tests.discovery.factories import LogSourceFactory, identity_map
from tests.discovery.perf.test_squid_fast_path import LINES
from tests.discovery.perf.test_squid_fused_scan import (
    EDGE_LINES,
    MIXED_LINES,
    SQUID_SAMPLES,
    _ingest,
    _mixed_log,
    _regular,
    _regular_path,
    _usage,
    _valid_line,
    classify,
)

MIDNIGHT = 1772409600  # a UTC midnight
EXTRA_LINES = [
    f"{MIDNIGHT - 1}.999 5 10.0.0.1 TCP_MISS/200 7 GET https://claude.ai/ x HIER_DIRECT/1.1.1.1 -",  # day before
    f"{MIDNIGHT}.000 5 10.0.0.1 TCP_MISS/200 7 GET https://claude.ai/ x HIER_DIRECT/1.1.1.1 -",
    f"{MIDNIGHT}.000 5 10.0.0.1 TCP_MISS/200 999999999999999999 GET https://claude.ai/ x HIER_DIRECT/1.1.1.1 -",
    f"{MIDNIGHT}.000 5 10.0.0.1 TCP_MISS/200 1999999999999999999 GET https://claude.ai/ x HIER_DIRECT/1.1.1.1 -",
    f"{MIDNIGHT}.5 5 10.0.0.1 TCP_MISS/200 7 GET https://claude.ai/ x HIER_DIRECT/1.1.1.1 -",  # not .mmm
    f"{MIDNIGHT}.000 5 10.0.0.1 TCP_MISS/200 7 GET HTTPS://Claude.AI.:8443/x x HIER_DIRECT/1.1.1.1 -",
    f"{MIDNIGHT}.000 5 10.0.0.1 TCP_MISS/200 7 GET https://claude.ai x HIER_DIRECT/1.1.1.1 -",
    f"{MIDNIGHT}.000 5 10.0.0.1 TCP_MISS/200 7 GET https://... x HIER_DIRECT/1.1.1.1 -",  # no host left
    f"{MIDNIGHT}.000 5 10.0.0.1 TCP_TUNNEL/200 7 CONNECT Claude.AI.:443 x HIER_DIRECT/1.1.1.1 -",
    f"{MIDNIGHT}.000 5 10.0.0.1 TCP_TUNNEL/200 7 CONNECT ..:443 x HIER_DIRECT/1.1.1.1 -",
    f"{MIDNIGHT}.000 5 10.0.0.1 TCP_TUNNEL/200 7 CONNECT https://claude.ai:443 x HIER_DIRECT/1.1.1.1 -",
    f"{MIDNIGHT}.000 5 10.0.0.1 TCP_TUNNEL/200 7 CONNECT claude.ai:443\x0bx HIER_DIRECT/1.1.1.1 - -",
    f"{MIDNIGHT}.000 5 10.0.0.1 TCP_TUNNEL/200 7 CONNECT claude.ai:443 x\rHIER_DIRECT/1.1.1.1 -",
    f"{MIDNIGHT}.000 5 10.0.0.1 TCP_TUNNEL/200 7 CONNECT claude.ai:443 x HIER_DIRECT/1.1.1.1  \r",  # 9 fields
    f"{MIDNIGHT}.000 5 10.0.0.1 TCP_TUNNEL/200 7 CONNECT claude.ai:443 x HIER_DIRECT/1.1.1.1 \x00\x7f",
    f"\ufeff{MIDNIGHT}.000 5 10.0.0.1 TCP_TUNNEL/200 7 CONNECT claude.ai:443 x HIER_DIRECT/1.1.1.1 -",  # BOM
    # time shapes at and beyond the edges of one to eleven digits, a dot, three digits
    "1.000 5 10.0.0.1 TCP_MISS/200 7 GET https://claude.ai/ x HIER_DIRECT/1.1.1.1 -",
    "99999999999.999 5 10.0.0.1 TCP_MISS/200 7 GET https://claude.ai/ x HIER_DIRECT/1.1.1.1 -",
    "177240960000.000 5 10.0.0.1 TCP_MISS/200 7 GET https://claude.ai/ x HIER_DIRECT/1.1.1.1 -",
    f"{MIDNIGHT}.1234 5 10.0.0.1 TCP_MISS/200 7 GET https://claude.ai/ x HIER_DIRECT/1.1.1.1 -",
    ".123 5 10.0.0.1 TCP_MISS/200 7 GET https://claude.ai/ x HIER_DIRECT/1.1.1.1 -",
    f"{MIDNIGHT}.12a 5 10.0.0.1 TCP_MISS/200 7 GET https://claude.ai/ x HIER_DIRECT/1.1.1.1 -",
    "17724096a0.123 5 10.0.0.1 TCP_MISS/200 7 GET https://claude.ai/ x HIER_DIRECT/1.1.1.1 -",
    f"{MIDNIGHT}0.0.0 5 10.0.0.1 TCP_MISS/200 7 GET https://claude.ai/ x HIER_DIRECT/1.1.1.1 -",
    f"+{MIDNIGHT}.000 5 10.0.0.1 TCP_MISS/200 7 GET https://claude.ai/ x HIER_DIRECT/1.1.1.1 -",
    # exactly ten fields, padded as Squid's %6tr pads, tab-separated, and nine fields with and without a trailing blank
    f"{MIDNIGHT}.000    123 10.0.0.1 TCP_MISS/200 7 GET https://claude.ai/ x HIER_DIRECT/1.1.1.1 -",
    f"{MIDNIGHT}.000\t5\t10.0.0.1\tTCP_MISS/200\t7\tGET\thttps://claude.ai/\tx\tHIER_DIRECT/1.1.1.1\t-",
    f"{MIDNIGHT}.000 5 10.0.0.1 TCP_MISS/200 7 GET https://claude.ai/ x HIER_DIRECT/1.1.1.1",
    f"{MIDNIGHT}.000 5 10.0.0.1 TCP_MISS/200 7 GET https://claude.ai/ x HIER_DIRECT/1.1.1.1 ",
    "",
    " ",
]


def _blocks(lines: Sequence[str], block: int) -> list[bytes]:
    return [
        "\n".join(lines[i : i + block]).encode("utf-8", "surrogatepass") for i in range(0, max(len(lines), 1), block)
    ]


def _decoded(blocks: Sequence[bytes]) -> list[str]:
    """The lines the engine reads from those bytes (decoded with replacement), for the record-by-record path."""
    return [line for data in blocks for line in data.decode("utf-8", "replace").split("\n")]


def _vector(blocks: Sequence[bytes]) -> tuple[list[MatchedBlock | GroupedBlock], ParseStats]:
    stats = ParseStats()
    return list(SquidParser().scan_matched_bytes(blocks, stats, classify)), stats


def _totals(blocks: Sequence[MatchedBlock | GroupedBlock]) -> dict[str, Any]:
    """What aggregation makes of a scan, whatever its cut into blocks: sums per (code, subject key, UTC day), the
    user and client each subject key is first seen with, and the record counts and time span."""
    sums: dict[tuple[int, str, date], list[Any]] = {}
    first_seen: dict[str, tuple[str | None, str | None]] = {}
    records = matched = 0
    span: list[float] = []

    def fold(code: int, who: str, day: date, n: int, down: int, lo: float, hi: float) -> None:
        row = sums.setdefault((code, who, day), [0, 0, lo, hi])
        row[0] += n
        row[1] += down
        row[2], row[3] = min(row[2], lo), max(row[3], hi)

    for block in blocks:
        records += block.records
        if block.first is not None:
            span += [block.first, block.last]  # type: ignore[list-item]
        if isinstance(block, GroupedBlock):
            matched += block.matched
            for who, user, ip in zip(block.who_keys, block.who_users, block.who_ips, strict=True):
                first_seen.setdefault(who, (user, ip))
            columns = zip(
                block.codes,
                block.who,
                block.days,
                block.requests,
                block.download,
                block.first_times,
                block.last_times,
                strict=True,
            )
            for code, w, day, n, down, lo, hi in columns:
                fold(code, block.who_keys[w], date(1970, 1, 1) + timedelta(days=day), n, down, lo, hi)
            continue
        matched += len(block.codes)
        downs = block.download if block.download is not None else [None] * len(block.codes)
        for code, ts, user, ip, down in zip(block.codes, block.times, block.users, block.src_ips, downs, strict=True):
            who = subject_key(user, ip)
            first_seen.setdefault(who, (user, ip))
            fold(code, who, datetime.fromtimestamp(ts, UTC).date(), 1, down or 0, ts, ts)
    as_dt = {
        k: (n, down, datetime.fromtimestamp(lo, UTC), datetime.fromtimestamp(hi, UTC))
        for k, (n, down, lo, hi) in sums.items()
    }
    bounds = (datetime.fromtimestamp(min(span), UTC), datetime.fromtimestamp(max(span), UTC)) if span else None
    return {"records": records, "matched": matched, "span": bounds, "sums": as_dt, "first_seen": first_seen}


def _assert_same(blocks: Sequence[bytes]) -> tuple[list[MatchedBlock | GroupedBlock], ParseStats]:
    vector, vector_stats = _vector(blocks)
    regular, regular_stats = _regular(_decoded(blocks))
    assert _totals(vector) == _totals(regular)
    assert vector_stats == regular_stats  # counters and malformed samples, line numbers included
    return vector, vector_stats


@pytest.mark.parametrize("block", [1, 3, 1000])
def test_the_line_tables_give_the_same_sums_counts_and_samples(block: int) -> None:
    # given every edge case, each line also followed by a good one (so blocks and pieces mix good and bad lines)
    lines = [x for line in LINES + EDGE_LINES + EXTRA_LINES for x in (line, LINES[1])]
    # when / then
    blocks, stats = _assert_same(_blocks(lines, block))
    assert stats.records_malformed > 20 and stats.records_skipped > 0
    assert any(isinstance(b, GroupedBlock) for b in blocks)  # the good lines were read on columns


def test_the_extra_lines_alone_give_the_same_results_each_on_its_own() -> None:
    for line in EXTRA_LINES + EDGE_LINES:
        _assert_same(_blocks([line, line], 2))


@pytest.mark.parametrize("bad_at", [0, 999, 1000, 2999])
@pytest.mark.parametrize("block", [997, 8192])
def test_a_bad_line_anywhere_keeps_its_line_number_and_only_it_leaves_the_vector_path(bad_at: int, block: int) -> None:
    # given 3000 good lines with one malformed line and one comment
    rng = random.Random(bad_at)
    lines = [_valid_line(rng, i) for i in range(3000)]
    lines[bad_at] = "1772409600.000 x 10.0.0.1 TCP_MISS/200 1 GET https://claude.ai/ x HIER_DIRECT/1.1.1.1 -"
    lines[(bad_at + 500) % 3000] = "# a comment"
    # when
    blocks, stats = _assert_same(_blocks(lines, block))
    # then the sample carries the 1-based line number of the bad line, and every other line was read on columns
    assert [s["line"] for s in stats.malformed_samples] == [bad_at + 1]
    assert stats.records_skipped == 1
    assert all(isinstance(b, GroupedBlock) for b in blocks)
    assert sum(b.records for b in blocks) == stats.records_parsed == 2998


def test_a_clean_stream_is_read_on_columns_without_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    # given well-formed lines (some padded, tab-separated, CRLF), and the per-line paths made to fail if called
    rng = random.Random(7)
    lines = [_valid_line(rng, i) for i in range(2500)]
    lines[10] = lines[10].replace(" ", "   ", 3)
    lines[11] = lines[11].replace(" ", "\t")
    lines[12] += "\r"
    lines[13] += " extra trailing fields"

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the vector scan fell back to a per-line path")

    monkeypatch.setattr(SquidParser, "parse", refuse)
    monkeypatch.setattr(SquidParser, "_numbered", refuse)
    monkeypatch.setattr(SquidParser, "_scan", refuse)
    read: list[int] = []
    real = squid_vector.match_columns

    def counting(columns: Any, *args: Any) -> Any:
        read.append(len(columns.rows))
        return real(columns, *args)

    monkeypatch.setattr(squid_vector, "match_columns", counting)  # where scan_matched_bytes imports it from
    stats = ParseStats()
    # when
    blocks = list(SquidParser().scan_matched_bytes(_blocks(lines, 1000), stats, classify))
    # then every line was counted, its three blocks read on columns and grouped together
    assert stats.records_read == stats.records_parsed == 2500
    assert read == [1000, 1000, 500]
    assert [type(b) for b in blocks] == [GroupedBlock]
    assert 0 < sum(b.matched for b in blocks if isinstance(b, GroupedBlock)) < 2500


@pytest.mark.parametrize("sample", SQUID_SAMPLES, ids=lambda p: p.parent.parent.name + "/" + p.name)
def test_the_squid_samples_give_the_same_results(sample: Path) -> None:
    if not sample.exists():
        pytest.skip(f"{sample} is missing")
    data = sample.read_bytes()
    blocks = [data, data[: len(data) // 2], data[len(data) // 2 :]]
    _, stats = _assert_same(blocks)
    assert stats.records_parsed > 0


@hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lines=st.lists(st.one_of(*MIXED_LINES, st.sampled_from(EXTRA_LINES)), max_size=60),
    block=st.integers(1, 70),
)
def test_property_mixed_valid_and_invalid_lines_give_the_same_results(lines: list[str], block: int) -> None:
    # given any mix of good lines, lines with one field replaced by a tricky value, token soup and edge lines
    # when / then
    _assert_same(_blocks(lines, block))


@pytest.mark.parametrize(
    ("value", "plain"),
    [
        ("1.123", True),
        ("12345678901.123", True),
        ("123456789012.123", False),
        (".123", False),
        ("1.12", False),
        ("1.1234", False),
        ("1a.123", False),
        ("1.12a", False),
        ("1..123", False),
        ("11.123.", False),
        ("1/.123", False),
        ("1:.123", False),
    ],
)
def test_the_time_check_on_buffers_at_the_edges(value: str, plain: bool) -> None:
    import pyarrow as pa

    assert squid_vector._plain_times(pa.array([value])).tolist() == [plain]
    assert squid_vector._plain_times(pa.array(["1772409600.123", value])).tolist() == [True, plain]


@hypothesis_settings(max_examples=300, deadline=None)
@given(
    values=st.lists(
        st.one_of(
            st.from_regex(squid_vector._TS_SHAPE, fullmatch=True).filter(str.isascii),
            st.text(alphabet="0123456789.-+e/ a", min_size=1, max_size=17),
        ),
        min_size=1,
        max_size=30,
    ),
    cut=st.integers(0, 3),
)
def test_property_the_time_check_on_buffers_is_the_time_regex(values: list[str], cut: int) -> None:
    # given time values, also as a slice of a larger array (the buffers then start before the slice's first value)
    import pyarrow as pa

    padded = pa.array(["0.000"] * cut + values)
    # then the numpy check accepts exactly the values that match the shape
    expected = [re.fullmatch(squid_vector._TS_SHAPE, value, re.ASCII) is not None for value in values]
    assert squid_vector._plain_times(pa.array(values)).tolist() == expected
    assert squid_vector._plain_times(padded.slice(cut)).tolist() == expected


def _regex_host(url: str, connect: bool) -> str | None:
    """The host of the plain URL shapes as their one regular expression reads it (what the column scan, which runs
    each shape's expression on the URLs of its methods, stands for): lower-cased, trailing dots dropped, None when
    not of the shape or no host is left."""
    found = re.match(squid_vector._HOST_PATTERN, url)
    host = found["connect" if connect else "url"] if found else None
    return host.lower().rstrip(".") or None if host else None


_URL_TEXT = st.tuples(
    st.sampled_from(["", "http://", "https://", "HTTP://", "hTtPs://", "http:/", "https:", "httpx://", "ftp://"]),
    st.text(alphabet="aZ09.-_:/?#@[]%~hHtTpPsS", max_size=14),
).map("".join)


@hypothesis_settings(max_examples=400, deadline=None)
@given(urls=st.lists(st.tuples(_URL_TEXT.filter(bool), st.booleans()), min_size=1, max_size=25), cut=st.integers(0, 2))
def test_property_the_hosts_read_per_shape_are_those_of_the_host_regex(urls: list[tuple[str, bool]], cut: int) -> None:
    # given URL tokens of any shape, CONNECT or not, also as a slice of a larger array
    import pyarrow as pa

    column = pa.array(["https://pad.example/"] * cut + [url for url, _ in urls]).slice(cut)
    connect = np.array([flag for _, flag in urls], dtype=bool)
    # when
    hosts, index = squid_vector._url_hosts(column, connect)
    # then each URL has the host the regular expression gives (and none where it gives none)
    assert [hosts[i].as_py() if i >= 0 else None for i in index] == [_regex_host(url, flag) for url, flag in urls]


@hypothesis_settings(max_examples=100, deadline=None)
@given(millis=st.lists(st.integers(0, 99_999_999_999_999), min_size=1, max_size=40))
def test_property_times_and_days_are_those_of_the_datetimes(millis: list[int]) -> None:
    # given good lines at any millisecond from 1970 to 5138, midnights included
    lines = [
        f"{m // 1000}.{m % 1000:03d} 5 10.0.0.{m % 3} TCP_MISS/200 {m % 977} GET https://h{m % 5}.example/ u{m % 2} "
        "HIER_DIRECT/1.1.1.1 -"
        for m in millis
    ]
    # when / then (every line on columns)
    blocks, _ = _assert_same(_blocks(lines, 64))
    assert all(isinstance(b, GroupedBlock) for b in blocks)


# --- odd lines among good ones: each read alone, the lines around it stay on columns ----------------------------

#: lines of every kind the column checks cannot take (malformed, non-ASCII, unusual URLs, Squid's error entries,
#: blank and comment lines, invalid UTF-8), each of which must leave only itself to the per-line path
ODD_LINES = [
    f"{MIDNIGHT}.000 x 10.0.0.1 TCP_MISS/200 1 GET https://claude.ai/ x HIER_DIRECT/1.1.1.1 -",  # malformed
    f"{MIDNIGHT}.000 5 10.0.0.1 TCP_MISS/200 1 GET https://claude.ai/x",  # cut short
    f"{MIDNIGHT}.000      0 10.0.0.1 NONE_NONE/000 0 NONE error:transaction-end-before-headers - HIER_NONE/- -",
    f"{MIDNIGHT}.000      1 10.0.0.1 NONE/400 3885 NONE error:invalid-request - HIER_NONE/- text/html",
    f"{MIDNIGHT}.000 5 10.0.0.1 TCP_TUNNEL/200 9 CONNECT chatgpt.com:443 j\u00fcrgen.m\u00fcller HIER_DIRECT/1.1.1.1 -",
    f"{MIDNIGHT}.000 5 10.0.0.1 TCP_MISS/200 9 GET http://b\u00fccher.example/stra\u00dfe bob HIER_DIRECT/1.1.1.1 -",
    f"{MIDNIGHT}.000 5 10.0.0.1 TCP_MISS/200 9 GET http://user@chatgpt.com/x bob HIER_DIRECT/1.1.1.1 -",
    f"{MIDNIGHT}.000 5 10.0.0.1 TCP_MISS/200 9 GET http://[2001:db8::1]/x bob HIER_DIRECT/2001:db8::1 -",
    f"{MIDNIGHT}.000 5 10.0.0.1 TCP_MISS/200 9 GET ftp://ftp.example.org/pub bob HIER_DIRECT/1.1.1.1 -",
    f"{MIDNIGHT}.000 5 10.0.0.1 TCP_TUNNEL/200 9 CONNECT chatgpt.com:443 jos\udce9 HIER_DIRECT/1.1.1.1 -",  # Latin-1
    "# a comment",
    "",
    "\x00\x00\x00\x00 garbage after a crash",
]


def _count_per_line(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The lines handed to the per-line paths of the Squid scan (the record fast path, which falls back to parse(),
    and the fused line loop, whose runs the record fast path reads when its column checks fail), as they arrive."""
    seen: list[str] = []
    real_numbered, real_scan = SquidParser._numbered, SquidParser._scan

    def numbered(self: SquidParser, lines: Any, stats: ParseStats) -> Any:
        lines = list(lines)
        seen.extend(text for _, text in lines)
        return real_numbered(self, lines, stats)

    def scan(self: SquidParser, blocks: Any, stats: ParseStats, classify: Any, **kw: Any) -> Any:
        blocks = [list(block) for block in blocks]
        seen.extend(line for block in blocks for line in block)
        return real_scan(self, blocks, stats, classify, **kw)

    monkeypatch.setattr(SquidParser, "_numbered", numbered)
    monkeypatch.setattr(SquidParser, "_scan", scan)
    return seen


@pytest.mark.parametrize("odd", ODD_LINES, ids=range(len(ODD_LINES)))
@pytest.mark.parametrize("at", [0, 1500, 2999])
def test_one_odd_line_in_a_block_sends_only_itself_to_the_per_line_path(
    odd: str, at: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given 3000 good lines in one block (as ingestion hands over about 4 MiB), one of them replaced by an odd line,
    # and a record of the lines that reach the per-line paths
    rng = random.Random(at)
    lines = [_valid_line(rng, i) for i in range(3000)]
    lines[at] = odd
    seen = _count_per_line(monkeypatch)
    # when
    blocks, stats = _assert_same(_blocks(lines, 3000))
    # then exactly that line went through the per-line path, once; the block's other 2999 lines were read on columns
    assert seen == [odd.encode("utf-8", "surrogatepass").decode("utf-8", "replace")]
    assert [type(b) for b in blocks] == [GroupedBlock]
    assert stats.records_read == 3000 and blocks[0].records == stats.records_parsed


@hypothesis_settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    good=st.integers(1, 400),
    odd=st.lists(
        st.tuples(
            st.integers(0, 10_000), st.one_of(st.sampled_from(ODD_LINES + EXTRA_LINES + EDGE_LINES), *MIXED_LINES)
        ),
        max_size=12,
    ),
    block=st.integers(1, 500),
    seed=st.integers(0, 1000),
)
def test_property_odd_lines_mixed_into_pieces_give_the_line_parsers_results_and_only_they_leave_the_columns(
    good: int, odd: list[tuple[int, str]], block: int, seed: int
) -> None:
    # given good lines with odd ones (and tricky, and good-looking) put in anywhere, cut into blocks of any size
    rng = random.Random(seed)
    lines = [_valid_line(rng, i) for i in range(good)]
    for at, line in odd:
        lines.insert(at % (len(lines) + 1), line)
    with pytest.MonkeyPatch.context() as patch:
        seen = _count_per_line(patch)
        # when / then: the counts, malformed counts and samples (line numbers included) and the sums per subject and
        # day are those of the line-by-line parser
        _assert_same(_blocks(lines, block))
    # and no line but the inserted ones went through the per-line path (the good lines all stayed on columns)
    assert len(seen) <= len(odd)


@pytest.mark.django_db
def test_ingestion_reads_non_ascii_lines_alone_without_parse_and_the_rest_on_columns(
    source: Any, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.DISCOVERY_MALFORMED_MAX_SHARE = 1  # the upload's malformed probe off: only ingestion's reads recorded
    # given a Squid native file where about a quarter of the lines name a non-ASCII user, a record of the lines
    # that reach the per-line paths, and parse() refused (the record fast path reads such a line itself)
    seen = _count_per_line(monkeypatch)

    def refuse(self: SquidParser, line: str) -> Any:
        raise AssertionError("parse() called for a line the record fast path reads")

    monkeypatch.setattr(SquidParser, "parse", refuse)
    rng = random.Random(11)
    lines = [_valid_line(rng, i).replace(" bob ", " b\u00f6b ") for i in range(3000)]
    # when
    batch = _ingest(source, "\n".join(lines) + "\n")
    # then only the non-ASCII lines went line by line, and the batch is complete
    assert seen == [line for line in lines if not line.isascii()] and 500 < len(seen) < 1000
    assert batch.records_parsed == 3000 and batch.records_matched > 0
    assert UsageRecord.objects.filter(batch=batch).exists()


# --- url rules run on columns ------------------------------------------------------------------------------------

_SERVICES = load_catalog()
#: (host, path) of every url rule of the seeded catalogue
URL_RULES = sorted(
    rule.value.partition("/")[::2]
    for service in _SERVICES
    for rule in service.rules
    if rule.rule_type is RuleType.URL_PREFIX
)


def _catalog_aggregator() -> _Aggregator:
    """The ingestion classifier over the seeded catalogue, without a database."""
    url_hosts = frozenset(host for host, _ in URL_RULES)
    snapshot = CatalogSnapshot(CatalogMatcher(_SERVICES), {}, {}, {}, url_hosts)
    source = SimpleNamespace(identity_map={}, strip_domain=True, lowercase_users=True)
    return _Aggregator(ChunkResult(), source=source, snapshot=snapshot)


_SEGMENT = st.text(alphabet="abcz019-_.~%*", min_size=0, max_size=6)
#: a URL of the plain shape for a url-rule host (or a subdomain of it): the rule's path as it is, cut short, with a
#: segment changed or added, a query or fragment, a port; any scheme case
URL_OF_RULE = st.tuples(
    st.sampled_from(URL_RULES),
    st.sampled_from(["https://", "http://", "HTTPS://", "hTtP://"]),
    st.sampled_from(["", "www.", "a.b."]),
    st.sampled_from(["", ":443", ":8080"]),
    st.integers(0, 8),
    st.lists(_SEGMENT, max_size=3),
    st.sampled_from(["", "?q=1", "?a/b", "#frag/x", "?", "/", "//x"]),
).map(
    lambda t: (
        t[2] + t[0][0],
        f"{t[1]}{t[2]}{t[0][0]}{t[3]}"
        + ("/" + "/".join([*t[0][1].replace("*", "x1").split("/")[: t[4]], *t[5]]) if t[4] or t[5] else "")
        + t[6],
    )
)


@hypothesis_settings(max_examples=300, deadline=None)
@given(urls=st.lists(URL_OF_RULE, min_size=1, max_size=30))
def test_property_url_rules_run_on_columns_give_the_classifiers_codes(urls: list[tuple[str, str]]) -> None:
    # given URLs of the catalogue's url-rule hosts, and the ingestion classifier with its host cache
    import pyarrow as pa

    aggregator = _catalog_aggregator()
    hosts = squid_vector.HostCodes(aggregator.classify, aggregator.url_matters, aggregator.url_rules)
    matcher = aggregator.snapshot.matcher
    for host in {host for host, _ in urls}:
        of_host = [url for h, url in urls if h == host]
        assert aggregator.url_matters(host)
        # when the host's url rules run on a column of its URLs
        codes = hosts.url_codes(host, pa.array(of_host)).tolist()
        # then each URL has the code the classifier gives it, which is the matcher's
        assert codes == [aggregator.classify(host, url) for url in of_host]
        assert codes == [aggregator._code(matcher.match(host, url)) for url in of_host]


def test_the_url_rule_property_reaches_upload_endpoints_and_plain_host_codes() -> None:
    # the property above is not vacuous: rule paths hit their rules, other paths fall back to the host's code
    import pyarrow as pa

    aggregator = _catalog_aggregator()
    hosts = squid_vector.HostCodes(aggregator.classify, aggregator.url_matters, aggregator.url_rules)
    urls = [
        "https://chatgpt.com/backend-api/files?x=1",
        "https://chatgpt.com/backend-api/models/123",
        "https://chatgpt.com/",
        "https://chatgpt.com",
        "https://chatgpt.com?/backend-api/files",
    ]
    codes = hosts.url_codes("chatgpt.com", pa.array(urls)).tolist()
    host_code = aggregator.classify("chatgpt.com", None)
    upload = codes[0]
    assert aggregator.targets[upload - 1][1] is True  # the upload endpoint
    assert codes[1:] == [host_code] * 4 and host_code != upload


# --- through the aggregator and the ingestion engine -------------------------------------------------------------


def _subject_lines() -> list[str]:
    """Lines whose subject depends on the first record of a key: a user whose name normalises to nothing (resolved by
    the client of its first record) and a user spelled like a client key."""
    out = []
    for i, (user, ip) in enumerate([("CORP\\", "10.0.0.7"), ("CORP\\", "10.0.0.8"), ("@10.0.0.9", "10.0.0.1")] * 3):
        out.append(f"{MIDNIGHT + i}.000 5 {ip} TCP_TUNNEL/200 9 CONNECT chatgpt.com:443 {user} HIER_DIRECT/1.1.1.1 -")
    out.append(f"{MIDNIGHT}.000 5 10.0.0.9 TCP_TUNNEL/200 9 CONNECT chatgpt.com:443 - HIER_DIRECT/1.1.1.1 -")
    return out


@pytest.mark.django_db
@pytest.mark.parametrize("rules", [True, False], ids=["url rules on columns", "url rules per URL"])
@pytest.mark.parametrize("block", [5, 100_000])
def test_aggregates_of_the_vector_scan_equal_those_of_the_regular_path(catalog: None, block: int, rules: bool) -> None:
    # given a mixed stream with real catalog hosts (url rules included), users resolved through the identity map
    lines = _subject_lines() + _mixed_log().split("\n") + _subject_lines()
    source = SimpleNamespace(identity_map=identity_map(), strip_domain=True, lowercase_users=True)
    snapshot = catalog_snapshot()
    vector, regular = ChunkResult(), ChunkResult()
    blocks = _blocks(lines, block)
    # when
    aggregator = _Aggregator(vector, source=source, snapshot=snapshot)
    url_rules = aggregator.url_rules if rules else None
    scanned = list(
        SquidParser().scan_matched_bytes(
            blocks, ParseStats(), aggregator.classify, url_matters=aggregator.url_matters, url_rules=url_rules
        )
    )
    aggregator.add_all(scanned)
    aggregator.finish()
    _aggregate(
        map(fast_record, parse_lines(SquidParser(), _decoded(blocks), ParseStats())),
        regular,
        source=source,
        snapshot=snapshot,
    )
    # then
    assert any(isinstance(b, GroupedBlock) and b.matched for b in scanned)
    assert vector.usage == regular.usage and len(vector.usage) > 10
    assert (vector.first_seen, vector.last_seen) == (regular.first_seen, regular.last_seen)
    assert (vector.records_matched, vector.records_unmatched) == (regular.records_matched, regular.records_unmatched)
    assert vector.identities == regular.identities


@pytest.mark.django_db
@pytest.mark.parametrize("chunk_bytes", [700, 64 * 1024 * 1024])
def test_ingesting_a_file_gives_the_same_batch_either_way(
    catalog: None, monkeypatch: pytest.MonkeyPatch, settings: Any, chunk_bytes: int
) -> None:
    # given one file ingested by two sources, in many chunks or in one (one byte range), and a count of the
    # blocks read on columns
    settings.DISCOVERY_CHUNK_BYTES = chunk_bytes
    text = "\n".join(_subject_lines()) + "\n" + _mixed_log(3000) + "\r\n".join(_subject_lines())
    on_columns: list[int] = []
    real = squid_vector.match_columns

    def counting(columns: Any, *args: Any) -> Any:
        on_columns.append(len(columns.rows))
        return real(columns, *args)

    monkeypatch.setattr(squid_vector, "match_columns", counting)  # where scan_matched_bytes imports it from
    vector_source = LogSourceFactory(name="vector", log_format="squid", identity_map=identity_map())
    regular_source = LogSourceFactory(name="regular", log_format="squid", identity_map=identity_map())
    # when
    vector = _ingest(vector_source, text)
    with monkeypatch.context() as patch:
        _regular_path(patch)
        regular = _ingest(regular_source, text)
    # then the counts, the time span, the samples with their file line numbers and the usage rows are the same
    assert sum(on_columns) > 1000
    counts = ("records_read", "records_parsed", "records_malformed", "records_skipped", "records_matched")
    for name in (*counts, "records_unmatched", "first_seen", "last_seen", "malformed_samples", "chunks_total"):
        assert getattr(vector, name) == getattr(regular, name), name
    assert vector.records_malformed > 0 and vector.records_matched > 0
    assert _usage(vector) == _usage(regular) and _usage(vector)


@pytest.mark.django_db
def test_ingestion_takes_the_vector_path_for_squid_native(source: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # given a clean Squid native file in several chunks, a record of the vector scans, and the per-line paths refused
    scans: list[bool] = []
    real = squid_vector.read_ahead

    def recording(blocks: Any) -> Any:
        for block, columns in real(blocks):
            scans.append(columns is not None)
            yield block, columns

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("ingestion left the vector path")

    monkeypatch.setattr(squid_vector, "read_ahead", recording)  # where scan_matched_bytes imports it from
    monkeypatch.setattr(SquidParser, "parse", refuse)
    monkeypatch.setattr(SquidParser, "_scan", refuse)
    rng = random.Random(11)
    text = "\n".join(_valid_line(rng, i) for i in range(3000)) + "\n"
    # when
    batch = _ingest(source, text)
    # then every block was read on columns, and the batch is complete
    assert scans and all(scans)
    assert batch.records_parsed == 3000 and batch.records_matched > 0
    assert UsageRecord.objects.filter(batch=batch).exists()


@pytest.mark.django_db
def test_a_plain_one_chunk_file_is_read_as_a_byte_range_and_a_gzip_one_as_a_stream(
    catalog: None, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.DISCOVERY_MALFORMED_MAX_SHARE = 1  # the malformed probe off: only ingestion's own streams recorded
    # given one small Squid file (one chunk), plain and gzip-compressed, and a record of the line streams opened
    import gzip

    streams: list[str] = []
    real = ingest.open_text_stream

    def recording(fileobj: Any, **kwargs: Any) -> Any:
        streams.append("stream")
        return real(fileobj, **kwargs)

    monkeypatch.setattr(ingest, "open_text_stream", recording)
    rng = random.Random(5)
    data = ("\n".join(_valid_line(rng, i) for i in range(500)) + "\n").encode()
    plain_source = LogSourceFactory(name="plain", log_format="squid")
    gzip_source = LogSourceFactory(name="gzip", log_format="squid")
    # when
    plain = log_batch_ingest(source=plain_source, fileobj=io.BytesIO(data), name="a.log", synchronous=True).batch
    read_plain = list(streams)
    packed = log_batch_ingest(
        source=gzip_source, fileobj=io.BytesIO(gzip.compress(data)), name="a.log.gz", synchronous=True
    ).batch
    # (the same content under a second source waits for a confirmation; the worker read the content to find out)
    assert packed.status == BatchStatus.AWAITING_CONFIRMATION and streams == ["stream", "stream"]
    streams.clear()
    packed = log_batch_confirm(batch=packed, actor=None, reason="compare plain and gzip", synchronous=True)
    # then the plain file skipped the line stream (the column scan reads its bytes), the gzip file needed it, and
    # both read the same
    assert plain.chunks_total == packed.chunks_total == 1
    assert read_plain == [] and streams == ["stream"]
    assert plain.records_parsed == packed.records_parsed == 500 and plain.records_matched > 0
    assert plain.records_matched == packed.records_matched and plain.records_malformed == packed.records_malformed == 0
    assert _usage(plain) == _usage(packed)


def test_the_engine_hands_byte_blocks_of_whole_lines_to_scan_matched_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    # given a stand-in scan that records what it is given, and a small scan block size
    seen: list[bytes] = []

    def scan(self: SquidParser, blocks: Iterator[bytes], stats: ParseStats, classify: Any, **kw: Any) -> Iterator[Any]:
        seen.extend(blocks)
        return iter(())

    monkeypatch.setattr(SquidParser, "scan_matched_bytes", scan)
    monkeypatch.setattr(ingest, "SCAN_BLOCK", 1000)
    data = "".join(f"{line}\n" for line in LINES).encode()
    batch = SimpleNamespace(
        source=SimpleNamespace(
            format_options={}, time_zone="UTC", identity_map={}, strip_domain=True, lowercase_users=True
        ),
        log_format="squid",
        chunks_total=2,
        size_bytes=len(data),
    )
    chunk = SimpleNamespace(index=0, start_offset=0, end_offset=len(data), first_line=1)
    snapshot = SimpleNamespace(url_hosts=frozenset(), matcher=None, policies={}, exceptions={})
    # when
    ingest.run_chunk(batch, chunk, io.BytesIO(data), snapshot=snapshot)  # type: ignore[arg-type]
    # then the lines arrive in a few blocks of whole lines, without the newline that ends each block
    assert b"\n".join(seen).decode().split("\n") == LINES
    assert 1 < len(seen) < len(LINES)
    assert not any(block.endswith(b"\n") for block in seen)


def test_sizes_whose_sum_could_overflow_64_bits_are_summed_exactly_on_columns() -> None:
    # given sizes whose sum over a block could overflow a 64-bit integer, to a host of interest
    line = f"{MIDNIGHT}.000 5 10.0.0.1 TCP_MISS/200 999999999999999 GET https://chatgpt.com/ x HIER_DIRECT/1.1.1.1 -"
    assert classify("chatgpt.com", None)
    lines = [line] * 20_000 + [line.replace(" x ", " y ")]
    # when / then the block is read on columns, and the totals are still Python's arbitrary-precision sums
    blocks, _ = _assert_same(_blocks(lines, 30_000))
    assert [type(b) for b in blocks] == [GroupedBlock]
    found = blocks[0]
    assert isinstance(found, GroupedBlock) and max(found.download) == 20_000 * 999999999999999 > 2**63


def test_read_ahead_gives_each_block_its_columns_in_order_read_on_the_read_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given blocks, clean and declined, and a record of the threads the columns are read on
    import threading

    rng = random.Random(3)
    blocks = [("\n".join(_valid_line(rng, i * 50 + j) for j in range(50))).encode() for i in range(12)]
    blocks[4] = b"not a squid line"  # an odd line: left to the per-line path
    read_on: list[str] = []
    real = squid_vector.read_columns

    def recording(data: bytes) -> Any:
        read_on.append(threading.current_thread().name)
        return real(data)

    monkeypatch.setattr(squid_vector, "read_columns", recording)
    # when
    pairs = list(squid_vector.read_ahead(iter(blocks)))
    # then every block comes back once, in order, with the columns scan_block would read from it
    assert [block for block, _ in pairs] == blocks
    assert [columns is not None and len(columns.odd) > 0 for _, columns in pairs] == [i == 4 for i in range(12)]
    assert len(read_on) == 12 and all(name.startswith("scan-read") for name in read_on)
    for block, columns in pairs[:2]:
        assert columns is not None
        found = squid_vector.classify_columns(columns, squid_vector.HostCodes(classify))
        assert found == squid_vector.scan_block(block, squid_vector.HostCodes(classify))


def test_an_abandoned_read_ahead_cancels_its_pending_reads_and_a_forked_process_gets_its_own_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given a scan of many blocks, a count of the blocks read, and the scan stopped after its first block
    rng = random.Random(4)
    blocks = [("\n".join(_valid_line(rng, i) for i in range(20))).encode()] * 50
    reads: list[int] = []
    real = squid_vector.read_columns

    def counting(data: bytes) -> Any:
        reads.append(1)
        return real(data)

    monkeypatch.setattr(squid_vector, "read_columns", counting)
    scan = squid_vector.read_ahead(iter(blocks))
    # when
    first = next(scan)
    scan.close()
    pool = squid_vector._read_pool()
    for _ in range(squid_vector.READ_THREADS):  # the queue is first in, first out: once these ran, so had the rest
        pool.submit(lambda: None).result()
    # then only the blocks submitted before the stop were read, not the other ~47
    assert first[1] is not None
    assert len(reads) <= squid_vector.READ_AHEAD + 1
    # and a process with another pid (a forked Celery worker) starts its own pool instead of the parent's dead threads
    monkeypatch.setattr(squid_vector.os, "getpid", lambda: -1)
    monkeypatch.setattr(squid_vector, "_pool", pool)  # both restored afterwards: this process goes on with its own
    monkeypatch.setattr(squid_vector, "_pool_pid", squid_vector._pool_pid)
    own = squid_vector._read_pool()
    assert own is not pool
    own.shutdown()
