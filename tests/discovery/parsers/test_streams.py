from __future__ import annotations

import gc
import gzip
import io
import itertools
import struct
import tracemalloc
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from discovery.parsers.base import LogParser, ParseStats, ProxyEvent, Visible, parse_lines
from discovery.parsers.squid import SquidParser
from discovery.parsers.streams import (
    ArchiveError,
    ArchiveLimitExceeded,
    StreamLimits,
    UnsafeArchiveEntry,
    check_entry_name,
    open_text_stream,
    peek_lines,
)
from tests.discovery.parsers.helpers import FIXTURES

SQUID = (FIXTURES / "plaso_squid_access.log").read_bytes()
IIS6 = (FIXTURES / "plaso_iis_iis6.log").read_bytes()
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


class NonSeekable(io.RawIOBase):
    """A pipe-like binary stream (no seek/tell), as from a socket or a streamed upload."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("payload", "expected_lines"),
    [
        (SQUID, 8),
        (gzip.compress(SQUID), 8),
        (gzip.compress(SQUID[:100]) + gzip.compress(SQUID[100:]), 8),  # multi-member gzip (concatenated rotations)
        (_zip({"logs/": b"", "logs/a.log": SQUID, "logs/b.log.gz": gzip.compress(IIS6)}), 8 + 16),
        (_zip({}), 0),
    ],
)
def test_open_text_stream_reads_plain_gzip_and_zip(tmp_path: Path, payload: bytes, expected_lines: int) -> None:
    # given
    path = tmp_path / "upload.bin"
    path.write_bytes(payload)
    # when
    with open_text_stream(path) as stream:
        lines = list(stream)
    # then
    assert len(lines) == expected_lines
    assert all("\n" not in line for line in lines)


def test_zip_stream_reports_the_entry_being_read() -> None:
    # given
    stream = open_text_stream(io.BytesIO(_zip({"a.log": SQUID, "b.log": IIS6})))
    # when
    first = next(stream)
    entry = stream.entry_name
    rest = list(stream)
    # then
    assert first.startswith("1677971734.079") and entry == "a.log"
    assert stream.entry_name == "b.log" and rest[-1].startswith("2015-10-16")
    assert stream.bytes_read == len(SQUID) + len(IIS6)


def test_non_seekable_gzip_streams_but_zip_needs_a_seekable_file() -> None:
    # given
    gz = NonSeekable(gzip.compress(SQUID))
    zipped = NonSeekable(_zip({"a.log": SQUID}))
    # when
    lines = list(open_text_stream(gz))  # type: ignore[arg-type]
    # then
    assert len(lines) == 8
    with pytest.raises(ArchiveError, match="must be seekable"):
        list(open_text_stream(zipped))  # type: ignore[arg-type]


def test_decoding_replaces_bad_utf8_drops_bom_and_crlf_and_truncates_long_lines() -> None:
    # given
    payload = b"\xef\xbb\xbfcaf\xc3\xa9\r\nbad \xff byte\n" + b"x" * 50 + b"\nlast"
    limits = StreamLimits(max_line_chars=20)
    # when
    lines = list(open_text_stream(io.BytesIO(payload), limits=limits))
    # then
    assert lines == ["café", "bad \ufffd byte", "x" * 20, "last"]


def test_an_overlong_line_spanning_chunks_is_truncated_once() -> None:
    # given
    payload = b"a" * 200_000 + b"\nnext\n"
    # when
    lines = list(open_text_stream(io.BytesIO(payload), limits=StreamLimits(max_line_chars=1000)))
    # then
    assert lines == ["a" * 1000, "next"]
    # and an over-long last line without newline is cut too
    assert list(open_text_stream(io.BytesIO(b"b" * 100_000), limits=StreamLimits(max_line_chars=10))) == ["b" * 10]


def test_gzip_bomb_is_stopped_while_streaming() -> None:
    # given: 64 MiB of newlines compresses to ~64 KiB
    bomb = gzip.compress(b"\n" * (64 * 1024 * 1024), compresslevel=9)
    limits = StreamLimits(max_uncompressed_bytes=1024 * 1024)
    stream = open_text_stream(io.BytesIO(bomb), limits=limits)
    # when / then
    with pytest.raises(ArchiveLimitExceeded, match="exceeds the limit of 1048576 bytes"):
        for _ in stream:
            pass
    assert stream.bytes_read <= limits.max_uncompressed_bytes + 64 * 1024


@pytest.mark.parametrize(
    ("entries", "limits", "message"),
    [
        ({f"{i}.log": b"x\n" for i in range(3)}, StreamLimits(max_entries=2), "3 entries, the limit is 2"),
        ({"big.log": b"\n" * 5000}, StreamLimits(max_uncompressed_bytes=4000), "declares 5000 uncompressed bytes"),
    ],
)
def test_zip_limits_on_entries_and_declared_size(entries: dict[str, bytes], limits: StreamLimits, message: str) -> None:
    # given
    stream = open_text_stream(io.BytesIO(_zip(entries)), limits=limits)
    # when / then
    with pytest.raises(ArchiveLimitExceeded, match=message):
        list(stream)


def test_zip_entry_lying_about_its_size_is_still_stopped() -> None:
    # given: the central directory claims 10 bytes for a 5000-byte entry (zipfile stops there; the CRC then fails)
    data = bytearray(_zip({"liar.log": b"\n" * 5000}))
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 10)
    limits = StreamLimits(max_uncompressed_bytes=1000)
    # when / then
    with pytest.raises(ArchiveError):
        list(open_text_stream(io.BytesIO(bytes(data)), limits=limits))


@pytest.mark.parametrize(
    "name", ["../evil.log", "logs/../../evil.log", "/etc/passwd", "C:\\evil.log", "\\\\srv\\x", "a\x00b", ""]
)
def test_unsafe_zip_entry_names_are_rejected(name: str) -> None:
    # given / when / then
    with pytest.raises(UnsafeArchiveEntry):
        check_entry_name(name)


def test_zip_with_a_traversal_entry_is_rejected_before_any_line() -> None:
    # given
    payload = _zip({"ok.log": SQUID, "../../etc/cron.d/evil": b"x\n"})
    # when / then
    with pytest.raises(UnsafeArchiveEntry, match="path traversal"):
        next(open_text_stream(io.BytesIO(payload)))


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (gzip.compress(SQUID)[:-30], "corrupt compressed input"),
        (b"PK\x03\x04" + b"\x00" * 100, "corrupt zip"),
        (_zip({"inner.zip": _zip({"a.log": SQUID})}), "nested zip"),
    ],
)
def test_corrupt_or_nested_archives_raise_archive_error(payload: bytes, message: str) -> None:
    # given / when / then
    with pytest.raises(ArchiveError, match=message):
        list(open_text_stream(io.BytesIO(payload)))


def test_encrypted_zip_entries_raise_archive_error() -> None:
    # given: set the "encrypted" flag bit in the local and central headers
    data = bytearray(_zip({"a.log": SQUID}))
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        position = data.find(signature) + offset
        struct.pack_into("<H", data, position, struct.unpack_from("<H", data, position)[0] | 0x1)
    # when / then
    with pytest.raises(ArchiveError, match="cannot open zip entry"):
        list(open_text_stream(io.BytesIO(bytes(data))))


def test_peek_lines_returns_the_head_without_consuming_it() -> None:
    # given
    source = iter(["a", "b", "c"])
    # when
    head, everything = peek_lines(source, 2)
    # then
    assert head == ["a", "b"] and list(everything) == ["a", "b", "c"]


def _squid_lines(count: int) -> Iterator[str]:
    template = (
        "1677971735.{ms:03d}    567 192.168.1.{n} TCP_MISS/200 5432 GET http://host{n}.example.com/p user{n} "
        "HIER_DIRECT/93.184.216.34 text/html\n"
    )
    for i in range(count):
        yield template.format(ms=i % 1000, n=i % 250)


class _HostOnly(LogParser):
    """The cheapest possible parser, so the 1e6-line test measures the pipeline, not per-line parsing cost."""

    name = "host_only"
    label = "test"
    visible = frozenset({Visible.HOST})

    def parse(self, line: str) -> ProxyEvent | None:
        return ProxyEvent(timestamp=EPOCH, host=line[:20])


@pytest.mark.slow
def test_one_million_lines_pass_through_parse_lines_in_constant_memory() -> None:
    # given
    stats = ParseStats()
    lines = (f"host{i:07d}.example.com\n" for i in range(1_000_000))
    gc.collect()
    tracemalloc.start()
    # when
    for _ in parse_lines(_HostOnly(), lines, stats):
        pass
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # then: nothing accumulates per line (a materialised list of 1e6 events would need hundreds of MB)
    assert stats.records_parsed == 1_000_000
    assert peak < 256 * 1024


def test_squid_parser_keeps_no_per_line_state() -> None:
    # given
    stats = ParseStats()
    gc.collect()
    tracemalloc.start()
    # when
    for _ in parse_lines(SquidParser(), _squid_lines(20_000), stats):
        pass
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # then
    assert stats.records_parsed == 20_000
    assert peak < 256 * 1024


def test_streaming_a_large_gzip_file_runs_in_constant_memory(tmp_path: Path) -> None:
    # given: ~7 MB of log text (over 100 read chunks) written in slices
    path = tmp_path / "big.log.gz"
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=1) as out:
        lines = _squid_lines(50_000)
        while block := "".join(itertools.islice(lines, 10_000)):
            out.write(block)
    gc.collect()
    tracemalloc.start()
    # when
    with open_text_stream(path) as stream:
        count = sum(1 for _ in parse_lines(SquidParser(), stream))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # then
    assert count == 50_000
    assert peak < 2 * 1024 * 1024
