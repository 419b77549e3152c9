"""The pcapng block reader (``discovery.parsers.pcap.pcapng``, issue 18): block by block, on files built here.

Byte orders, time stamp resolutions and offsets, packet block kinds, blocks to skip, sections, and every way a
block can be cut or spoiled; then the same files through ``read_capture``. The cross-check against tshark on the
sample captures is in ``test_tshark_records.py``.
"""

from __future__ import annotations

import gzip
import io
import struct
from typing import Any

import pytest

from discovery.parsers.base import EventKind
from discovery.parsers.pcap import CaptureError, CaptureStats, read_capture
from discovery.parsers.pcap.pcapng import MAX_KEPT, PcapngError, PcapngFraming, read_options, read_pcapng

from ._packets import DNS, DNSQR, IP, UDP, Ether, pcapng, pcapng_block
from ._support import of_kind, read_all, write_pcap


def _query(name: str, sport: int = 40000) -> bytes:
    return bytes(Ether() / IP(src="10.0.0.7", dst="10.0.0.53") / UDP(sport=sport, dport=53) / DNS(qd=DNSQR(qname=name)))


FRAMES = [_query("chatgpt.com"), _query("claude.ai", 40001), b"\x00" * 7]
TIMES = [1_700_000_000.25, 1_700_000_001.5, 1_700_000_002.75]


def _records(data: bytes) -> list[tuple[int, float, bytes]]:
    return list(read_pcapng(io.BytesIO(data)))


def _shb(endian: str = "<", *, major: int = 1, options: bytes = b"") -> bytes:
    return pcapng_block(0x0A0D0D0A, struct.pack(endian + "IHHq", 0x1A2B3C4D, major, 0, -1) + options, endian)


def _idb(linktype: int, endian: str = "<", *, snaplen: int = 65535, options: bytes = b"") -> bytes:
    return pcapng_block(1, struct.pack(endian + "HHI", linktype, 0, snaplen) + options, endian)


def _epb(intid: int, stamp: int, data: bytes, endian: str = "<") -> bytes:
    head = struct.pack(endian + "5I", intid, stamp >> 32, stamp & 0xFFFFFFFF, len(data), len(data))
    return pcapng_block(6, head + data, endian)


# -- what is read --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("endian", ["<", ">"], ids=["little-endian", "big-endian"])
def test_both_byte_orders_give_the_same_records(endian: str) -> None:
    # given the same packets in a pcapng of each byte order
    data = pcapng(FRAMES, 1, times=TIMES, endian=endian)

    # when / then
    assert _records(data) == [(1, ts, frame) for ts, frame in zip(TIMES, FRAMES, strict=True)]


#: if_tsresol option byte -> units per second (draft-ietf-opsawg-pcapng section 4.2: a power of 10, or of 2 with the
#: top bit set)
TSRESOL = {"microseconds (6)": (6, 10**6), "nanoseconds (9)": (9, 10**9), "milliseconds (3)": (3, 10**3),
           "2^-20 (0x94)": (0x94, 2**20), "seconds (0)": (0, 1)}  # fmt: skip


@pytest.mark.parametrize("case", TSRESOL)
@pytest.mark.parametrize("endian", ["<", ">"], ids=["little-endian", "big-endian"])
def test_time_stamps_follow_the_interface_resolution(case: str, endian: str) -> None:
    # given a packet at a known tick count of that resolution
    option, units = TSRESOL[case]
    ticks = 1_700_000_000 * units + units // 4
    resol = struct.pack(endian + "HH", 9, 1) + bytes([option, 0, 0, 0])
    data = _shb(endian) + _idb(1, endian, options=resol) + _epb(0, ticks, FRAMES[0], endian)

    # when
    ((_, ts, _),) = _records(data)

    # then
    assert ts == ticks / units
    assert ts == pytest.approx(1_700_000_000 + (units // 4) / units)


def test_time_stamp_offset_is_added() -> None:
    # given an interface whose time stamps count from an offset (if_tsoffset, option 14)
    data = pcapng(FRAMES[:1], 1, times=[1_700_000_000.5], tsoffset=1_600_000_000)

    # when / then: the stored stamp is 100,000,000.5 s; the offset brings it back
    assert _records(data)[0][1] == pytest.approx(1_700_000_000.5)
    assert _records(pcapng(FRAMES[:1], 1, times=[100_000_000.5]))[0][1] == pytest.approx(100_000_000.5)


def test_the_interface_of_each_packet_gives_its_link_type() -> None:
    # given a pcapng with an Ethernet and a raw-IP interface, packets alternating
    raw = bytes(IP(src="10.0.0.7", dst="10.0.0.53") / UDP() / DNS(qd=DNSQR(qname="x.example")))
    data = pcapng([FRAMES[0], raw, FRAMES[1]], interfaces=[1, 101], interface_of=[0, 1, 0], times=TIMES)

    # when / then
    assert [(linktype, frame) for linktype, _, frame in _records(data)] == [(1, FRAMES[0]), (101, raw), (1, FRAMES[1])]


#: blocks that hold no packet: name resolution (4), interface statistics (5), decryption secrets (10), systemd
#: journal (9), a custom block (0x00000BAD), an Apple process information block (0x80000001), an unknown type
SKIPPED_BLOCKS = [(4, b"\x00" * 4), (5, b"\x00" * 12), (10, b"TLSK\x00\x00\x00\x00"), (9, b"x" * 9), (0x1234, b""),
                  (0x00000BAD, b"\x00\x00\x7f\xfe custom"), (0x80000001, b"\x01\x00\x00\x00")]  # fmt: skip


def test_blocks_without_packets_are_skipped() -> None:
    # given every kind of non-packet block between the interface and the packets
    data = pcapng(FRAMES, 1, times=TIMES, extra=SKIPPED_BLOCKS)

    # when / then
    assert [frame for _, _, frame in _records(data)] == FRAMES


def test_simple_packet_blocks_use_interface_0_and_its_snap_length() -> None:
    # given an interface with a 40-byte snap length, an Enhanced Packet Block, then Simple Packet Blocks
    spb = pcapng_block(3, struct.pack("<I", len(FRAMES[0])) + FRAMES[0][:40])
    data = _shb() + _idb(1, snaplen=40) + _epb(0, 1_700_000_000_000_000, FRAMES[1][:40]) + spb + spb

    # when
    records = _records(data)

    # then the SPBs carry the first 40 bytes and, having no time stamp, the time of the record before
    assert records == [
        (1, 1_700_000_000.0, FRAMES[1][:40]),
        (1, 1_700_000_000.0, FRAMES[0][:40]),
        (1, 1_700_000_000.0, FRAMES[0][:40]),
    ]


def test_simple_packet_block_with_snap_length_0_is_not_cut() -> None:
    # given an interface with snap length 0 ("no limit")
    spb = pcapng_block(3, struct.pack("<I", len(FRAMES[0])) + FRAMES[0])

    # when / then
    assert _records(_shb() + _idb(1, snaplen=0) + spb) == [(1, 0.0, FRAMES[0])]


def test_obsolete_packet_block_is_read() -> None:
    # given a Packet Block (type 2, appendix A): 16-bit interface id and drops count
    stamp = 1_700_000_000_500_000
    body = struct.pack("<HH4I", 0, 0, stamp >> 32, stamp & 0xFFFFFFFF, len(FRAMES[0]), len(FRAMES[0])) + FRAMES[0]
    data = _shb() + _idb(1) + pcapng_block(2, body)

    # when / then
    assert _records(data) == [(1, 1_700_000_000.5, FRAMES[0])]


def test_packets_of_an_interface_not_described_are_skipped() -> None:
    # given a packet naming interface 3 of a section that describes one, and a Simple Packet Block before any IDB
    spb = pcapng_block(3, struct.pack("<I", len(FRAMES[0])) + FRAMES[0])
    data = _shb() + spb + _idb(1) + _epb(3, 10**6, FRAMES[0]) + _epb(0, 2 * 10**6, FRAMES[1])

    # when / then
    assert _records(data) == [(1, 2.0, FRAMES[1])]


def test_a_new_section_has_its_own_byte_order_and_interfaces() -> None:
    # given a little-endian section (Ethernet), then a big-endian one (raw IP), each with its interface 0
    raw = bytes(IP(src="10.0.0.7", dst="10.0.0.53") / UDP() / DNS(qd=DNSQR(qname="x.example")))
    first = pcapng(FRAMES[:1], 1, times=TIMES[:1], endian="<")
    second = pcapng([raw], 101, times=TIMES[1:2], endian=">", tsresol=9)

    # when / then
    assert _records(first + second) == [(1, TIMES[0], FRAMES[0]), (101, TIMES[1], raw)]


def test_a_record_keeps_its_first_65535_bytes() -> None:
    # given a 70,000-byte packet (larger than a record is kept)
    big = b"\x01" * 70_000

    # when
    ((_, _, frame),) = _records(pcapng([big], 1, snaplen=262_144))

    # then
    assert frame == big[:MAX_KEPT] and MAX_KEPT == 65535


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (b"", {}),
        (struct.pack("<HH", 9, 1) + b"\x09\x00\x00\x00" + struct.pack("<HH", 0, 0), {9: b"\x09"}),
        (struct.pack("<HH", 2, 3) + b"eth\x00" + struct.pack("<HH", 2, 4) + b"eth1", {2: b"eth1"}),  # the last wins
        (struct.pack("<HH", 0, 0) + struct.pack("<HH", 9, 1) + b"\x09\x00\x00\x00", {}),  # nothing after the end
        (struct.pack("<HH", 9, 8) + b"\x09", {}),  # an option cut by the end of the body
        (b"\x09\x00", {}),  # less than an option header
    ],
)
def test_block_options(options: bytes, expected: dict[int, bytes]) -> None:
    # given / when / then
    assert read_options(options, "<") == expected


# -- damage --------------------------------------------------------------------------------------------------------

GOOD = pcapng(FRAMES[:2], 1, times=TIMES[:2])
LAST = len(GOOD) - (12 + 20 + len(FRAMES[1]) + (-len(FRAMES[1]) % 4))  # offset of the last block


def _spoiled_length(length: int) -> bytes:
    data = bytearray(GOOD)
    struct.pack_into("<I", data, LAST + 4, length)
    return bytes(data)


def _short_epb() -> bytes:
    return GOOD + pcapng_block(6, b"\x00" * 8)


def _bad_trailer() -> bytes:
    data = bytearray(GOOD)
    struct.pack_into("<I", data, len(data) - 4, 8)
    return bytes(data)


#: case -> (the file, packets read before the damage, words of the error)
DAMAGE: dict[str, tuple[bytes, int, str]] = {
    "clean end": (GOOD, 2, ""),
    "only the section header": (_shb(), 0, ""),
    "cut inside a block header": (GOOD + b"\x06\x00\x00", 2, "the file ends inside a block header"),
    "cut after the block type": (GOOD + b"\x06\x00\x00\x00", 2, "the file ends inside a block header"),
    "cut inside a block body": (GOOD[:-9], 1, "is cut by the end of the file"),
    "cut before the trailing length": (GOOD[:-4], 1, "is cut by the end of the file"),
    "trailing length differs": (_bad_trailer(), 1, "trailing length differs"),
    "length below 12": (_spoiled_length(8), 1, "impossible length 8"),
    "length not a multiple of 4": (_spoiled_length(62), 1, "impossible length 62"),
    "length above 16 MiB": (_spoiled_length((16 << 20) + 4), 1, "impossible length"),
    "packet block too short": (_short_epb(), 2, "block type 0x6 cannot be read"),
    "interface block too short": (GOOD + pcapng_block(1, b"\x01\x00"), 2, "block type 0x1 cannot be read"),
    "section header with a bad byte-order magic": (
        GOOD + _shb()[:8] + b"\x00\x11\x22\x33" + _shb()[12:], 2, "corrupt section header block"),
    "section header of version 2": (GOOD + _shb(major=2), 2, "version 2, not 1"),
    "section header cut": (GOOD + _shb()[:20], 2, "section header block"),
}  # fmt: skip


@pytest.mark.parametrize("case", DAMAGE)
def test_damage_ends_the_records_after_the_good_ones(case: str) -> None:
    # given
    data, good, words = DAMAGE[case]
    records: list[Any] = []

    # when
    error = None
    try:
        for record in read_pcapng(io.BytesIO(data)):
            records.append(record)
    except PcapngFraming as exc:
        error = str(exc)

    # then
    assert len(records) == good
    if words:
        assert error is not None and words in error, error
        assert "at byte " in error
    else:
        assert error is None


@pytest.mark.parametrize(
    "data",
    [b"", b"\x0a\x0d\x0d\x0a\x1c\x00", _shb()[:8] + b"XXXX" + _shb()[12:], _shb(major=2), _shb()[:-4]],
    ids=["empty", "cut", "bad byte-order magic", "version 2", "no trailing length"],
)
def test_a_file_without_a_readable_first_section_header_is_no_pcapng(data: bytes) -> None:
    # given / when / then
    with pytest.raises(PcapngError):
        read_pcapng(io.BytesIO(data))


def test_error_offsets_count_from_the_start_of_the_file() -> None:
    # given a file cut inside its last block / when
    with pytest.raises(PcapngFraming, match=f"at byte {LAST} "):
        list(read_pcapng(io.BytesIO(GOOD[:-9])))


# -- through read_capture ------------------------------------------------------------------------------------------


def test_read_capture_notes_the_framing_error_with_its_frame() -> None:
    # given a pcapng cut inside its second packet
    data = GOOD[:-9]

    # when
    events, stats = read_all(io.BytesIO(data))

    # then the first query is read, the second is the framing error of frame 2
    assert [e.host for e in of_kind(events, EventKind.DNS)] == ["chatgpt.com"]
    assert stats.read_error is not None and "cut by the end of the file" in stats.read_error
    assert stats.malformed_samples[0]["frame"] == 2


@pytest.mark.parametrize("kind", ["pcap", "pcapng"])
def test_a_gzip_compressed_capture_is_read(kind: str, tmp_path: Any) -> None:
    # given a capture compressed with gzip
    plain = GOOD if kind == "pcapng" else write_pcap(tmp_path / "x.pcap", FRAMES[:2], 1).read_bytes()

    # when
    events, stats = read_all(io.BytesIO(gzip.compress(plain)))

    # then
    assert [e.host for e in of_kind(events, EventKind.DNS)] == ["chatgpt.com", "claude.ai"]
    assert stats.read_error is None


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "the file is empty"),
        (b"\xd4\xc3\xb2\xa1\x02\x00", "ends inside the file header"),
        (b"just text, not a capture", "unknown file header"),
        (b"\x0a\x0d\x0d\x0a\x1c\x00\x00\x00XXXX", "section header"),
        (b"\x1f\x8b\x08\x00 not really gzip data", "unreadable gzip data"),
    ],
)
def test_read_capture_says_why_a_file_is_no_capture(data: bytes, words: str) -> None:
    # given / when / then
    with pytest.raises(CaptureError, match=words):
        list(read_capture(io.BytesIO(data), CaptureStats()))
