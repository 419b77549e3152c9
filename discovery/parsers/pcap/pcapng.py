"""pcapng block reader: the packet records of a pcapng file, read in large blocks with ``struct``.

Implements the framing of the PCAP Next Generation format (draft-ietf-opsawg-pcapng, "pcapng" below): a file is a
sequence of blocks, each ``block type | block total length | body | block total length`` (section 3.1), in the
byte order set by the Section Header Block that opens each section (section 4.1). What is read:

* **Section Header Block** (``0x0A0D0D0A``), in either byte order; major version 1. A new section starts a new
  list of interfaces (section 4.1: interface ids are per section).
* **Interface Description Block** (1): link type, snap length, the ``if_tsresol`` option (9; a power of 10, or of
  2 when its top bit is set; default microseconds) and ``if_tsoffset`` (14; seconds added to every time stamp).
* **Enhanced Packet Block** (6), **Simple Packet Block** (3; interface 0, no time stamp: it keeps the time of the
  record before it, as the caller did with scapy's reader), and the obsolete **Packet Block** (2).
* Every other block (name resolution, interface statistics, decryption secrets, custom blocks...) is skipped.

A packet block naming an interface the section has not described is skipped (its packet has no link type). A
record keeps at most its first :data:`MAX_KEPT` bytes, like the classic pcap walker. Damage (a block cut by the
end of the file, an impossible length, leading and trailing lengths that differ, a section header with a bad
byte-order magic or version, a packet block too short for its fixed fields) raises :class:`PcapngFraming` where it
is met: the records before it have been given, nothing after it can be trusted.

Pure Python, no Django imports, no third-party library (scapy, GPL-2.0-only, was used here before: see the
README's Licence section).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

__all__ = ["MAX_BLOCK", "MAX_KEPT", "PcapngError", "PcapngFraming", "read_pcapng"]

SHB = 0x0A0D0D0A
IDB = 1
PACKET_OBSOLETE = 2
SPB = 3
EPB = 6
#: byte-order magic of the Section Header Block, as read in each order
_BYTE_ORDER = {b"\x1a\x2b\x3c\x4d": ">", b"\x4d\x3c\x2b\x1a": "<"}
#: option codes (section 3.5; IDB options section 4.2)
_OPT_END = 0
_OPT_TSRESOL = 9
_OPT_TSOFFSET = 14
#: a record keeps its first 65535 bytes (what scapy's raw readers kept, and the classic pcap walker keeps)
MAX_KEPT = 0xFFFF
#: the largest block read (a packet block holds at most 256 KiB of packet; name resolution and custom blocks are
#: larger only in odd files): a larger block length is corrupt
MAX_BLOCK = 16 << 20
#: what is read from the file at a time
_READ = 4 << 20
_DEFAULT_TSRESOL = 10**6


class PcapngError(ValueError):
    """The file does not start with a readable Section Header Block: it is no pcapng capture."""


class PcapngFraming(ValueError):
    """A block that cannot be read: the end of the readable records."""


@dataclass(frozen=True, slots=True)
class Interface:
    """An Interface Description Block: what the packet blocks naming it were captured with."""

    linktype: int
    snaplen: int
    tsresol: int = _DEFAULT_TSRESOL
    tsoffset: int = 0


def read_options(options: bytes, endian: str) -> dict[int, bytes]:
    """The options of a block body (section 3.5) as ``{code: value}``; a repeated code keeps its last value.
    Options stop at ``opt_endofopt`` or at an option cut by the end of the body."""
    found: dict[int, bytes] = {}
    unpack = struct.Struct(endian + "HH").unpack_from
    pos, size = 0, len(options)
    while size - pos >= 4:
        code, length = unpack(options, pos)
        if code == _OPT_END:
            break
        start = pos + 4
        if start + length > size:
            break
        found[code] = options[start : start + length]
        pos = start + length + (-length % 4)
    return found


def interface(body: bytes, endian: str) -> Interface:
    """The interface an Interface Description Block body (section 4.2) describes. Raises :class:`struct.error`
    when the body is shorter than its fixed fields."""
    linktype, snaplen = struct.unpack_from(endian + "HxxI", body)
    options = read_options(body[8:], endian)
    tsresol = _DEFAULT_TSRESOL
    if len(raw := options.get(_OPT_TSRESOL, b"")) == 1:
        tsresol = (2 if raw[0] & 0x80 else 10) ** (raw[0] & 0x7F)
    tsoffset = 0
    if len(raw := options.get(_OPT_TSOFFSET, b"")) == 8:
        tsoffset = struct.unpack(endian + "q", raw)[0]
    return Interface(linktype, snaplen, tsresol, tsoffset)


class _Reader:
    """The block walker: a buffer of file bytes, the current byte order and interfaces."""

    def __init__(self, fh: IO[bytes], start: int) -> None:
        self.fh = fh
        self.buf = b""
        self.pos = 0
        self.offset = start  # file offset of buf[0]
        self.eof = False
        self.endian = "<"
        self.interfaces: list[Interface] = []

    def have(self, size: int) -> bool:
        """Whether ``size`` bytes from the current position are (now) in the buffer."""
        while len(self.buf) - self.pos < size:
            if self.eof:
                return False
            more = self.fh.read(max(_READ, size - (len(self.buf) - self.pos)))
            if not more:
                self.eof = True
                return False
            self.offset += self.pos
            self.buf, self.pos = self.buf[self.pos :] + more, 0
        return True

    def at(self) -> int:
        return self.offset + self.pos

    def section_header(self) -> None:
        """Read the Section Header Block at the current position (section 4.1): its byte-order magic sets the byte
        order of the section, and the section's interfaces start anew. Raises :class:`PcapngFraming`."""
        where = self.at()
        if not self.have(12):
            raise PcapngFraming(
                f"truncated capture: the file ends inside a section header block at byte {where} "
                f"({len(self.buf) - self.pos} of 28 bytes)"
            )
        endian = _BYTE_ORDER.get(self.buf[self.pos + 8 : self.pos + 12])
        if endian is None:
            raise PcapngFraming(f"corrupt section header block at byte {where} (bad byte-order magic)")
        (length,) = struct.unpack_from(endian + "I", self.buf, self.pos + 4)
        if length < 28 or length % 4 or length > MAX_BLOCK:
            raise PcapngFraming(f"corrupt section header block at byte {where} (impossible length {length})")
        if not self.have(length):
            raise PcapngFraming(
                f"truncated capture: a section header block at byte {where} is cut by the end of the file "
                f"({len(self.buf) - self.pos} of {length} bytes)"
            )
        buf, pos = self.buf, self.pos
        (major,) = struct.unpack_from(endian + "H", buf, pos + 12)
        if major != 1:
            raise PcapngFraming(f"corrupt section header block at byte {where} (version {major}, not 1)")
        if struct.unpack_from(endian + "I", buf, pos + length - 4)[0] != length:
            raise PcapngFraming(
                f"corrupt section header block at byte {where}: its trailing length differs from its leading "
                f"length {length}"
            )
        self.endian = endian
        self.interfaces = []
        self.pos += length

    def records(self) -> Iterator[tuple[int, float, bytes]]:
        """The packet records after the first section header, as ``(linktype, time, data)``."""
        ts = 0.0
        head = struct.Struct(self.endian + "II")
        tail = struct.Struct(self.endian + "I")
        while True:
            if not self.have(8):
                left = len(self.buf) - self.pos
                if left:
                    raise PcapngFraming(
                        f"truncated capture: the file ends inside a block header at byte {self.at()} "
                        f"({left} of 8 bytes)"
                    )
                return  # the clean end
            blocktype, length = head.unpack_from(self.buf, self.pos)
            if blocktype == SHB:
                self.section_header()
                head = struct.Struct(self.endian + "II")
                tail = struct.Struct(self.endian + "I")
                continue
            where = self.at()
            if length < 12 or length % 4 or length > MAX_BLOCK:
                raise PcapngFraming(
                    f"corrupt block header at byte {where}: block type {blocktype:#x}, impossible length {length}"
                )
            if not self.have(length):
                raise PcapngFraming(
                    f"truncated capture: a block at byte {where} is cut by the end of the file "
                    f"({len(self.buf) - self.pos} of {length} bytes)"
                )
            buf, pos = self.buf, self.pos
            if tail.unpack_from(buf, pos + length - 4)[0] != length:
                raise PcapngFraming(
                    f"corrupt block at byte {where}: its trailing length differs from its leading length {length}"
                )
            self.pos = pos + length
            if blocktype not in (EPB, SPB, IDB, PACKET_OBSOLETE):
                continue  # not a packet, and nothing packets depend on
            body = buf[pos + 8 : pos + length - 4]
            try:
                record = self.block(blocktype, body)
            except struct.error as exc:
                raise PcapngFraming(f"corrupt block at byte {where}: block type {blocktype:#x} cannot be read") from exc
            if record is None:
                continue
            linktype, stamp, data = record
            if stamp is not None:
                ts = stamp
            yield linktype, ts, data

    def block(self, blocktype: int, body: bytes) -> tuple[int, float | None, bytes] | None:
        """The record of a packet block body (``None`` for an interface description, or a packet of an interface
        not described); its time is ``None`` when the block has none (SPB). Raises :class:`struct.error` on a
        body shorter than its fixed fields."""
        endian = self.endian
        if blocktype == EPB:  # section 4.3: interface id, time stamp (high, low), captured and original length
            intid, high, low, caplen, _wirelen = struct.unpack_from(endian + "5I", body)
        elif blocktype == PACKET_OBSOLETE:  # appendix A: the same, with a 16-bit interface id and drops count
            intid, _drops, high, low, caplen, _wirelen = struct.unpack_from(endian + "HH4I", body)
        elif blocktype == SPB:  # section 4.4: interface 0; captured length = original length cut to the snap length
            (wirelen,) = struct.unpack_from(endian + "I", body)
            if not self.interfaces:
                return None
            first = self.interfaces[0]
            caplen = min(wirelen, first.snaplen) if first.snaplen else wirelen  # snap length 0: no limit
            return first.linktype, None, body[4 : 4 + min(caplen, MAX_KEPT)]
        else:  # IDB
            self.interfaces.append(interface(body, endian))
            return None
        if intid >= len(self.interfaces):
            return None
        described = self.interfaces[intid]
        stamp = ((high << 32) | low) / described.tsresol + described.tsoffset
        return described.linktype, stamp, body[20 : 20 + min(caplen, MAX_KEPT)]


def read_pcapng(fh: IO[bytes], start: int = 0) -> Iterator[tuple[int, float, bytes]]:
    """The packet records of the pcapng file ``fh`` as ``(linktype, time, data)``; ``start`` is the file offset
    ``fh`` is at (for the byte offsets of error messages).

    The first Section Header Block is read before this returns: :class:`PcapngError` if the file does not start
    with a readable one. Iterating raises :class:`PcapngFraming` at the first block that cannot be read.
    """
    reader = _Reader(fh, start)
    if not reader.have(4) or reader.buf[:4] != b"\x0a\x0d\x0d\x0a":
        raise PcapngError("no pcapng section header block")
    try:
        reader.section_header()
    except PcapngFraming as exc:
        raise PcapngError(f"the first section header block cannot be read: {exc}") from exc
    return reader.records()
