"""Content is looked at before a source's configured format is trusted (issue 17, "garbage accepted as a log"):
a capture given to a text format is read as a capture; a PDF, an image, an executable or another archive is
refused with what it looks like; a file whose first records are mostly malformed is refused with counts and the
first errors, and nothing of it is stored or counted. Compressed files get the same checks in the worker, where
the refusal fails the batch with the reason."""

from __future__ import annotations

import gzip
import io
import random
import struct
import tarfile
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from core.exceptions import ValidationFailed
from discovery.choices import BatchStatus
from discovery.models import LogBatch, LogSource, UsageRecord
from discovery.parsers.content import Probe, describe_binary, probe_lines
from discovery.parsers.registry import get_parser
from discovery.services import log_batch_ingest
from tests.discovery.perf.test_squid_fused_scan import _valid_line
from tests.discovery.test_api import post_upload

GOOD = _valid_line(random.Random(1), 0)


def _squid(good: int, bad: int) -> bytes:
    """``good`` valid Squid native lines and ``bad`` malformed ones, interleaved (bad ones first)."""
    rng = random.Random(7)
    lines = [f"garbage line {i} that is no squid record" for i in range(bad)]
    lines += [_valid_line(rng, i) for i in range(good)]
    return ("\n".join(lines) + "\n").encode()


def _tar() -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        data = b"1772409600.000 5 10.0.0.1 TCP_MISS/200 7 GET https://claude.ai/ - HIER_DIRECT/1.1.1.1 -\n"
        info = tarfile.TarInfo("access.log")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _pcap() -> bytes:
    """A classic pcap (little-endian, Ethernet) of one short frame: a capture whatever the frame holds."""
    frame = b"\x00" * 12 + b"\x08\x00" + b"\x45" + b"\x00" * 19
    header = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    return header + struct.pack("<IIII", 1_772_409_600, 0, len(frame), len(frame)) + frame


# --- the pure checks --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "a PDF document"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a PNG image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "a JPEG image"),
        (b"\x7fELF\x02\x01\x01\x00", "an ELF executable"),
        (b"MZ\x90\x00" + b"\x00" * 60 + b"This program cannot be run in DOS mode", "a Windows executable"),
        (b"7z\xbc\xaf\x27\x1c\x00\x04", "a 7-Zip archive"),
        (b"\xfd7zXZ\x00\x00\x04", "an xz archive"),
        (b"BZh91AY&SY", "a bzip2 archive"),
        (b"SQLite format 3\x00\x10\x00", "an SQLite database"),
        (_tar(), "a tar archive"),
    ],
)
def test_known_binary_files_are_named(head: bytes, expected: str) -> None:
    assert describe_binary(head) == expected


@pytest.mark.parametrize(
    "head",
    [
        GOOD.encode() + b"\n",
        "1772409600.000 5 10.0.0.1 TCP_MISS/200 7 GET https://claude.ai/ jürgen.müller HIER_DIRECT/1.1.1.1 -".encode(),
        b"\x1b[32mINFO\x1b[0m proxy started\r\n\tcontinued\x0c\n",  # colours, CRLF, tab and form feed are text
        b"MZ proxy node 3: started\n",  # "MZ" alone starts ordinary text
        b"BZh... no, a log line\n",
        b"",
    ],
)
def test_text_is_not_binary(head: bytes) -> None:
    assert describe_binary(head) is None


def test_random_compressed_and_nul_filled_bytes_are_binary_data_and_a_log_with_garbage_lines_is_text() -> None:
    for data in (random.Random(3).randbytes(4096), gzip.compress(random.Random(4).randbytes(9000))[10:], b"\0" * 900):
        assert (describe_binary(data) or "").startswith("binary data")
    assert describe_binary(b"\xff\xfea\x00b\x00") == "UTF-16 text (convert it to UTF-8)"
    # garbage lines in a log (NUL, escapes, invalid UTF-8, Latin-1 names) do not make it binary: they are counted
    # malformed, as ever
    garbage = b"\x00\x01\x02 garbage \x00 line\n\xff\xfe\xfd invalid utf-8 \xc3\n" + "m\xfcller\n".encode("latin-1")
    assert describe_binary((GOOD.encode() + b"\n") * 20 + garbage) is None


@pytest.mark.parametrize(
    ("good", "bad", "refused"),
    [(10, 0, False), (6, 4, False), (5, 5, False), (4, 6, True), (0, 3, True), (0, 0, False)],
)
def test_the_probe_refuses_above_the_share(good: int, bad: int, refused: bool) -> None:
    probe = probe_lines(get_parser("squid"), _squid(good, bad).decode().splitlines(), limit=10_000)
    assert (probe.parsed, probe.malformed) == (good, bad)
    assert probe.exceeds(0.5) is refused
    assert probe.exceeds(1.0) is False  # 1 turns the check off


def test_the_probe_reads_only_its_limit_and_skips_blanks_and_comments() -> None:
    lines = ["", "# a comment", *(["garbage"] * 5), *([GOOD] * 20)]
    probe = probe_lines(get_parser("squid"), lines, limit=7)
    assert probe.lines == 7 and probe.malformed == 5 and probe.parsed == 0
    assert probe.samples[0]["line"] == 3
    assert Probe(parsed=0, malformed=0).share == 0.0


# --- uploads (plain files): refused before anything is stored ---------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "looks_like"),
    [
        (b"%PDF-1.4\n" + random.Random(1).randbytes(2000), "a PDF document"),
        (_tar(), "a tar archive"),
        (random.Random(2).randbytes(5000), "binary data"),
    ],
)
def test_a_binary_file_given_to_a_text_format_is_refused_with_what_it_looks_like(
    source: LogSource, data: bytes, looks_like: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        log_batch_ingest(source=source, fileobj=io.BytesIO(data), name="report.pdf", synchronous=True)
    assert f"looks like {looks_like}" in caught.value.message
    assert "not a squid log" in caught.value.message
    assert caught.value.extra["file"] == [caught.value.message]
    assert not LogBatch.objects.exists()


@pytest.mark.django_db
def test_a_capture_given_to_a_text_format_is_read_as_a_capture(source: LogSource) -> None:
    outcome = log_batch_ingest(source=source, fileobj=io.BytesIO(_pcap()), name="trace.pcap", synchronous=True)
    batch = outcome.batch
    assert (batch.log_format, batch.is_capture) == ("pcap", True)
    assert batch.status == BatchStatus.DONE
    assert batch.records_malformed == 0  # not 86 of 87 "lines" malformed as Squid text


@pytest.mark.django_db
def test_a_mostly_malformed_log_is_refused_with_counts_and_first_errors(source: LogSource) -> None:
    with pytest.raises(ValidationFailed) as caught:
        log_batch_ingest(source=source, fileobj=io.BytesIO(_squid(40, 60)), name="other.log", synchronous=True)
    message = caught.value.message
    assert "60 of the first 100 records do not read as squid (60%, above the 50% threshold" in message
    assert "line 1:" in message and "nothing was counted" in message
    assert not LogBatch.objects.exists() and not UsageRecord.objects.exists()


@pytest.mark.django_db
def test_a_log_with_some_malformed_lines_is_counted_as_before(source: LogSource) -> None:
    batch = log_batch_ingest(source=source, fileobj=io.BytesIO(_squid(60, 40)), name="a.log", synchronous=True).batch
    assert batch.status == BatchStatus.DONE
    assert (batch.records_parsed, batch.records_malformed) == (60, 40)


@pytest.mark.django_db
def test_the_probe_looks_at_the_first_lines_only_and_the_threshold_is_a_setting(
    source: LogSource, settings: Any
) -> None:
    data = _squid(0, 30) + _squid(100, 0)  # 30 bad lines, then 100 good ones
    settings.DISCOVERY_MALFORMED_PROBE_LINES = 40  # 30 of 40: refused
    with pytest.raises(ValidationFailed):
        log_batch_ingest(source=source, fileobj=io.BytesIO(data), name="a.log", synchronous=True)
    settings.DISCOVERY_MALFORMED_PROBE_LINES = 10_000  # 30 of 130: counted
    batch = log_batch_ingest(source=source, fileobj=io.BytesIO(data), name="a.log", synchronous=True).batch
    assert (batch.status, batch.records_malformed) == (BatchStatus.DONE, 30)
    settings.DISCOVERY_MALFORMED_MAX_SHARE = 1.0  # off: even an all-garbage file is counted
    batch = log_batch_ingest(source=source, fileobj=io.BytesIO(_squid(0, 9)), name="b.log", synchronous=True).batch
    assert (batch.status, batch.records_malformed) == (BatchStatus.DONE, 9)


# --- compressed files: checked by the worker once decompressed; the batch fails with the reason --------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"%PDF-1.4\n" + random.Random(4).randbytes(3000), "the file looks like a PDF document, not a squid log"),
        (_squid(10, 90), "90 of the first 100 records do not read as squid"),
        (_pcap(), "the archive holds a packet capture"),
    ],
)
def test_a_compressed_file_is_checked_once_decompressed_and_its_batch_fails(
    source: LogSource, content: bytes, reason: str
) -> None:
    outcome = log_batch_ingest(
        source=source, fileobj=io.BytesIO(gzip.compress(content)), name="x.log.gz", synchronous=True
    )
    batch = outcome.batch
    assert batch.status == BatchStatus.FAILED
    assert reason in batch.error and "ContentRefused" in batch.error
    assert (batch.records_read, batch.records_parsed) == (0, 0)
    assert not UsageRecord.objects.filter(batch=batch).exists()


@pytest.mark.django_db
def test_a_compressed_good_log_is_still_counted(source: LogSource) -> None:
    data = gzip.compress(_squid(80, 20))
    batch = log_batch_ingest(source=source, fileobj=io.BytesIO(data), name="ok.log.gz", synchronous=True).batch
    assert batch.status == BatchStatus.DONE
    assert (batch.records_parsed, batch.records_malformed) == (80, 20)


# --- the user's entry points ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_ingest_logs_says_what_the_file_looks_like(source: LogSource, tmp_path: Any) -> None:
    path = tmp_path / "slides.pdf"
    path.write_bytes(b"%PDF-1.5\n" + random.Random(5).randbytes(1000))
    with pytest.raises(CommandError, match="looks like a PDF document"):
        call_command("ingest_logs", str(path), source=source.name)
    assert not LogBatch.objects.exists()


@pytest.mark.django_db
def test_the_upload_api_answers_400_with_what_the_file_looks_like(api: Any, source: LogSource, sam: Any) -> None:
    api.force_authenticate(sam)
    response = post_upload(api, source, b"%PDF-1.7\n" + random.Random(6).randbytes(800))
    assert response.status_code == 400
    body = response.json()
    assert "looks like a PDF document" in str(body)
    assert not LogBatch.objects.exists()
