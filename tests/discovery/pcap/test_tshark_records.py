"""The record walker reads every frame as tshark does (issue 18): same frames, bytes, times and link types.

Run on every sample capture (classic pcap and the committed pcapng), and on each of them rewritten here as pcapng
in the other layouts the reader handles (big-endian, nanosecond and 2^-n resolutions, a time stamp offset, blocks
to skip), so both the block readers and the test's pcapng writer are checked against an independent reader.
tshark is a peer: missing, these tests fail under ``CI=true`` (``.ci/run`` installs it) and skip elsewhere.
"""

from __future__ import annotations

import json
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from discovery.parsers.pcap import CaptureStats, _records

from ._packets import pcapng
from ._support import CAPTURES, capture, tshark

#: LINKTYPE_* (what the file says) -> Wireshark's frame.encap_type (WTAP_ENCAP_*) for the link types of the samples
ENCAP = {1: 1, 101: 7, 0: 15, 113: 25}

#: pcapng layouts the samples are rewritten in: keyword arguments of ``_packets.pcapng``
LAYOUTS: dict[str, dict[str, Any]] = {
    "big-endian, microseconds": {"endian": ">"},
    "little-endian, nanoseconds": {"tsresol": 9},
    "big-endian, 2^-24 s, time offset": {"endian": ">", "tsresol": 0x98, "tsoffset": 1_000_000_000},
    "blocks to skip": {"extra": [(4, b"\x00" * 4), (5, b"\x00" * 12), (0xBAD, b"\x00\x00\x7f\xfe")]},
}


#: the samples rewritten: every link type (raw IP, BSD loopback, two interfaces), the largest, the longest frames
REWRITTEN = [
    "dns_ech.pcap",
    "http_connect-with-header.pcap",
    "merged-quic-rawdns.pcapng",
    "plaso_test.pcap",
    "http_http-post-large.pcap",
]


def _ours(path: Path) -> list[tuple[int, float, bytes]]:
    stats = CaptureStats()
    with path.open("rb") as handle:
        records = list(_records(handle, stats))
    assert stats.read_error is None
    return records


def _tshark(path: Path) -> list[tuple[int, Decimal, bytes]]:
    """``(frame.encap_type, frame.time_epoch, frame bytes)`` of every packet, as tshark reads the file."""
    command = [tshark(), "-n", "-r", str(path), "-T", "json", "-x", "-j", "frame"]
    out = subprocess.run(command, check=True, capture_output=True, text=True, timeout=120).stdout
    frames = []
    for packet in json.loads(out):
        layers = packet["_source"]["layers"]
        frame = layers["frame"]
        if "frame.encap_type" not in frame:
            continue  # a custom block, which tshark lists as a frame without a packet
        raw = bytes.fromhex(layers["frame_raw"][0])
        frames.append((int(frame["frame.encap_type"]), Decimal(frame["frame.time_epoch"]), raw))
    return frames


def _assert_same(ours: list[tuple[int, float, bytes]], theirs: list[tuple[int, Decimal, bytes]]) -> None:
    assert len(ours) == len(theirs) > 0
    for number, ((linktype, ts, data), (encap, epoch, raw)) in enumerate(zip(ours, theirs, strict=True), 1):
        assert ENCAP[linktype] == encap, number
        assert data == raw[:65535], number  # a record keeps its first 65535 bytes
        # the reader's times are floats: at 1.7e9 s a double holds about 0.24 microsecond
        assert abs(Decimal(ts) - epoch) < Decimal("0.000001"), (number, ts, epoch)


@pytest.mark.parametrize("name", sorted(CAPTURES))
def test_sample_capture_records_match_tshark(name: str) -> None:
    # given a sample capture / when / then
    path = capture(name)
    _assert_same(_ours(path), _tshark(path))


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", REWRITTEN)
def test_samples_rewritten_as_pcapng_match_tshark(name: str, layout: str, tmp_path: Path) -> None:
    # given a sample's records written as pcapng in this layout (one interface per link type)
    records = _ours(capture(name))
    linktypes = sorted({linktype for linktype, _, _ in records})
    data = pcapng(
        [frame for _, _, frame in records],
        times=[ts for _, ts, _ in records],
        interfaces=linktypes,
        interface_of=[linktypes.index(linktype) for linktype, _, _ in records],
        **LAYOUTS[layout],
    )
    path = tmp_path / "rewritten.pcapng"
    path.write_bytes(data)

    # when
    ours, theirs = _ours(path), _tshark(path)

    # then both read the same frames, and the same as in the sample
    _assert_same(ours, theirs)
    assert [(linktype, frame) for linktype, _, frame in ours] == [(linktype, frame) for linktype, _, frame in records]
