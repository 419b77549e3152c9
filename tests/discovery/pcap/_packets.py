"""Packet and capture builders for the pcap reader tests and benchmarks: our own, ``struct`` only (issue 18).

Layers compose with ``/`` (outer / inner), and ``bytes(layer)`` builds the frame: every length, next-protocol field
and checksum left unset is filled in from what the layer carries, and every field set explicitly is written as is,
however wrong (that is how the malformed-frame tests spoil a frame). The layer names and their defaults are those
of the wire formats (Ethernet, 802.1Q/802.1ad, ARP, IPv4 (RFC 791), IPv6 (RFC 8200), TCP (RFC 9293), UDP (RFC 768),
DNS (RFC 1035), TLS ClientHello (RFC 8446)). They replace scapy, which is GPL-2.0-only (see the README's Licence
section), so that nothing in the repository imports it.

Also here: :func:`pcapng` writes a pcapng file block by block (any byte order, time stamp resolution, extra blocks),
and :func:`read_pcap` is a plain record-by-record classic pcap reader (the reference the block walker is checked
against, and how tests take frames out of the sample captures).
"""

from __future__ import annotations

import copy
import ipaddress
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "ARP",
    "DNS",
    "DNSQR",
    "DNSRR",
    "IP",
    "TCP",
    "UDP",
    "Dot1AD",
    "Dot1Q",
    "Ether",
    "IPv6",
    "IPv6ExtHdrFragment",
    "IPv6ExtHdrHopByHop",
    "Layer",
    "Raw",
    "client_hello",
    "pcapng",
    "pcapng_block",
    "read_pcap",
    "replace_payload",
    "transport_payload",
]


def _checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071) of ``data``."""
    if len(data) % 2:
        data += b"\x00"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _mac(text: str) -> bytes:
    return bytes.fromhex(text.replace(":", ""))


@dataclass
class Layer:
    """A protocol header and what it carries (another layer, or bytes)."""

    payload: Any = field(default=None, kw_only=True)  # Layer | bytes | None

    def __truediv__(self, inner: Layer | bytes) -> Layer:
        outer = copy.deepcopy(self)
        innermost = outer
        while isinstance(innermost.payload, Layer):
            innermost = innermost.payload
        if isinstance(innermost.payload, bytes) and isinstance(inner, bytes):
            innermost.payload += inner
        else:
            innermost.payload = copy.deepcopy(inner)
        return outer

    def __bytes__(self) -> bytes:
        return self.build(None)

    def inner_bytes(self, parent: Layer | None) -> bytes:
        """The bytes of what this layer carries (``parent``: this layer, for a pseudo-header)."""
        if isinstance(self.payload, Layer):
            return self.payload.build(parent)
        return bytes(self.payload or b"")

    def build(self, parent: Layer | None) -> bytes:
        raise NotImplementedError


@dataclass
class Raw(Layer):
    """Bytes as they are."""

    load: bytes = b""

    def build(self, parent: Layer | None) -> bytes:
        return self.load + self.inner_bytes(self)


def _ethertype(payload: object, default: int) -> int:
    return {IP: 0x0800, IPv6: 0x86DD, ARP: 0x0806, Dot1Q: 0x8100, Dot1AD: 0x88A8}.get(type(payload), default)


@dataclass
class Ether(Layer):
    """An Ethernet II header; ``type`` from the payload (0x9000 when it carries no known layer)."""

    dst: str = "ff:ff:ff:ff:ff:ff"
    src: str = "00:00:00:00:00:00"
    type: int | None = None

    def build(self, parent: Layer | None) -> bytes:
        kind = self.type if self.type is not None else _ethertype(self.payload, 0x9000)
        return _mac(self.dst) + _mac(self.src) + struct.pack("!H", kind) + self.inner_bytes(self)


@dataclass
class Dot1Q(Layer):
    """An 802.1Q VLAN tag (the four bytes after the Ethernet addresses, without the TPID the outer layer writes)."""

    vlan: int = 1
    prio: int = 0
    type: int | None = None

    def build(self, parent: Layer | None) -> bytes:
        kind = self.type if self.type is not None else _ethertype(self.payload, 0x0800)
        return struct.pack("!HH", self.prio << 13 | self.vlan, kind) + self.inner_bytes(self)


@dataclass
class Dot1AD(Dot1Q):
    """An 802.1ad (QinQ) service tag: the same layout, TPID 0x88a8."""


@dataclass
class ARP(Layer):
    """An ARP request for IPv4 over Ethernet (RFC 826)."""

    op: int = 1
    hwsrc: str = "00:00:00:00:00:00"
    psrc: str = "0.0.0.0"
    hwdst: str = "00:00:00:00:00:00"
    pdst: str = "0.0.0.0"

    def build(self, parent: Layer | None) -> bytes:
        head = struct.pack("!HHBBH", 1, 0x0800, 6, 4, self.op)
        addresses = _mac(self.hwsrc) + ipaddress.IPv4Address(self.psrc).packed
        addresses += _mac(self.hwdst) + ipaddress.IPv4Address(self.pdst).packed
        return head + addresses + self.inner_bytes(self)


def _protocol(payload: object, default: int) -> int:
    return {TCP: 6, UDP: 17, IPv6ExtHdrHopByHop: 0, IPv6ExtHdrFragment: 44}.get(type(payload), default)


@dataclass
class IP(Layer):
    """An IPv4 header; ``ihl``, ``len``, ``proto`` and ``chksum`` from the options and payload unless set.
    ``frag`` is the fragment offset in 8-byte units, ``flags`` the three flag bits (2: don't fragment)."""

    src: str = "127.0.0.1"
    dst: str = "127.0.0.1"
    proto: int | None = None
    ihl: int | None = None
    len: int | None = None
    tos: int = 0
    id: int = 1
    flags: int = 0
    frag: int = 0
    ttl: int = 64
    chksum: int | None = None
    options: Sequence[bytes] = ()

    def build(self, parent: Layer | None) -> bytes:
        options = b"".join(self.options)
        options += b"\x00" * (-len(options) % 4)
        inner = self.inner_bytes(self)
        ihl = self.ihl if self.ihl is not None else 5 + len(options) // 4
        total = self.len if self.len is not None else 20 + len(options) + len(inner)
        proto = self.proto if self.proto is not None else _protocol(self.payload, 0)
        head = struct.pack(
            "!BBHHHBBH4s4s",
            4 << 4 | ihl,
            self.tos,
            total,
            self.id,
            self.flags << 13 | self.frag,
            self.ttl,
            proto,
            0,
            ipaddress.IPv4Address(self.src).packed,
            ipaddress.IPv4Address(self.dst).packed,
        )
        head += options
        chksum = self.chksum if self.chksum is not None else _checksum(head)
        return head[:10] + struct.pack("!H", chksum) + head[12:] + inner

    def pseudo_header(self, proto: int, length: int) -> bytes:
        src, dst = ipaddress.IPv4Address(self.src).packed, ipaddress.IPv4Address(self.dst).packed
        return src + dst + struct.pack("!BBH", 0, proto, length)


@dataclass
class IPv6(Layer):
    """An IPv6 header; ``plen`` and ``nh`` from the payload unless set (59, no next header, for bytes)."""

    src: str = "::1"
    dst: str = "::1"
    nh: int | None = None
    plen: int | None = None
    hlim: int = 64
    tc: int = 0
    fl: int = 0

    def build(self, parent: Layer | None) -> bytes:
        inner = self.inner_bytes(self)
        nh = self.nh if self.nh is not None else _protocol(self.payload, 59)
        plen = self.plen if self.plen is not None else len(inner)
        head = struct.pack("!IHBB", 6 << 28 | self.tc << 20 | self.fl, plen, nh, self.hlim)
        return head + ipaddress.IPv6Address(self.src).packed + ipaddress.IPv6Address(self.dst).packed + inner

    def pseudo_header(self, proto: int, length: int) -> bytes:
        src, dst = ipaddress.IPv6Address(self.src).packed, ipaddress.IPv6Address(self.dst).packed
        return src + dst + struct.pack("!I3xB", length, proto)


@dataclass
class IPv6ExtHdrHopByHop(Layer):
    """An empty Hop-by-Hop Options header (RFC 8200 section 4.3): 8 bytes, a PadN option filling it."""

    nh: int | None = None

    def build(self, parent: Layer | None) -> bytes:
        nh = self.nh if self.nh is not None else _protocol(self.payload, 59)
        return struct.pack("!BB", nh, 0) + b"\x01\x04\x00\x00\x00\x00" + self.inner_bytes(parent)


@dataclass
class IPv6ExtHdrFragment(Layer):
    """A Fragment header (RFC 8200 section 4.5): ``offset`` in 8-byte units, ``m`` = more fragments."""

    nh: int | None = None
    offset: int = 0
    m: int = 0
    id: int = 0

    def build(self, parent: Layer | None) -> bytes:
        nh = self.nh if self.nh is not None else _protocol(self.payload, 59)
        return struct.pack("!BBHI", nh, 0, self.offset << 3 | self.m, self.id) + self.inner_bytes(parent)


_TCP_FLAGS = {"F": 0x01, "S": 0x02, "R": 0x04, "P": 0x08, "A": 0x10, "U": 0x20, "E": 0x40, "C": 0x80}


def _transport_checksum(parent: Layer | None, proto: int, segment: bytes) -> int:
    if not isinstance(parent, IP | IPv6):
        return 0
    return _checksum(parent.pseudo_header(proto, len(segment)) + segment)


@dataclass
class TCP(Layer):
    """A TCP header; ``flags`` as letters (``"S"``, ``"SA"``, ``"PA"``, ``"FA"``, ``"R"``); ``dataofs`` (in 32-bit
    words) from the options unless set; the checksum over the IP pseudo-header."""

    sport: int = 20
    dport: int = 80
    seq: int = 0
    ack: int = 0
    flags: str = "S"
    dataofs: int | None = None
    window: int = 8192
    urgptr: int = 0
    options: bytes = b""

    def build(self, parent: Layer | None) -> bytes:
        options = self.options + b"\x00" * (-len(self.options) % 4)
        dataofs = self.dataofs if self.dataofs is not None else 5 + len(options) // 4
        flags = sum(_TCP_FLAGS[letter] for letter in self.flags)
        head = struct.pack(
            "!HHIIBBHHH", self.sport, self.dport, self.seq, self.ack, dataofs << 4, flags, self.window, 0, self.urgptr
        )
        segment = head + options + self.inner_bytes(self)
        chksum = _transport_checksum(parent, 6, segment)
        return segment[:16] + struct.pack("!H", chksum) + segment[18:]


@dataclass
class UDP(Layer):
    """A UDP header; ``len`` from the payload unless set; the checksum over the IP pseudo-header."""

    sport: int = 53
    dport: int = 53
    len: int | None = None

    def build(self, parent: Layer | None) -> bytes:
        inner = self.inner_bytes(self)
        length = self.len if self.len is not None else 8 + len(inner)
        datagram = struct.pack("!HHHH", self.sport, self.dport, length, 0) + inner
        chksum = _transport_checksum(parent, 17, datagram) or 0xFFFF  # 0 would mean "no checksum"
        return datagram[:6] + struct.pack("!H", chksum) + datagram[8:]


_QTYPES = {"A": 1, "NS": 2, "CNAME": 5, "PTR": 12, "MX": 15, "TXT": 16, "AAAA": 28, "SRV": 33, "HTTPS": 65}


def _name(name: str | bytes) -> bytes:
    """A domain name in DNS wire format (RFC 1035 section 3.1), uncompressed."""
    text = name.decode() if isinstance(name, bytes) else name
    labels = [label.encode() for label in text.rstrip(".").split(".") if label]
    return b"".join(bytes([len(label)]) + label for label in labels) + b"\x00"


def _qtype(value: str | int) -> int:
    return _QTYPES[value] if isinstance(value, str) else value


@dataclass
class DNSQR(Layer):
    """A DNS question."""

    qname: str | bytes = "."
    qtype: str | int = "A"
    qclass: int = 1

    def build(self, parent: Layer | None) -> bytes:
        return _name(self.qname) + struct.pack("!HH", _qtype(self.qtype), self.qclass)


@dataclass
class DNSRR(Layer):
    """A DNS resource record; ``rdata`` an address for A / AAAA, else bytes."""

    rrname: str | bytes = "."
    type: str | int = "A"
    rclass: int = 1
    ttl: int = 0
    rdata: str | bytes = "0.0.0.0"

    def build(self, parent: Layer | None) -> bytes:
        rdata = self.rdata if isinstance(self.rdata, bytes) else ipaddress.ip_address(self.rdata).packed
        head = struct.pack("!HHIH", _qtype(self.type), self.rclass, self.ttl, len(rdata))
        return _name(self.rrname) + head + rdata


def _many(records: DNSQR | DNSRR | Iterable[Any] | None) -> list[Any]:
    if records is None:
        return []
    return [records] if isinstance(records, Layer) else list(records)


@dataclass
class DNS(Layer):
    """A DNS message (RFC 1035 section 4.1): header flags, questions (``qd``) and answers (``an``)."""

    id: int = 0
    qr: int = 0
    opcode: int = 0
    aa: int = 0
    tc: int = 0
    rd: int = 1
    ra: int = 0
    rcode: int = 0
    qd: Any = None  # DNSQR | list[DNSQR] | None
    an: Any = None  # DNSRR | list[DNSRR] | None

    def build(self, parent: Layer | None) -> bytes:
        questions, answers = _many(self.qd), _many(self.an)
        flags = self.qr << 15 | self.opcode << 11 | self.aa << 10 | self.tc << 9 | self.rd << 8 | self.ra << 7
        head = struct.pack("!HHHHHH", self.id, flags | self.rcode, len(questions), len(answers), 0, 0)
        body = b"".join(q.build(self) for q in questions) + b"".join(a.build(self) for a in answers)
        return head + body + self.inner_bytes(self)


def client_hello(
    server_name: str | None, *, alpn: Sequence[bytes] = (), versions: Sequence[int] = (), record_version: int = 0x0301
) -> bytes:
    """A TLS handshake record holding one ClientHello (RFC 8446 section 4.1.2) with the server_name extension
    (RFC 6066 section 3) unless ``server_name`` is ``None``, ALPN (RFC 7301) and supported_versions if given."""
    extensions = b""
    if server_name is not None:
        name = server_name.encode()
        entry = b"\x00" + struct.pack("!H", len(name)) + name
        extensions += struct.pack("!HHH", 0, len(entry) + 2, len(entry)) + entry
    if alpn:
        protocols = b"".join(bytes([len(p)]) + p for p in alpn)
        extensions += struct.pack("!HHH", 16, len(protocols) + 2, len(protocols)) + protocols
    if versions:
        listed = b"".join(struct.pack("!H", v) for v in versions)
        extensions += struct.pack("!HHB", 43, len(listed) + 1, len(listed)) + listed
    suites = struct.pack("!HH", 0x1301, 0x002F)
    body = struct.pack("!H", 0x0303) + bytes(32) + b"\x00" + struct.pack("!H", len(suites)) + suites + b"\x01\x00"
    body += struct.pack("!H", len(extensions)) + extensions
    handshake = b"\x01" + len(body).to_bytes(3, "big") + body
    return struct.pack("!BHH", 22, record_version, len(handshake)) + handshake


# -- captures ------------------------------------------------------------------------------------------------------


def pcapng_block(kind: int, body: bytes, endian: str = "<") -> bytes:
    """One pcapng block (draft-ietf-opsawg-pcapng section 3.1): the body padded to 32 bits, framed by its length."""
    body += b"\x00" * (-len(body) % 4)
    return struct.pack(endian + "II", kind, len(body) + 12) + body + struct.pack(endian + "I", len(body) + 12)


def _option(code: int, value: bytes, endian: str) -> bytes:
    return struct.pack(endian + "HH", code, len(value)) + value + b"\x00" * (-len(value) % 4)


def pcapng(
    frames: Sequence[bytes],
    linktype: int = 1,
    *,
    times: Sequence[float] | None = None,
    endian: str = "<",
    tsresol: int | None = None,
    tsoffset: int | None = None,
    snaplen: int = 65535,
    interfaces: Sequence[int] | None = None,
    interface_of: Sequence[int] | None = None,
    extra: Sequence[tuple[int, bytes]] = (),
) -> bytes:
    """A pcapng file: one section in byte order ``endian``, one Interface Description Block per link type of
    ``interfaces`` (default ``[linktype]``) with the ``if_tsresol`` option byte ``tsresol`` (none: microseconds)
    and ``if_tsoffset``, then ``extra`` blocks ``(type, body)``, then one Enhanced Packet Block per frame (on the
    interface ``interface_of[i]``, default 0; time ``times[i]``, default 1,700,000,000 + i)."""
    out = bytearray(pcapng_block(0x0A0D0D0A, struct.pack(endian + "IHHq", 0x1A2B3C4D, 1, 0, -1), endian))
    options = b""
    if tsresol is not None:
        options += _option(9, bytes([tsresol]), endian)
    if tsoffset is not None:
        options += _option(14, struct.pack(endian + "q", tsoffset), endian)
    if options:
        options += _option(0, b"", endian)
    for kind in interfaces if interfaces is not None else [linktype]:
        out += pcapng_block(1, struct.pack(endian + "HHI", kind, 0, snaplen) + options, endian)
    for kind, body in extra:
        out += pcapng_block(kind, body, endian)
    units = 10**6
    if tsresol is not None:
        units = (2 if tsresol & 0x80 else 10) ** (tsresol & 0x7F)
    for index, frame in enumerate(frames):
        ts = times[index] if times is not None else 1_700_000_000 + index
        stamp = round((ts - (tsoffset or 0)) * units)
        intid = interface_of[index] if interface_of is not None else 0
        head = struct.pack(endian + "5I", intid, stamp >> 32, stamp & 0xFFFFFFFF, len(frame), len(frame))
        out += pcapng_block(6, head + frame, endian)
    return bytes(out)


def read_pcap(path: Path) -> list[tuple[int, float, bytes]]:
    """The records of a classic pcap file as ``(linktype, time, data)``, read record by record: the plain reading
    of the format (a record keeps at most 65535 bytes; a record cut by the end of the file keeps what is there; a
    short record header ends the file)."""
    with path.open("rb") as handle:
        return read_pcap_stream(handle)


def read_pcap_stream(handle: Any) -> list[tuple[int, float, bytes]]:
    """:func:`read_pcap` of an open binary file."""
    header = handle.read(24)
    magic = header[:4]
    endian = ">" if magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d") else "<"
    divisor = 1e9 if magic in (b"\xa1\xb2\x3c\x4d", b"\x4d\x3c\xb2\xa1") else 1e6
    (linktype,) = struct.unpack(endian + "I", header[20:24])
    records = []
    while len(head := handle.read(16)) == 16:
        sec, frac, caplen, _wirelen = struct.unpack(endian + "IIII", head)
        data = handle.read(caplen)
        records.append((linktype, sec + frac / divisor, data[:0xFFFF]))
    return records


def _ethernet_ipv4(frame: bytes) -> tuple[int, int, int]:
    """Offsets of an Ethernet + IPv4 frame: IP header start, transport header start, and the IP protocol."""
    assert frame[12:14] == b"\x08\x00" and frame[14] >> 4 == 4, "an Ethernet + IPv4 frame"
    ip = 14
    return ip, ip + (frame[ip] & 0x0F) * 4, frame[ip + 9]


def transport_payload(frame: bytes) -> bytes:
    """The TCP or UDP payload of an Ethernet + IPv4 frame (up to the IP total length)."""
    ip, l4, proto = _ethernet_ipv4(frame)
    end = ip + struct.unpack_from("!H", frame, ip + 2)[0]
    start = l4 + ((frame[l4 + 12] >> 4) * 4 if proto == 6 else 8)
    return frame[start:end]


def replace_payload(frame: bytes, payload: bytes, *, seq_offset: int = 0) -> bytes:
    """An Ethernet + IPv4 + TCP/UDP ``frame`` carrying ``payload`` instead (its TCP sequence number moved by
    ``seq_offset``), with the IP and UDP lengths and every checksum made right again."""
    ip, l4, proto = _ethernet_ipv4(frame)
    header = bytearray(frame[:l4])
    if proto == 6:
        transport = bytearray(frame[l4 : l4 + (frame[l4 + 12] >> 4) * 4])
        seq = (struct.unpack_from("!I", transport, 4)[0] + seq_offset) & 0xFFFFFFFF
        struct.pack_into("!I", transport, 4, seq)
        checksum_at = 16
    else:
        transport = bytearray(frame[l4 : l4 + 8])
        struct.pack_into("!H", transport, 4, 8 + len(payload))
        checksum_at = 6
    struct.pack_into("!H", header, ip + 2, len(header) - ip + len(transport) + len(payload))
    struct.pack_into("!H", header, ip + 10, 0)
    struct.pack_into("!H", header, ip + 10, _checksum(bytes(header[ip:])))
    struct.pack_into("!H", transport, checksum_at, 0)
    pseudo = bytes(header[ip + 12 : ip + 20]) + struct.pack("!BBH", 0, proto, len(transport) + len(payload))
    chksum = _checksum(pseudo + bytes(transport) + payload)
    struct.pack_into("!H", transport, checksum_at, chksum or (0xFFFF if proto == 17 else 0))
    return bytes(header) + bytes(transport) + payload
