"""Corrupt and truncated captures (issue 12, item 9): what the reader makes of them, and what a batch shows.

The captures are built here (classic pcap and pcapng, both by hand) and then cut or spoiled: a record
header cut by the end of the file, a packet cut, garbage after the file header, a bad magic after a valid start.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path
from typing import Any

import pytest

from discovery.choices import BatchStatus
from discovery.models import LogBatch, LogChunk, LogSource
from discovery.parsers.base import EventKind
from discovery.parsers.pcap import CaptureError, CaptureStats, read_capture, read_names
from discovery.services import log_batch_ingest

from ._packets import DNS, DNSQR, IP, UDP, Ether, pcapng
from ._support import of_kind, read_all, write_pcap

NAMES = ["chatgpt.com", "claude.ai", "gemini.google.com"]
GARBAGE = bytes(range(7, 250))  # no 16-byte window of it makes a plausible record header or pcapng block


def _queries() -> list[bytes]:
    packets = []
    for index, name in enumerate(NAMES):
        packet = Ether() / IP(src="10.0.0.7", dst="10.0.0.53") / UDP(sport=40000 + index, dport=53)
        packets.append(bytes(packet / DNS(id=index, qd=DNSQR(qname=name))))
    return packets


def pcap_bytes(tmp_path: Path) -> bytes:
    return write_pcap(tmp_path / "q.pcap", _queries(), 1).read_bytes()


def pcapng_bytes(tmp_path: Path) -> bytes:
    return pcapng(_queries(), 1)


def _last_record(data: bytes, kind: str) -> int:
    """Offset of the last packet record (pcap) / block (pcapng) of a capture built by this module."""
    if kind == "pcap":
        pos, last = 24, 24
        while pos < len(data):
            last = pos
            pos += 16 + struct.unpack_from("<I", data, pos + 8)[0]
        return last
    pos = last = 0
    while pos < len(data):
        last = pos
        pos += struct.unpack_from("<I", data, pos + 4)[0]
    return last


def _file_header(data: bytes, kind: str) -> bytes:
    """The file header: pcap's 24 bytes; pcapng's section header and interface description blocks."""
    if kind == "pcap":
        return data[:24]
    shb = struct.unpack_from("<I", data, 4)[0]
    idb = struct.unpack_from("<I", data, shb + 4)[0]
    return data[: shb + idb]


BUILD = {"pcap": pcap_bytes, "pcapng": pcapng_bytes}

#: case -> (spoil the capture, names still read, words of the error)
CUT_AFTER_GOOD: dict[str, tuple[Any, list[str], str]] = {
    "cut inside the last record header": (lambda d, k: d[: _last_record(d, k) + 6], NAMES[:2], "truncated capture"),
    "cut inside the last packet": (lambda d, k: d[:-12], NAMES[:2], "cut by the end of the file"),
    "garbage after the last packet": (lambda d, k: d + GARBAGE, NAMES, "corrupt"),
    "garbage instead of the last packet": (lambda d, k: d[: _last_record(d, k)] + GARBAGE, NAMES[:2], "corrupt"),
}


@pytest.mark.parametrize("kind", BUILD)
@pytest.mark.parametrize("case", CUT_AFTER_GOOD)
def test_a_capture_spoiled_after_good_packets_keeps_them_and_notes_the_framing_error(
    kind: str, case: str, tmp_path: Path
) -> None:
    # given
    spoil, names, words = CUT_AFTER_GOOD[case]
    data = spoil(BUILD[kind](tmp_path), kind)

    # when
    events, stats = read_all(io.BytesIO(data))

    # then the packets before the damage are read, and the damage is noted and sampled
    assert [event.host for event in of_kind(events, EventKind.DNS)][: len(names)] == names
    assert stats.read_error is not None and words in stats.read_error
    assert any(sample["error"].startswith("capture framing: ") for sample in stats.malformed_samples)


@pytest.mark.parametrize("kind", BUILD)
def test_the_names_reader_sees_the_same_framing_error(kind: str, tmp_path: Path) -> None:
    # given
    data = BUILD[kind](tmp_path)[:-12]
    stats = CaptureStats()

    # when
    names = [name for _, _, _, name in read_names(io.BytesIO(data), stats)]

    # then
    assert names == NAMES[:2]
    assert stats.read_error is not None and "cut by the end of the file" in stats.read_error


@pytest.mark.parametrize("kind", BUILD)
def test_an_intact_capture_has_no_framing_error(kind: str, tmp_path: Path) -> None:
    # given / when
    events, stats = read_all(io.BytesIO(BUILD[kind](tmp_path)))

    # then
    assert [event.host for event in of_kind(events, EventKind.DNS)] == NAMES
    assert stats.read_error is None and stats.malformed_samples == []


@pytest.mark.parametrize("kind", BUILD)
def test_a_header_only_capture_is_empty_not_corrupt(kind: str, tmp_path: Path) -> None:
    # given
    data = _file_header(BUILD[kind](tmp_path), kind)

    # when
    events, stats = read_all(io.BytesIO(data))

    # then
    assert events == [] and stats.read_error is None


def _bad_section(data: bytes, kind: str) -> bytes:
    """A second capture whose magic is wrong appended after the good one: a new pcapng section header whose
    byte-order magic is spoiled; for pcap, a second file header with its magic spoiled."""
    if kind == "pcapng":
        header = bytearray(_file_header(data, kind))
        header[8:12] = b"\x00\x11\x22\x33"
        return data + bytes(header)
    return data + b"\x00\x11\x22\x33" + b"\xff" * 20


@pytest.mark.parametrize(("kind", "words"), [("pcapng", "corrupt section header block"), ("pcap", "corrupt record")])
def test_a_bad_magic_after_a_valid_start_is_a_framing_error(kind: str, words: str, tmp_path: Path) -> None:
    # given / when
    events, stats = read_all(io.BytesIO(_bad_section(BUILD[kind](tmp_path), kind)))

    # then
    assert [event.host for event in of_kind(events, EventKind.DNS)] == NAMES
    assert stats.read_error is not None and words in stats.read_error


#: case -> spoil: the capture's file header stays, nothing after it is a readable record
UNREADABLE: dict[str, Any] = {
    "garbage after the file header": lambda d, k: _file_header(d, k) + GARBAGE,
    "cut inside the first record header": lambda d, k: _file_header(d, k) + d[len(_file_header(d, k)) :][:5],
    "bad magic after a valid start": lambda d, k: _bad_section(_file_header(d, k), k),
}


@pytest.mark.parametrize("kind", BUILD)
@pytest.mark.parametrize("case", UNREADABLE)
def test_a_capture_with_no_readable_packet_is_an_error(kind: str, case: str, tmp_path: Path) -> None:
    # given
    data = UNREADABLE[case](BUILD[kind](tmp_path), kind)

    # when / then
    with pytest.raises(CaptureError, match="corrupt capture, no packet could be read"):
        list(read_capture(io.BytesIO(data), CaptureStats()))


def test_a_non_seekable_stream_reports_the_same_framing_error(tmp_path: Path) -> None:
    # given a pipe-like stream of a cut capture
    class Pipe(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            chunk = self.data.read(min(len(buffer), 7))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    for kind in BUILD:
        data = BUILD[kind](tmp_path)[:-12]

        # when
        events, stats = read_all(io.BufferedReader(Pipe(data)))

        # then
        assert [event.host for event in of_kind(events, EventKind.DNS)] == NAMES[:2]
        assert stats.read_error is not None


# -- through the service: the batch shows it ---------------------------------------------------------------------


def _ingest(data: bytes, name: str) -> LogBatch:
    sensor = LogSource.objects.create(name=f"tap {name}", log_format="")
    outcome = log_batch_ingest(source=sensor, fileobj=io.BytesIO(data), name=name, synchronous=True)
    batch: LogBatch = outcome.batch
    batch.refresh_from_db()
    return batch


@pytest.mark.parametrize("kind", BUILD)
def test_a_truncated_capture_ends_done_with_its_good_records_and_a_malformed_count(
    kind: str, tmp_path: Path, catalog: None
) -> None:
    # given a capture cut inside its last packet
    data = BUILD[kind](tmp_path)[:-12]

    # when
    batch = _ingest(data, f"cut.{kind}")

    # then the good packets count, the cut is one malformed record with a sample saying so
    assert batch.status == BatchStatus.DONE
    assert batch.log_format == "pcap"
    assert batch.records_read >= 2
    assert batch.records_malformed == 1
    assert any("truncated capture" in sample["error"] for sample in batch.malformed_samples)
    (chunk,) = LogChunk.objects.filter(batch=batch)
    assert chunk.records_malformed == 1 and chunk.malformed_samples


@pytest.mark.parametrize("kind", BUILD)
def test_an_intact_capture_ends_done_without_malformed_records(kind: str, tmp_path: Path, catalog: None) -> None:
    # given / when
    batch = _ingest(BUILD[kind](tmp_path), f"ok.{kind}")

    # then
    assert batch.status == BatchStatus.DONE
    assert batch.records_read >= len(NAMES) and batch.records_malformed == 0 and batch.malformed_samples == []


@pytest.mark.parametrize("kind", BUILD)
def test_a_capture_with_nothing_readable_ends_failed_with_a_clear_error(
    kind: str, tmp_path: Path, catalog: None
) -> None:
    # given a file header and then garbage
    data = _file_header(BUILD[kind](tmp_path), kind) + GARBAGE

    # when
    batch = _ingest(data, f"garbage.{kind}")

    # then
    assert batch.status == BatchStatus.FAILED
    assert batch.records_read == 0
    assert "CaptureError: corrupt capture, no packet could be read" in batch.error
    assert "corrupt" in LogChunk.objects.get(batch=batch).error
