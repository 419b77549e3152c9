"""Malformed lines through the real ingestion path (``log_batch_ingest``, chunked, on the test database; the
PostgreSQL run is the one that matters, its ``jsonb`` rejects NUL): a Squid log with one garbage line in every
``EVERY`` (NUL, bare ``\\r``, escape sequences, invalid UTF-8) over many chunks ends ``done`` with exact counts and
storable samples; and mutated fixture files of a few formats never fail a chunk."""

from __future__ import annotations

import io
import random
from typing import Any

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.exceptions import ValidationFailed
from discovery.choices import BatchStatus
from discovery.ingest import HEAD_BYTES
from discovery.models import LogBatch, LogChunk, UsageRecord
from discovery.parsers.base import ParseStats, parse_lines
from discovery.parsers.content import describe_binary
from discovery.parsers.registry import get_parser
from discovery.services import log_batch_ingest
from tests.discovery.factories import LogSourceFactory, ensure_catalog, identity_map
from tests.discovery.parsers.mutations import CORPORA, corpus_lines, mutated_file
from tests.discovery.perf.test_squid_fused_scan import _valid_line

EVERY = 25
#: garbage Squid native lines, each malformed whatever its neighbours: too few fields, or a bad time or size
GARBAGE = [
    b"\x00\x01\x02 garbage \x00 line",
    b"\x1b[31m red \x1b[0m\r carriage \r return",
    b"\xff\xfe\xfd invalid utf-8 \xc3",
    b"17724\x0009600.000 5 10.0.0.1 TCP_MISS/200 7 GET https://claude.ai/ x HIER_DIRECT/1.1.1.1 -",
    b"1772409600.000 5 10.0.0.1 TCP_MISS/200 7\xff GET https://claude.ai/ x HIER_DIRECT/1.1.1.1 -",
    b"1772409600.000 5 10.0.0.1 TCP_MISS/200 \x00 GET https://chatgpt.com/ x\r HIER_DIRECT/1.1.1.1 -",
]


def _squid_log(lines: int) -> tuple[bytes, list[int]]:
    """A Squid native log of good lines (catalog hosts among them) with a garbage line in every ``EVERY``, and the
    1-based numbers of the garbage lines."""
    rng = random.Random(5)
    out: list[bytes] = []
    bad: list[int] = []
    for i in range(lines):
        if i % EVERY == EVERY - 1:
            out.append(GARBAGE[len(bad) % len(GARBAGE)])
            bad.append(i + 1)
        else:
            out.append(_valid_line(rng, i).encode())
    return b"\n".join(out) + b"\n", bad


@pytest.mark.django_db
def test_a_squid_log_with_garbage_lines_over_many_chunks_ends_done_with_exact_counts(
    catalog: None, settings: Any
) -> None:
    # given a log of 1000 lines, 40 of them garbage, cut into chunks of about 8 KB
    settings.DISCOVERY_CHUNK_BYTES = 8 * 1024
    data, bad = _squid_log(1000)
    source = LogSourceFactory(name="garbage", log_format="squid", identity_map=identity_map())
    # when
    batch = log_batch_ingest(source=source, fileobj=io.BytesIO(data), name="access.log", synchronous=True).batch
    # then the batch is done, with every line counted once
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE, batch.error
    assert batch.chunks_total > 5
    assert batch.records_read == 1000
    assert batch.records_malformed == len(bad) == 40
    assert batch.records_parsed == 1000 - len(bad)
    assert batch.records_matched > 0 and UsageRecord.objects.filter(batch=batch).exists()
    # and every chunk stored the samples of its garbage lines, with file line numbers, NUL replaced
    chunks = list(LogChunk.objects.filter(batch=batch).order_by("index"))
    assert all(chunk.status == "done" for chunk in chunks)
    sampled = sorted(s["line"] for chunk in chunks for s in chunk.malformed_samples)
    assert sampled == bad
    samples = [s for chunk in chunks for s in chunk.malformed_samples]
    assert all("\x00" not in s["text"] and "\x00" not in s["error"] for s in samples)
    assert any("\ufffd" in s["text"] for s in samples)  # where a NUL or an invalid byte was
    assert {s["line"] for s in batch.malformed_samples} <= set(bad) and batch.malformed_samples


#: formats whose lines carry no header state across chunks, with a catalog host in their fixtures
_DB_FORMATS = ["squid", "squid_common", "suricata", "zscaler"]


@pytest.mark.django_db
@pytest.mark.parametrize("format_name", _DB_FORMATS)
@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_property_mutated_fixtures_ingest_without_a_failed_chunk(format_name: str, data: Any) -> None:
    # given a mutated fixture of the format (repeated, so that it spans a few small chunks); hypothesis' examples
    # share the test's database, and an earlier example's identical content under its own source would make this
    # upload a cross-source duplicate awaiting confirmation (content dedup): each example starts with no batches
    LogBatch.objects.all().delete()
    ensure_catalog()
    fixture, options = data.draw(st.sampled_from(CORPORA[format_name]))
    mutated = data.draw(mutated_file(corpus_lines(fixture) * 6, max_mutations=12))
    source = LogSourceFactory(log_format=format_name, format_options=dict(options))
    # when (the malformed-share gate off: this is about what ingestion counts, whatever the share)
    with override_settings(DISCOVERY_CHUNK_BYTES=1024, DISCOVERY_MALFORMED_MAX_SHARE=1):
        if describe_binary(mutated[:HEAD_BYTES]) is not None:
            # mutated into binary data: refused at the upload with what it looks like, nothing stored
            with pytest.raises(ValidationFailed, match="looks like"):
                log_batch_ingest(source=source, fileobj=io.BytesIO(mutated), name="fuzz.log", synchronous=True)
            assert not LogBatch.objects.exists()
            return
        outcome = log_batch_ingest(source=source, fileobj=io.BytesIO(mutated), name="fuzz.log", synchronous=True)
    # then no chunk failed, and the counts are those of the line-by-line parser over the decoded file
    batch = outcome.batch
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE, batch.error
    lines = mutated.removeprefix(b"\xef\xbb\xbf").decode("utf-8", "replace").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    stats = ParseStats()
    list(parse_lines(get_parser(format_name, options=options), lines, stats))
    assert (batch.records_read, batch.records_parsed, batch.records_malformed) == (
        stats.records_read,
        stats.records_parsed,
        stats.records_malformed,
    )
