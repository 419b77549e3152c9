"""Every registered parser survives every byte sequence: random mutations of its fixture lines (see ``mutations``)
never raise, every line read is counted once (an event, a malformed line, or a skipped header/blank line), the
events carry what ingestion can store, and the malformed samples are storable in PostgreSQL ``jsonb`` (no NUL, no
lone surrogate, bounded). The engine's way in (``scan_matched_bytes`` on raw bytes, and the stream reader) counts the
same; for Squid native the fused and vectorised scans agree with the line-by-line parser on the mutated input."""

from __future__ import annotations

import io
import random
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from discovery.parsers.base import (
    MAX_RECORD_BYTES,
    MAX_TIMESTAMP,
    MIN_TIMESTAMP,
    GroupedBlock,
    MatchedBlock,
    ParseStats,
    ProxyEvent,
    fast_record,
    parse_lines,
)
from discovery.parsers.registry import (
    MIN_SNIFF_SCORE,
    PARSERS,
    UnknownFormat,
    detect_format,
    get_parser,
    iter_events,
    sniff_scores,
)
from discovery.parsers.streams import GZIP_MAGIC, ZIP_EMPTY_MAGIC, ZIP_MAGIC, ArchiveError
from tests.discovery.parsers.helpers import assert_storable_sample
from tests.discovery.parsers.mutations import CORPORA, corpus_lines, mutated_file
from tests.discovery.perf import test_squid_fast_path as fast_path
from tests.discovery.perf import test_squid_fused_scan as fused_scan
from tests.discovery.perf import test_squid_vector_scan as vector_scan

FUZZ = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
#: what makes the stream reader take a file for a gzip or zip archive
_ARCHIVE_MAGIC = (GZIP_MAGIC, ZIP_MAGIC, ZIP_EMPTY_MAGIC)


def _classify(host: str, url: str | None) -> int:
    return 1  # every record "of interest", so that every parsed record reaches the blocks


def assert_storable_event(event: ProxyEvent) -> None:
    """An event ingestion can aggregate and store: a text host, text identities, a time shown in any zone, bounded
    byte counts."""
    assert isinstance(event.host, str) and event.host
    for value in (event.host, event.user, event.src_ip, event.url):
        assert value is None or (isinstance(value, str) and value.encode("utf-8") is not None)
    stamp = event.timestamp
    assert isinstance(stamp, datetime) and stamp.tzinfo is not None and MIN_TIMESTAMP <= stamp <= MAX_TIMESTAMP
    for offset in (-23, 23):
        stamp.astimezone(timezone(timedelta(hours=offset)))
    for count in (event.upload_bytes, event.download_bytes):
        assert count is None or (type(count) is int and 0 <= count <= MAX_RECORD_BYTES)
    ts = fast_record(event)[0]
    assert datetime.fromtimestamp(ts, UTC).year >= 1


def assert_counted(stats: ParseStats, lines: int, events: int) -> None:
    assert stats.records_read == lines
    assert stats.records_parsed + stats.records_malformed + stats.records_skipped == lines
    assert stats.records_parsed == events
    assert len(stats.malformed_samples) == min(stats.records_malformed, ParseStats.MAX_SAMPLES)
    numbers = [s["line"] for s in stats.malformed_samples]
    assert numbers == sorted(set(numbers))
    for sample in stats.malformed_samples:
        assert_storable_sample(sample, lines)


def check_file(format_name: str, options: dict[str, Any], data: bytes, block: int) -> ParseStats:
    """Every way a file reaches ``format_name``'s parser survives ``data`` and counts each line once."""
    # line by line, decoded as the engine decodes (U+FFFD for invalid UTF-8) and with lone surrogates kept
    decoded = data.decode("utf-8", "replace").split("\n")
    stats = ParseStats()
    events = list(parse_lines(get_parser(format_name, options=options), decoded, stats))
    assert_counted(stats, len(decoded), len(events))
    for event in events:
        assert_storable_event(event)
    raw = data.decode("utf-8", "surrogateescape").split("\n")
    raw_stats = ParseStats()
    raw_events = list(parse_lines(get_parser(format_name, options=options), raw, raw_stats))
    assert_counted(raw_stats, len(raw), len(raw_events))
    for event in raw_events:
        assert_storable_event(event)
    # the engine's way: blocks of whole lines as bytes, through scan_matched_bytes, count exactly the same
    byte_lines = data.split(b"\n")
    blocks = [b"\n".join(byte_lines[i : i + block]) for i in range(0, len(byte_lines), block)]
    scan_stats = ParseStats()
    scanned = list(get_parser(format_name, options=options).scan_matched_bytes(blocks, scan_stats, _classify))
    assert scan_stats == stats
    assert sum(b.records for b in scanned) == stats.records_parsed
    assert sum(b.matched if isinstance(b, GroupedBlock) else len(b.codes) for b in scanned) == stats.records_parsed
    # the stream reader (over-long lines cut, BOM dropped) and format detection never raise either
    stream_stats = ParseStats()
    try:
        streamed = list(iter_events(io.BytesIO(data), format_name=format_name, options=options, stats=stream_stats))
    except ArchiveError:
        assert data.startswith(_ARCHIVE_MAGIC)  # a corrupt archive is a file-level error; a log file never is
    else:
        assert stream_stats.records_parsed == len(streamed)
        assert stream_stats.records_parsed + stream_stats.records_malformed + stream_stats.records_skipped == (
            stream_stats.records_read
        )
    scores = sniff_scores(decoded[:50])
    assert set(scores) == set(PARSERS) and all(0.0 <= s <= 1.0 + 1e-9 for s in scores.values())
    try:
        assert detect_format(decoded[:50]) in PARSERS
    except UnknownFormat:
        head = [line for line in (raw.rstrip("\r\n") for raw in decoded[:50]) if line.strip()]
        assert not head or max(sniff_scores(head).values()) < MIN_SNIFF_SCORE
    return stats


def test_every_registered_parser_has_a_fuzz_corpus() -> None:
    # a parser added to the registry gets fuzzed only once it has a corpus: this says so
    assert set(CORPORA) == set(PARSERS), "add the new format's fixture to tests/discovery/parsers/mutations.py"


@pytest.mark.parametrize("format_name", sorted(PARSERS))
def test_the_unmutated_corpus_parses(format_name: str) -> None:
    # the corpus is one a mutation can break: each file gives events, and passes check_file
    for fixture, options in CORPORA.get(format_name, []):
        data = b"\n".join(corpus_lines(fixture))
        stats = check_file(format_name, dict(options), data, 3)
        assert stats.records_parsed > 0, fixture


@pytest.mark.parametrize("format_name", sorted(PARSERS))
@FUZZ
@given(data=st.data())
def test_property_mutated_fixtures_never_raise_and_every_line_is_counted(format_name: str, data: Any) -> None:
    # given a mutated fixture file of the format, cut into blocks of a few lines
    corpus = CORPORA.get(format_name)
    assert corpus, f"no fuzz corpus for {format_name}"
    fixture, options = data.draw(st.sampled_from(corpus))
    mutated = data.draw(mutated_file(corpus_lines(fixture)))
    block = data.draw(st.integers(1, 8))
    # when / then: no exception on any path, and every line counted once with storable samples
    check_file(format_name, dict(options), mutated, block)


# --- Squid native: the fast paths against the line-by-line parser on mutated input -------------------------------

#: good and tricky Squid native lines (the perf tests' strategies) and the fixture's lines, as bytes
_SQUID_BASE = st.one_of(
    *fused_scan.MIXED_LINES, st.sampled_from(vector_scan.EXTRA_LINES), st.sampled_from(fast_path.LINES)
).map(lambda line: line.encode("utf-8", "surrogatepass")) | st.sampled_from(corpus_lines("plaso_squid_access.log"))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    data=st.data(),
    base=st.lists(_SQUID_BASE, min_size=1, max_size=40),
    block=st.integers(1, 50),
)
def test_property_squid_fused_vector_and_fast_paths_agree_on_mutated_lines(
    data: Any, base: list[bytes], block: int
) -> None:
    # given a mix of good, tricky and fixture lines, mutated (NUL, \r, invalid UTF-8, bad numbers, long lines...)
    mutated = data.draw(mutated_file(base, max_mutations=12))
    byte_lines = mutated.split(b"\n")
    blocks = [b"\n".join(byte_lines[i : i + block]) for i in range(0, len(byte_lines), block)]
    lines = mutated.decode("utf-8", "replace").split("\n")
    raw = mutated.decode("utf-8", "surrogateescape").split("\n")
    # when / then the vectorised scan on the bytes gives the sums, counts and samples of the line-by-line parser
    _, stats = vector_scan._assert_same(blocks)
    assert_counted(stats, len(lines), stats.records_parsed)
    # and so do the fused scan and the record fast path, on the decoded lines and on lines with lone surrogates
    for text in (lines, raw):
        fused_scan._assert_same(text, block)
        fast, fast_stats = fast_path._fast(text)
        general, general_stats = fast_path._general(text)
        assert fast_path._as_datetimes(fast) == fast_path._as_datetimes(general)
        assert fast_stats == general_stats
        assert_counted(general_stats, len(text), len(general))


def test_the_squid_property_reaches_the_vector_path() -> None:
    # the property above is not vacuous: a clean run of its base lines is read on columns
    rng = random.Random(1)
    lines = [fused_scan._valid_line(rng, i) for i in range(50)]
    blocks, _ = vector_scan._assert_same([("\n".join(lines)).encode()])
    assert any(isinstance(b, GroupedBlock) for b in blocks)
    assert not any(isinstance(b, MatchedBlock) for b in blocks)
