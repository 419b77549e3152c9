"""The fused Squid native scan (``SquidParser.scan_matched``) against the record-by-record path (``parse_lines`` over
``parse``, classified one record at a time): the same matched records, counts, time span and malformed samples with
the same line numbers, for any cut of the input into blocks; and ingestion really takes it."""

from __future__ import annotations

import io
import random
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from core.db.bulk import datetime_adapter, rows_insert
from discovery.choices import BatchStatus
from discovery.ingest import ChunkResult, _aggregate, _Aggregator, catalog_snapshot
from discovery.models import AIService, LogBatch, LogSource, Pseudonym, UsageRecord
from discovery.parsers.base import LogParser, MatchedBlock, ParseStats, fast_record, parse_lines, scan_records
from discovery.parsers.squid import SquidParser
from discovery.pseudonyms import decrypt_identity, key_version, pseudonymise, pseudonymise_with_token
from discovery.services import (
    _USAGE_COLUMNS,
    _Adapters,
    _usage_rows,
    log_batch_confirm,
    log_batch_ingest,
)
from tests.discovery.factories import LogSourceFactory, identity_map
from tests.discovery.perf.test_squid_fast_path import LINES

REPO = Path(__file__).resolve().parents[3]
SQUID_SAMPLES = [REPO / "tests" / "fixtures" / "logs" / "plaso_squid_access.log"]
TS = "1772409600.123"
EDGE_LINES = [
    f"{TS} 5 2001:db8::7 TCP_TUNNEL/200 77 CONNECT [2001:db8::1]:443 alice HIER_DIRECT/2001:db8::1 -",
    f"{TS} 5 ::1 TCP_MISS/200 77 GET http://[2001:db8::1]:443/chat bob HIER_DIRECT/2001:db8::1 -",
    f"{TS}  5  10.0.0.1  TCP_TUNNEL/200  77  CONNECT  chatgpt.com:443  -  HIER_DIRECT/1.1.1.1  -",
    f"{TS}\t5\t10.0.0.1\tTCP_TUNNEL/200\t77\tCONNECT\tclaude.ai:443\t-\tHIER_DIRECT/1.1.1.1\t-",
    f"{TS} 5 10.0.0.1 TCP_TUNNEL/200 77 CONNECT claude.ai:443 - HIER_DIRECT/1.1.1.1",  # nine fields
    f"{TS} 5 10.0.0.1 TCP_TUNNEL/200 77 CONNECT",
    f"{TS} 5 10.0.0.1 TCP_MISS/200 77 GET https://chatgpt.com/ J\u00fcrgen.M\u00fcller HIER_DIRECT/1.1.1.1 -",
    f"{TS} 5 10.0.0.1 TCP_MISS/200 77 GET https://b\u00fccher.example/x CORP\\\u00e9lodie HIER_DIRECT/1.1.1.1 -",
    f"{TS} 5 10.0.0.1 TCP_MISS/200 77 CONNECT https://chatgpt.com/ x HIER_DIRECT/1.1.1.1 -",  # CONNECT + URL
    f"{TS} 5 10.0.0.1 TCP_MISS/200 77 GET chatgpt.com:443 x HIER_DIRECT/1.1.1.1 -",  # GET + host:port
    f"{TS} 5 10.0.0.1 TCP_MISS/200 77 GET chatgpt.com/c/1 x HIER_DIRECT/1.1.1.1 -",
    f"{TS} 5 10.0.0.1 TCP_MISS/200 77 CONNECT chatgpt.com/c/1 x HIER_DIRECT/1.1.1.1 -",
    f"{TS} 5 10.0.0.1 TCP_MISS/ 77 GET https://claude.ai/ x HIER_DIRECT/1.1.1.1 -",
    f"{TS} 5 10.0.0.1 TCP_MISS/2/0 77 GET https://claude.ai/ x HIER_DIRECT/1.1.1.1 -",
    f"{TS} 5 10.0.0.1 /200 77 GET https://claude.ai/ x HIER_DIRECT/1.1.1.1 -",
    f"{TS} 1_0 10.0.0.1 TCP_MISS/200 1_000 GET https://claude.ai/ x HIER_DIRECT/1.1.1.1 -",  # int() takes these
    f"{TS} 5 10.0.0.1 TCP_MISS/\u0662\u0660\u0660 \u0667 GET https://claude.ai/ x HIER_DIRECT/1.1.1.1 -",
    "inf 5 10.0.0.1 TCP_MISS/200 1 GET https://claude.ai/ x HIER_DIRECT/1.1.1.1 -",
    "-inf 5 10.0.0.1 TCP_MISS/200 1 GET https://claude.ai/ x HIER_DIRECT/1.1.1.1 -",
    "-62135596800.5 5 10.0.0.1 TCP_MISS/200 1 GET https://claude.ai/ x HIER_DIRECT/1.1.1.1 -",
    "253402300799.5 5 10.0.0.1 TCP_MISS/200 1 GET https://claude.ai/ x HIER_DIRECT/1.1.1.1 -",
    "1_772_409_600.5 5 10.0.0.1 TCP_MISS/200 1 GET https://claude.ai/ x HIER_DIRECT/1.1.1.1 -",
    f"#{TS} 5 10.0.0.1 TCP_MISS/200 1 GET https://claude.ai/ x HIER_DIRECT/1.1.1.1 -",
    f"  {TS} 5 10.0.0.1 TCP_MISS/200 1 GET https://claude.ai/ x HIER_DIRECT/1.1.1.1 -",
    f"{TS} 5 10.0.0.1 TCP_MISS/200 1 GET https://claude.ai/ x HIER_DIRECT/1.1.1.1 - extra trailing fields",
    f"{TS} 5 10.0.0.1 TCP_MISS/200 1 GET https://claude.ai/ x\x1cy HIER_DIRECT/1.1.1.1 -",  # str.split() splits
    f"{TS} 5 10.0.0.1 TCP_MISS/200 1 GET https://claude.ai/ x\u00a0y HIER_DIRECT/1.1.1.1 -",
    "\x00\x01\x02 \udcff binary \ufffd\ufffd garbage",
    f"{TS} 5 10.0.0.1 TCP_MISS/200 1 GET https://claude.ai/ x HIER_DIRECT/1.1.1.1 -\r",
    f"{TS} 5 10.0.0.1 TCP_MISS/200 1 GET https://",  # truncated last line
    f"{TS} 5 10.0.0.1 TCP_MISS/200 12\r34 GET https://claude.ai/ x HIER_DIRECT/1.1.1.1 -",  # torn by a bare \r
    f"{TS} 5 10.0.0.1 TCP_MISS/200 12 34 https://claude.ai/ x HIER_DIRECT/1.1.1.1 -",  # a number as the method
]


def classify(host: str, url: str | None) -> int:
    """A stand-in catalog: a deterministic code from the host, 0 (not of interest) for about a third of them."""
    return sum(map(ord, host)) % 3


def _regular(lines: Sequence[str]) -> tuple[list[MatchedBlock], ParseStats]:
    stats = ParseStats()
    return list(scan_records(map(fast_record, parse_lines(SquidParser(), lines, stats)), classify)), stats


def _fused(lines: Sequence[str], block: int) -> tuple[list[MatchedBlock], ParseStats]:
    stats = ParseStats()
    blocks = [lines[i : i + block] for i in range(0, len(lines), block)]
    return list(SquidParser().scan_matched(blocks, stats, classify)), stats


def _flat(blocks: list[MatchedBlock]) -> tuple[int, tuple[Any, ...], list[tuple[Any, ...]]]:
    """Records, time span and the matched records (in order) of a scan, whatever its cut into blocks."""
    records = sum(b.records for b in blocks)
    firsts = [b.first for b in blocks if b.first is not None]
    lasts = [b.last for b in blocks if b.last is not None]
    matched: list[tuple[Any, ...]] = []
    for b in blocks:
        ups = b.upload if b.upload is not None else [None] * len(b.codes)
        downs = b.download if b.download is not None else [None] * len(b.codes)
        matched.extend(zip(b.codes, b.times, b.users, b.src_ips, ups, downs, strict=True))
    # times as the datetimes the events carry (a record's float rounds to the event's microsecond)
    span = (min(firsts) if firsts else None, max(lasts) if lasts else None)
    span_dt = tuple(datetime.fromtimestamp(t, UTC) if t is not None else None for t in span)
    return records, span_dt, [(c, datetime.fromtimestamp(t, UTC), *rest) for c, t, *rest in matched]


def _assert_same(lines: Sequence[str], block: int) -> tuple[list[MatchedBlock], ParseStats]:
    fused, fused_stats = _fused(lines, block)
    regular, regular_stats = _regular(lines)
    assert _flat(fused) == _flat(regular)
    assert fused_stats == regular_stats  # counters and malformed samples, line numbers included
    return fused, fused_stats


def _valid_line(rng: random.Random, i: int) -> str:
    target = rng.choice(
        [
            "CONNECT chatgpt.com:443",
            "CONNECT claude.ai:443",
            "POST https://chat.deepseek.com/api/v0/file/upload_file",
            "GET http://www.example.org/index.html",
            "CONNECT host7.example.net:443",
        ]
    )
    user = rng.choice(["-", "CORP\\jdoe", "asmith@corp.example", "bob"])
    return (
        f"{1772409600 + i * 37.3:.3f} {rng.randint(1, 999)} 10.0.{i % 5}.{i % 7} TCP_MISS/200 {rng.randint(0, 9000)} "
        f"{target} {user} HIER_DIRECT/203.0.113.9 text/html"
    )


@pytest.mark.parametrize("block", [1, 3, 1000])
def test_the_line_tables_give_the_same_records_counts_and_samples(block: int) -> None:
    # given every edge case, each line also followed by a good one (so runs mix good and bad lines)
    lines = [x for line in LINES + EDGE_LINES for x in (line, LINES[1])]
    # when / then
    _, stats = _assert_same(lines, block)
    assert stats.records_malformed > 20 and stats.records_skipped > 0


@pytest.mark.parametrize("bad_at", [0, 1023, 1024, 1025, 2047, 2999])
@pytest.mark.parametrize("block", [997, 8192])
def test_a_bad_line_anywhere_in_a_long_stream_keeps_its_line_number(bad_at: int, block: int) -> None:
    # given 3000 good lines with one malformed line and one comment placed around the fused loop's run boundaries
    rng = random.Random(bad_at)
    lines = [_valid_line(rng, i) for i in range(3000)]
    lines[bad_at] = "1772409600.000 x 10.0.0.1 TCP_MISS/200 1 GET https://claude.ai/ x HIER_DIRECT/1.1.1.1 -"
    lines[(bad_at + 500) % 3000] = "# a comment"
    # when
    _, stats = _assert_same(lines, block)
    # then the sample carries the 1-based line number of the bad line
    assert [s["line"] for s in stats.malformed_samples] == [bad_at + 1]
    assert stats.records_skipped == 1


def test_a_clean_stream_is_read_on_columns_without_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    # given well-formed lines, and parse() and the per-line path made to fail if called
    rng = random.Random(7)
    lines = [_valid_line(rng, i) for i in range(2500)]

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the fused scan fell back to the per-line path")

    monkeypatch.setattr(SquidParser, "parse", refuse)
    monkeypatch.setattr(SquidParser, "_fast", refuse)
    stats = ParseStats()
    # when
    blocks = list(SquidParser().scan_matched([lines], stats, classify))
    # then every line was counted, and the matched ones come with their fields
    assert stats.records_read == stats.records_parsed == 2500
    assert sum(b.records for b in blocks) == 2500
    assert 0 < sum(len(b.codes) for b in blocks) < 2500
    assert all(b.upload is None and b.download is not None for b in blocks)


@pytest.mark.parametrize("sample", SQUID_SAMPLES, ids=lambda p: p.parent.parent.name + "/" + p.name)
def test_the_squid_samples_give_the_same_results(sample: Path) -> None:
    if not sample.exists():
        pytest.skip(f"{sample} is missing")
    lines = sample.read_text(encoding="utf-8").split("\n")
    fused, stats = _assert_same(lines * 3, 4)
    assert stats.records_parsed > 0 and sum(len(b.codes) for b in fused) > 0


LINE_PARTS = st.sampled_from(
    [
        TS,
        "1772409600",
        "nan",
        "1e300",
        "-",
        "12",
        "\u0663",
        "x1",
        "TCP_MISS/200",
        "TCP_MISS/",
        "NONE",
        "A/2/3",
        "CONNECT",
        "GET",
        "chatgpt.com:443",
        "[2001:db8::1]:443",
        "https://claude.ai/x",
        "HTTP://Chat.DeepSeek.com./api/v0/file/upload_file",
        "error:invalid-request",
        "/relative",
        "user@host:1",
        "J\u00fcrgen",
        "HIER_DIRECT/1.2.3.4",
        "#",
        "",
        "\x1c",
        "\ufffd",
    ]
)


#: good lines, good lines with one field replaced by a tricky value, and token soup
MIXED_LINES = (
    st.integers(0, 10_000).map(lambda i: _valid_line(random.Random(i), i)),
    st.lists(LINE_PARTS, min_size=0, max_size=13).map(" ".join),
    st.tuples(st.integers(0, 10_000), st.integers(0, 9), LINE_PARTS).map(
        lambda t: " ".join(
            t[2] if n == t[1] else part for n, part in enumerate(_valid_line(random.Random(t[0]), t[0]).split())
        )
    ),
)


@hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(st.one_of(*MIXED_LINES), max_size=60), block=st.integers(1, 70))
def test_property_mixed_valid_and_invalid_lines_give_the_same_results(lines: list[str], block: int) -> None:
    # given any mix of good lines, lines with one field replaced by a tricky value, and token soup
    # when / then
    _assert_same(lines, block)


# --- through the ingestion engine and the services ---------------------------------------------------------------


def _mixed_log(lines: int = 4000) -> str:
    rng = random.Random(3)
    out = [_valid_line(rng, i) for i in range(lines)]
    for at in range(0, lines, 397):
        out[at] = rng.choice(EDGE_LINES + LINES)
    return "\n".join(out) + "\n"


def _regular_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make Squid native go record by record through parse() (the path every other format takes)."""
    monkeypatch.setattr(SquidParser, "scan_matched", LogParser.scan_matched)
    monkeypatch.setattr(SquidParser, "iter_fast", LogParser.iter_fast)


@pytest.mark.django_db
def test_aggregates_of_the_fused_scan_equal_those_of_the_regular_path(catalog: None) -> None:
    # given a mixed stream with real catalog hosts, users resolved through the identity map
    lines = _mixed_log().split("\n")
    source = SimpleNamespace(identity_map=identity_map(), strip_domain=True, lowercase_users=True)
    snapshot = catalog_snapshot()
    fused, regular = ChunkResult(), ChunkResult()
    # when
    aggregator = _Aggregator(fused, source=source, snapshot=snapshot)
    aggregator.add_all(SquidParser().scan_matched([lines], ParseStats(), aggregator.classify))
    aggregator.finish()
    _aggregate(
        map(fast_record, parse_lines(SquidParser(), lines, ParseStats())), regular, source=source, snapshot=snapshot
    )
    # then
    assert fused.usage == regular.usage and len(fused.usage) > 10
    assert (fused.first_seen, fused.last_seen) == (regular.first_seen, regular.last_seen)
    assert (fused.records_matched, fused.records_unmatched) == (regular.records_matched, regular.records_unmatched)
    assert set(fused.identities) == set(regular.identities)


def _ingest(source: LogSource, text: str) -> LogBatch:
    outcome = log_batch_ingest(source=source, fileobj=io.BytesIO(text.encode()), name="access.log", synchronous=True)
    if outcome.awaiting_confirmation:  # the same file under a second source: counted once confirmed
        return log_batch_confirm(batch=outcome.batch, actor=None, reason="compare the two paths", synchronous=True)
    return outcome.batch


def _usage(batch: LogBatch) -> list[tuple[Any, ...]]:
    fields = ("service__slug", "subject", "subject_kind", "department", "day", "requests", "upload_requests")
    more = ("bytes_up", "bytes_down", "max_request_bytes", "first_seen", "last_seen", "policy_status")
    rows = UsageRecord.objects.filter(batch=batch).values_list(*fields, *more, "chunk__index")
    return sorted(rows)


@pytest.mark.django_db
@pytest.mark.parametrize("chunk_bytes", [700, 64 * 1024 * 1024])
def test_ingesting_a_file_gives_the_same_batch_either_way(
    catalog: None, monkeypatch: pytest.MonkeyPatch, settings: Any, chunk_bytes: int
) -> None:
    # given one file ingested by two sources, in many chunks or in one (read as a line stream)
    settings.DISCOVERY_CHUNK_BYTES = chunk_bytes
    text = _mixed_log(3000)
    fast_source = LogSourceFactory(name="fused", log_format="squid", identity_map=identity_map())
    slow_source = LogSourceFactory(name="regular", log_format="squid", identity_map=identity_map())
    # when
    fused = _ingest(fast_source, text)
    with monkeypatch.context() as patch:
        _regular_path(patch)
        regular = _ingest(slow_source, text)
    # then the counts, the time span, the samples with their file line numbers and the usage rows are the same
    counts = ("records_read", "records_parsed", "records_malformed", "records_skipped", "records_matched")
    for name in (*counts, "records_unmatched", "first_seen", "last_seen", "malformed_samples", "chunks_total"):
        assert getattr(fused, name) == getattr(regular, name), name
    assert fused.status == regular.status == BatchStatus.DONE
    assert fused.records_malformed > 0 and fused.records_matched > 0
    assert _usage(fused) == _usage(regular) and _usage(fused)
    assert (fused.chunks_total > 1) == (chunk_bytes == 700)


# --- commit helpers ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
        datetime(2026, 3, 1, 12, 0, 0, 1, tzinfo=UTC),
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime.fromtimestamp(1772409600.123456, UTC),
    ],
)
def test_the_datetime_adapter_stores_what_the_backend_would(value: datetime) -> None:
    assert datetime_adapter()(value) == connection.ops.adapt_datetimefield_value(value)


def test_pseudonym_and_token_are_those_of_the_plain_functions(settings: Any) -> None:
    # given
    pseudonym, token = pseudonymise_with_token("user:j\u00fcrgen")
    # then the cached pair is the pseudonym and a token that decrypts to the identity, and stays the same pair
    assert pseudonym == pseudonymise("user:j\u00fcrgen")
    assert decrypt_identity(token, version=key_version()) == "user:j\u00fcrgen"
    assert pseudonymise_with_token("user:j\u00fcrgen") == (pseudonym, token)
    # when the key changes, so does the pair
    settings.DISCOVERY_PSEUDONYM_KEYS = "1:" + "another-key-" * 4
    assert pseudonymise_with_token("user:j\u00fcrgen")[0] == pseudonymise("user:j\u00fcrgen") != pseudonym


@pytest.mark.django_db
def test_a_second_file_with_the_same_users_keeps_their_pseudonym_rows(source: LogSource) -> None:
    # given two files with the same users (the second one's pseudonym inserts all conflict)
    rng = random.Random(5)
    first = _ingest(source, "\n".join(_valid_line(rng, i) for i in range(300)) + "\n")
    second = _ingest(source, "\n".join(_valid_line(rng, i) for i in range(300, 600)) + "\n")
    # then both batches completed and every subject of their usage has exactly one pseudonym row
    assert first.status == second.status == BatchStatus.DONE
    subjects = set(UsageRecord.objects.values_list("subject", flat=True))
    assert subjects and Pseudonym.objects.filter(pseudonym__in=subjects).count() == len(subjects)


@pytest.mark.django_db
def test_usage_rows_read_back_as_written_by_the_bulk_insert(source: LogSource) -> None:
    # given a chunk, and rows with awkward values (tabs, backslashes, quotes, non-ASCII, NULL, big numbers, the
    # first and last microsecond a datetime can hold) for the bulk insert (COPY on PostgreSQL, executemany on SQLite)
    batch = _ingest(source, _valid_line(random.Random(1), 1) + "\n")
    chunk = batch.chunks.get()
    service = AIService.objects.first()
    assert service is not None
    departments = ["R&D\tLab", "back\\slash \\N", "quote ' \" ,;", "\u00c9quipe \u2603", ""]
    times = [
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime.fromtimestamp(1772409600.123456, UTC),
    ]
    snapshot = catalog_snapshot()
    result = ChunkResult()
    for i, department in enumerate(departments):
        key = (f"s{i}", "user", department, service.slug, date(2026, 3, 1 + i))
        first, last = times[i % 3], times[(i + 1) % 3]
        result.usage[key] = [i, 0, 2**62 + i, 0, first, last, "tolerated", None if i % 2 else 2**40]
    rows = [
        (
            *(chunk.pk, batch.pk, service.pk, f"s{i}", "user", key_version(), department, date(2026, 3, 1 + i)),
            *(i, 0, 2**62 + i, 0, None if i % 2 else 2**40, times[i % 3], times[(i + 1) % 3], "tolerated"),
        )
        for i, department in enumerate(departments)
    ]
    # when the rows are built and adapted as a parse builds them (possibly on a helper thread), and inserted
    with transaction.atomic():
        rows_insert(UsageRecord, _USAGE_COLUMNS, _usage_rows(chunk, result, snapshot, _Adapters.current()))
    # then
    columns = ("chunk", "batch", "service", "subject", "subject_kind", "key_version", "department", "day")
    more = ("requests", "upload_requests", "bytes_up", "bytes_down", "max_request_bytes", "first_seen", "last_seen")
    stored = UsageRecord.objects.filter(subject__startswith="s", chunk=chunk).order_by("subject")
    assert list(stored.values_list(*columns, *more, "policy_status")) == rows
