"""Packet-capture reader: pcap / pcapng files → :class:`~discovery.parsers.base.ProxyEvent` stream.

Pure Python (scapy's raw record readers + ``struct`` + ``cryptography``), no Django imports.

What is extracted, per packet or per flow:

* **DNS** query names (UDP port 53; RFC 1035 section 4.1.2), one event per question. mDNS (UDP 5353, RFC 6762)
  and LLMNR (UDP 5355, RFC 4795) use the DNS wire format for *local* name resolution: they are **skipped** by
  default (counted in :attr:`CaptureStats.local_name_queries`) so that e.g. ``gemini._sftp-ssh._tcp.local`` is never
  mistaken for a lookup of an AI service. With ``CaptureOptions(include_local_names=True)`` they are emitted as DNS
  events tagged ``extra["resolution"] = "mdns" | "llmnr"`` (plain lookups carry ``"dns"``). DNS over TCP is ignored.
* **TLS** ClientHello SNI on any TCP port (RFC 8446 section 4.1.2, RFC 6066 section 3), reassembled per flow across
  TCP segments and TLS records until the record and handshake lengths are satisfied; also inside HTTP ``CONNECT``
  tunnels. ``extra["ech"] = True`` when the hello carries the encrypted_client_hello extension (draft-ietf-tls-esni):
  the SNI may then be the ECH *outer* public name (e.g. ``cloudflare-ech.com``) rather than the destination, so
  detection must not treat it as certain; ``extra["ech_public_name"] = True`` when the SNI is a known ECH public
  name. GREASE ECH (sent by every modern Chrome) is indistinguishable by design, so the flag is set for it too.
  A ClientHello without SNI yields no TLS event (counted in :attr:`CaptureStats.tls_without_sni`).
* **QUIC** v1 (RFC 9000/9001) and v2 (RFC 9369) client Initial packets are decrypted with the Initial keys derived
  from the client's Destination Connection ID; CRYPTO frames are reassembled across packets and datagrams and the
  ClientHello's SNI is reported.
* **HTTP/1.x** requests (RFC 9112): method, request-target, Host, and body length (``Content-Length``, or measured
  for chunked bodies). The event is emitted when the body is complete (or at end of flow, ``extra["incomplete"]``).
* **FLOW** records per TCP connection / UDP 5-tuple: ``upload_bytes`` = client→server transport payload bytes,
  ``download_bytes`` = server→client (retransmissions included, like summing tshark's ``tcp.len``/``udp.length-8``).
  The client is the sender of the first SYN, else of the first packet seen. Flows are emitted when they time out
  (capture time), when their tuple is reused by a new SYN, when the open-flow cap is hit, or at end of capture.

Memory is bounded by the number of open flows (``CaptureOptions.max_flows``) times the capped per-flow buffers
(64 KiB ClientHello / request head, 256 KiB out-of-order TCP data, 64 KiB QUIC CRYPTO data), not by the file size.
Undecodable or truncated packets are counted and sampled in :class:`CaptureStats`, never fatal.

Link types: Ethernet (with 802.1Q/802.1ad VLAN tags), raw IP (LINKTYPE_RAW 101 and DLT_RAW 12/14, LINKTYPE_IPV4/6),
BSD loopback (DLT_NULL 0, DLT_LOOP 108), Linux cooked capture (SLL/SLL2).
"""

from __future__ import annotations

import os
import socket
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any, ClassVar

from scapy.error import Scapy_Exception
from scapy.utils import RawPcapNgReader, RawPcapReader

from ._pcap_dns import DNS_PORT, LLMNR_PORT, MDNS_PORT, DnsError, parse_questions
from ._pcap_http import HEAD_END, METHOD_PREFIX, HttpError, RequestHead, normalize_host, parse_request_head
from ._pcap_net import (
    PROTO_TCP,
    SUPPORTED_LINKTYPES,
    TCP_ACK,
    TCP_FIN,
    TCP_RST,
    TCP_SYN,
    Segment,
    Truncated,
    Undecodable,
    decode_segment,
)
from ._pcap_quic import QuicError, QuicInitialState, parse_long_header
from ._pcap_stream import ClientStream, State
from ._pcap_tls import (
    CONTENT_TYPE_HANDSHAKE,
    HANDSHAKE_CLIENT_HELLO,
    KNOWN_ECH_PUBLIC_NAMES,
    MAX_HELLO,
    MAX_RECORD,
    ClientHello,
    NotClientHello,
    parse_client_hello,
)
from .base import EventKind, ProxyEvent, Visible

__all__ = [
    "LABEL",
    "NAME",
    "VISIBLE",
    "CaptureError",
    "CaptureOptions",
    "CaptureStats",
    "read_capture",
    "read_names",
    "sniff_capture",
]

NAME = "pcap"
LABEL = "Packet capture (pcap / pcapng)"
VISIBLE: frozenset[Visible] = frozenset(
    {Visible.SRC_IP, Visible.HOST, Visible.URL, Visible.UPLOAD_BYTES, Visible.DOWNLOAD_BYTES}
)

#: classic pcap magic numbers (micro-/nanosecond, both byte orders) and the pcapng Section Header Block type
PCAP_MAGICS = frozenset({b"\xa1\xb2\xc3\xd4", b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\x3c\x4d", b"\x4d\x3c\xb2\xa1"})
PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"
_PCAPNG_BYTE_ORDER = frozenset({b"\x1a\x2b\x3c\x4d", b"\x4d\x3c\x2b\x1a"})

_SWEEP_INTERVAL = 5.0
_HOST_RANK = {"ip": 0, "quic-sni": 1, "sni": 2, "http-host": 3}


def sniff_capture(first_bytes: bytes) -> bool:
    """True if ``first_bytes`` (the start of a file) is a pcap or pcapng capture.

    pcap: 4-byte magic (``a1b2c3d4``/``a1b23c4d`` in either byte order). pcapng: Section Header Block type
    ``0a0d0d0a`` followed by the byte-order magic ``1a2b3c4d`` at offset 8 (draft-ietf-opsawg-pcapng section 4.1).
    """
    head = bytes(first_bytes[:12])
    if head[:4] in PCAP_MAGICS:
        return True
    return head[:4] == PCAPNG_MAGIC and head[8:12] in _PCAPNG_BYTE_ORDER


class CaptureError(ValueError):
    """The input is not a readable pcap/pcapng capture."""


@dataclass(slots=True)
class CaptureOptions:
    """Reader settings. Timeouts are in capture time (seconds between packet timestamps)."""

    include_local_names: bool = False
    emit_flows: bool = True
    max_flows: int = 100_000
    tcp_timeout: float = 300.0
    tcp_closed_timeout: float = 30.0
    udp_timeout: float = 60.0
    quic_max_failures: int = 3


@dataclass(slots=True)
class CaptureStats:
    """Counters for one capture; ``malformed_samples`` keeps the first few problems for the user to see."""

    packets_read: int = 0
    packets_decoded: int = 0  # IP + TCP/UDP headers read
    packets_skipped: int = 0  # not TCP/UDP over IP: ARP, ICMP, non-first fragments, ...
    packets_truncated: int = 0  # headers cut off by the snap length or the end of file
    packets_undecodable: int = 0  # impossible header fields or unsupported link type
    events: dict[str, int] = field(default_factory=dict)
    flows: int = 0
    flows_evicted: int = 0  # emitted early because of the open-flow cap
    local_name_queries: int = 0  # mDNS / LLMNR questions
    tls_without_sni: int = 0
    quic_decrypted: int = 0  # Initial packets decrypted
    quic_failures: int = 0
    dns_malformed: int = 0
    reassembly_gaps: int = 0
    buffer_overflows: int = 0
    malformed_http: int = 0
    not_client_hello: int = 0
    linktypes: dict[int, int] = field(default_factory=dict)
    read_error: str | None = None  # the capture ended with a framing error (truncated file, corrupt block)
    malformed_samples: list[dict[str, Any]] = field(default_factory=list)

    MAX_SAMPLES: ClassVar[int] = 20

    def sample(self, frame: int, error: str, data: bytes = b"") -> None:
        if len(self.malformed_samples) < self.MAX_SAMPLES:
            self.malformed_samples.append({"frame": frame, "error": error, "hex": data[:64].hex()})


class _Flow:
    """Per-flow counters and parsing state. The key/`client` side is the initiator."""

    __slots__ = (
        "client",
        "client_port",
        "closed",
        "down_bytes",
        "down_packets",
        "family",
        "first_frame",
        "first_ts",
        "host",
        "host_source",
        "last_ts",
        "proto",
        "quic",
        "quic_done",
        "server",
        "server_port",
        "stream",
        "syn_seq",
        "up_bytes",
        "up_packets",
    )

    def __init__(self, seg: Segment, client_is_src: bool, ts: float, frame: int) -> None:
        self.proto = seg.proto
        self.family = seg.family
        if client_is_src:
            self.client, self.client_port, self.server, self.server_port = seg.src, seg.sport, seg.dst, seg.dport
        else:
            self.client, self.client_port, self.server, self.server_port = seg.dst, seg.dport, seg.src, seg.sport
        self.first_ts = self.last_ts = ts
        self.first_frame = frame
        self.up_bytes = self.down_bytes = self.up_packets = self.down_packets = 0
        self.closed = False
        self.syn_seq: int | None = None
        self.stream: ClientStream | None = ClientStream() if seg.proto == PROTO_TCP else None
        self.quic: QuicInitialState | None = None
        self.quic_done = seg.proto == PROTO_TCP
        self.host: str | None = None
        self.host_source = "ip"

    @property
    def key(self) -> tuple[int, bytes, int, bytes, int]:
        return (self.proto, self.client, self.client_port, self.server, self.server_port)

    def name(self, host: str, source: str) -> None:
        if self.host is None or _HOST_RANK[source] > _HOST_RANK[self.host_source]:
            self.host, self.host_source = host, source


def _ip(family: int, raw: bytes) -> str:
    return socket.inet_ntop(socket.AF_INET if family == 4 else socket.AF_INET6, raw)


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


class _CaptureDecoder:
    """Turns raw captured frames into events; one instance per capture."""

    def __init__(self, stats: CaptureStats, options: CaptureOptions) -> None:
        self.stats = stats
        self.options = options
        self.flows: dict[tuple[int, bytes, int, bytes, int], _Flow] = {}
        self.out: list[ProxyEvent] = []
        self.frame = 0
        self.ts = 0.0
        self.clock = 0.0  # highest timestamp seen (captures are not always monotonic)
        self.last_sweep: float | None = None

    # -- driver ------------------------------------------------------------------------------------------------

    def run(self, reader: RawPcapReader) -> Iterator[ProxyEvent]:
        stats = self.stats
        is_ng = isinstance(reader, RawPcapNgReader)
        linktype: int = getattr(reader, "linktype", -1)
        divisor = 1e9 if getattr(reader, "nano", False) else 1e6
        records = iter(reader)
        while True:
            try:
                data, meta = next(records)
            except StopIteration:
                break
            except (Scapy_Exception, struct.error, EOFError, OSError, ValueError) as exc:
                stats.read_error = f"{type(exc).__name__}: {exc}"
                stats.sample(self.frame + 1, f"capture framing: {exc}")
                break
            self.frame += 1
            stats.packets_read += 1
            if is_ng:
                ng_meta: Any = meta  # scapy types only the pcap metadata; pcapng adds these fields
                linktype = ng_meta.linktype
                if ng_meta.tshigh is not None:
                    self.ts = ((ng_meta.tshigh << 32) | ng_meta.tslow) / ng_meta.tsresol
            else:
                self.ts = meta.sec + meta.usec / divisor
            self.packet(linktype, data)
            if self.out:
                yield from self.out
                self.out.clear()
        for flow in list(self.flows.values()):
            self.finish(flow)
        self.flows.clear()
        yield from self.out
        self.out.clear()

    def packet(self, linktype: int, data: bytes) -> None:
        stats = self.stats
        stats.linktypes[linktype] = stats.linktypes.get(linktype, 0) + 1
        if linktype not in SUPPORTED_LINKTYPES:
            stats.packets_undecodable += 1
            if stats.linktypes[linktype] == 1:
                stats.sample(self.frame, f"unsupported link type {linktype}", data)
            return
        try:
            seg = decode_segment(linktype, data)
        except Truncated as exc:
            stats.packets_truncated += 1
            stats.sample(self.frame, f"truncated: {exc}", data)
            return
        except Undecodable as exc:
            stats.packets_undecodable += 1
            stats.sample(self.frame, f"undecodable: {exc}", data)
            return
        if seg is None:
            stats.packets_skipped += 1
            return
        stats.packets_decoded += 1
        if self.ts > self.clock:
            self.clock = self.ts
        if self.last_sweep is None:
            self.last_sweep = self.clock
        elif self.clock - self.last_sweep >= _SWEEP_INTERVAL:
            self.sweep()
        flow, to_server = self.lookup(seg)
        flow.last_ts = self.ts
        if to_server:
            flow.up_bytes += seg.wire_len
            flow.up_packets += 1
        else:
            flow.down_bytes += seg.wire_len
            flow.down_packets += 1
        if seg.proto == PROTO_TCP:
            self.tcp(flow, seg, to_server)
        else:
            self.udp(flow, seg, to_server)

    # -- flows -------------------------------------------------------------------------------------------------

    def lookup(self, seg: Segment) -> tuple[_Flow, bool]:
        flows = self.flows
        flow = flows.get((seg.proto, seg.src, seg.sport, seg.dst, seg.dport))
        to_server = True
        if flow is None:
            flow = flows.get((seg.proto, seg.dst, seg.dport, seg.src, seg.sport))
            to_server = False
        syn_only = seg.proto == PROTO_TCP and seg.flags & (TCP_SYN | TCP_ACK) == TCP_SYN
        if flow is not None and syn_only and to_server and (flow.closed or flow.syn_seq not in (None, seg.seq)):
            self.finish(flow)  # the tuple is reused by a new connection
            del flows[flow.key]
            flow = None
        if flow is not None:
            return flow, to_server
        # a SYN+ACK seen first comes from the server
        client_is_src = not (seg.proto == PROTO_TCP and seg.flags & (TCP_SYN | TCP_ACK) == TCP_SYN | TCP_ACK)
        flow = _Flow(seg, client_is_src, self.ts, self.frame)
        flows[flow.key] = flow
        self.stats.flows += 1
        if len(flows) > self.options.max_flows:
            oldest = next(iter(flows.values()))
            self.finish(oldest)
            del flows[oldest.key]
            self.stats.flows_evicted += 1
        return flow, client_is_src

    def sweep(self) -> None:
        """Emit and forget flows idle for longer than their timeout (capture time)."""
        opts = self.options
        now = self.last_sweep = self.clock
        expired = []
        for key, flow in self.flows.items():
            if flow.proto == PROTO_TCP:
                timeout = opts.tcp_closed_timeout if flow.closed else opts.tcp_timeout
            else:
                timeout = opts.udp_timeout
            if now - flow.last_ts > timeout:
                expired.append(key)
        for key in expired:
            self.finish(self.flows.pop(key))

    def finish(self, flow: _Flow) -> None:
        if flow.stream is not None:
            flow.stream.close()
            self.drain(flow)
        if not self.options.emit_flows:
            return
        server = _ip(flow.family, flow.server)
        self.emit(
            ProxyEvent(
                timestamp=_utc(flow.first_ts),
                host=flow.host or server,
                kind=EventKind.FLOW,
                src_ip=_ip(flow.family, flow.client),
                dest_ip=server,
                dest_port=flow.server_port,
                upload_bytes=flow.up_bytes,
                download_bytes=flow.down_bytes,
                extra={
                    "transport": "tcp" if flow.proto == PROTO_TCP else "udp",
                    "src_port": flow.client_port,
                    "host_source": flow.host_source,
                    "packets_up": flow.up_packets,
                    "packets_down": flow.down_packets,
                    "duration": round(flow.last_ts - flow.first_ts, 6),
                    "frame": flow.first_frame,
                },
            )
        )

    def emit(self, event: ProxyEvent) -> None:
        kinds = self.stats.events
        kinds[event.kind.value] = kinds.get(event.kind.value, 0) + 1
        self.out.append(event)

    def base_extra(self, flow: _Flow, transport: str) -> dict[str, Any]:
        return {"frame": self.frame, "transport": transport, "src_port": flow.client_port}

    # -- TCP ---------------------------------------------------------------------------------------------------

    def tcp(self, flow: _Flow, seg: Segment, to_server: bool) -> None:
        flags = seg.flags
        if flags & (TCP_FIN | TCP_RST):
            flow.closed = True
        if not to_server:
            return
        if flags & (TCP_SYN | TCP_ACK) == TCP_SYN:
            flow.syn_seq = seg.seq
        stream = flow.stream
        if stream is None or stream.done:
            return
        stream.segment(seg.seq, seg.payload, seg.wire_len, bool(flags & TCP_SYN))
        if stream.results:
            self.drain(flow)

    def drain(self, flow: _Flow) -> None:
        stream = flow.stream
        assert stream is not None
        for result in stream.results:
            if result[0] == "tls":
                self.client_hello(flow, result[1], EventKind.TLS, "tcp")
            elif result[0] == "http":
                self.http(flow, result[1], result[2], result[3])
            else:
                _, counter, message = result
                setattr(self.stats, counter, getattr(self.stats, counter) + 1)
                self.stats.sample(self.frame, f"{counter}: {message}")
        stream.results.clear()

    def http(self, flow: _Flow, request: RequestHead, body: int, complete: bool) -> None:
        authority = request.authority
        host = normalize_host(authority) if authority else ""
        extra = self.base_extra(flow, "tcp")
        extra.update(
            uri=request.target,
            host_header=request.host_header,
            content_length=request.content_length,
            body_bytes=body,
            http_version=request.version,
            host_source="http-host" if host else "ip",
        )
        if request.chunked:
            extra["chunked"] = True
        if not complete:
            extra["incomplete"] = True
        if host:
            flow.name(host, "http-host")
        server = _ip(flow.family, flow.server)
        self.emit(
            ProxyEvent(
                timestamp=_utc(self.ts),
                host=host or server,
                kind=EventKind.HTTP,
                src_ip=_ip(flow.family, flow.client),
                dest_ip=server,
                dest_port=flow.server_port,
                url=request.url,
                method=request.method,
                upload_bytes=request.content_length if request.content_length is not None else body,
                extra=extra,
            )
        )

    def client_hello(self, flow: _Flow, hello: ClientHello, kind: EventKind, transport: str) -> None:
        if not hello.sni:
            self.stats.tls_without_sni += 1
            return
        host = normalize_host(hello.sni)
        flow.name(host, "sni" if kind is EventKind.TLS else "quic-sni")
        extra = self.base_extra(flow, transport)
        extra.update(sni=hello.sni, alpn=hello.alpn, ech=hello.ech, hello_length=hello.length)
        if hello.versions:
            extra["tls_versions"] = [f"{v:#06x}" for v in hello.versions]
        if hello.ech and host in KNOWN_ECH_PUBLIC_NAMES:
            extra["ech_public_name"] = True
        self.emit(
            ProxyEvent(
                timestamp=_utc(self.ts),
                host=host,
                kind=kind,
                src_ip=_ip(flow.family, flow.client),
                dest_ip=_ip(flow.family, flow.server),
                dest_port=flow.server_port,
                extra=extra,
            )
        )

    # -- UDP ---------------------------------------------------------------------------------------------------

    def udp(self, flow: _Flow, seg: Segment, to_server: bool) -> None:
        ports = (seg.sport, seg.dport)
        if DNS_PORT in ports:
            self.dns(flow, seg, "dns")
        elif MDNS_PORT in ports:
            self.dns(flow, seg, "mdns")
        elif LLMNR_PORT in ports:
            self.dns(flow, seg, "llmnr")
        elif to_server and not flow.quic_done and seg.payload:
            self.quic(flow, seg.payload)

    def dns(self, flow: _Flow, seg: Segment, resolution: str) -> None:
        try:
            questions = parse_questions(seg.payload)
        except DnsError as exc:
            self.stats.dns_malformed += 1
            self.stats.sample(self.frame, f"dns: {exc}", seg.payload)
            return
        if not questions:
            return
        if resolution != "dns":
            self.stats.local_name_queries += len(questions)
            if not self.options.include_local_names:
                return
        src, dst = _ip(seg.family, seg.src), _ip(seg.family, seg.dst)
        for question in questions:
            extra = {
                "frame": self.frame,
                "transport": "udp",
                "src_port": seg.sport,
                "qname": question.name,
                "qtype": question.qtype,
                "resolution": resolution,
            }
            self.emit(
                ProxyEvent(
                    timestamp=_utc(self.ts),
                    host=question.name.rstrip(".").lower(),
                    kind=EventKind.DNS,
                    src_ip=src,
                    dest_ip=dst,
                    dest_port=seg.dport,
                    extra=extra,
                )
            )

    def quic(self, flow: _Flow, payload: bytes) -> None:
        state = flow.quic
        if state is None:
            try:
                header = parse_long_header(payload, 0)
            except QuicError:
                header = None
            if header is None or header.packet_type != 0:  # a QUIC connection starts with a client Initial
                flow.quic_done = True
                return
            state = flow.quic = QuicInitialState()
        before = state.decrypted
        try:
            hello = state.feed(payload)
        except (QuicError, ValueError) as exc:
            self.stats.quic_decrypted += state.decrypted - before
            self.stats.quic_failures += 1
            self.stats.sample(self.frame, f"quic: {exc}", payload)
            if state.failures >= self.options.quic_max_failures or not isinstance(exc, QuicError):
                flow.quic_done, flow.quic = True, None
            return
        self.stats.quic_decrypted += state.decrypted - before
        if hello is not None:
            flow.quic_done, flow.quic = True, None
            self.client_hello(flow, hello, EventKind.QUIC, "udp")


def _open(source: str | os.PathLike[str] | IO[bytes]) -> tuple[RawPcapReader, bool]:
    try:
        if isinstance(source, str | os.PathLike):
            return RawPcapReader(os.fspath(source)), True
        return RawPcapReader(source), False  # type: ignore[arg-type]  # scapy accepts file objects too
    except Scapy_Exception as exc:
        raise CaptureError(f"not a pcap/pcapng capture: {exc}") from exc


def read_capture(
    source: str | os.PathLike[str] | IO[bytes],
    stats: CaptureStats | None = None,
    *,
    options: CaptureOptions | None = None,
) -> Iterator[ProxyEvent]:
    """Stream the events of a pcap/pcapng capture given as a path or a binary file object.

    Events come in capture order of the frame that completed them (``extra["frame"]``, 1-based like tshark's
    ``frame.number``); FLOW records come when a flow ends, ordered by end, and the rest at end of file.
    Raises :class:`CaptureError` (on first iteration) if ``source`` is not a capture. A file object is not closed.
    """
    stats = stats if stats is not None else CaptureStats()
    reader, owned = _open(source)
    try:
        yield from _CaptureDecoder(stats, options or CaptureOptions()).run(reader)
    finally:
        if owned:
            reader.close()


# --- names only ---------------------------------------------------------------------------------------------------

#: what :func:`read_names` yields: (frame number, capture time, kind ``dns``/``tls``/``quic``/``http``, host)
NameRecord = tuple[int, float, str, str]

_PCAP_BLOCK = 4 << 20
_SCAPY_MAX_RECORD = 0xFFFF  # scapy's RawPcapReader keeps the first MTU bytes of a record: so does the lean reader
_ETH_IPV4_TYPE = b"\x08\x00"
_IPV4_FIXED = struct.Struct("!BxHxxHxB")  # version/ihl, total length, flags/fragment offset, protocol
_TCP_FIXED = struct.Struct("!HHIxxxxBB")  # ports, seq, data offset, flags


def _pcap_records(fh: IO[bytes], stats: CaptureStats) -> Iterator[tuple[int, float, bytes]] | None:
    """Records of a classic pcap file as ``(linktype, time, data)``, read in large blocks with ``struct``.

    Same framing as scapy's ``RawPcapReader`` (a short header ends the file; data beyond 65535 bytes of a record is
    dropped; a record cut by the end of file keeps what is there). ``None`` if this is not a classic pcap (pcapng:
    the caller uses scapy's reader).
    """
    header = fh.read(24)
    magic = header[:4]
    if magic not in PCAP_MAGICS or len(header) < 24:
        return None
    endian = ">" if magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d") else "<"
    divisor = 1e9 if magic in (b"\xa1\xb2\x3c\x4d", b"\x4d\x3c\xb2\xa1") else 1e6
    linktype = struct.unpack(endian + "I", header[20:24])[0]
    record = struct.Struct(endian + "IIII")

    def records() -> Iterator[tuple[int, float, bytes]]:
        buf = b""
        pos = size = 0
        eof = False
        unpack = record.unpack_from
        while True:
            if size - pos < 16:
                if eof:
                    return
                more = fh.read(_PCAP_BLOCK)
                eof = not more
                buf, pos = buf[pos:] + more, 0
                size = len(buf)
                continue
            sec, frac, caplen, _wire = unpack(buf, pos)
            end = pos + 16 + caplen
            while end > size and not eof:
                more = fh.read(max(_PCAP_BLOCK, caplen))
                eof = not more
                buf, end, pos = buf[pos:] + more, end - pos, 0
                size = len(buf)
            start = pos + 16
            if caplen > _SCAPY_MAX_RECORD:
                yield linktype, sec + frac / divisor, buf[start : start + _SCAPY_MAX_RECORD]
            else:
                yield linktype, sec + frac / divisor, buf[start:end]
            pos = end

    return records()


class _NameDecoder(_CaptureDecoder):
    """:class:`_CaptureDecoder` reduced to names: no FLOW records, no byte counters, no event objects, flows kept
    only where a name can come from them (TCP streams, and UDP flows that may carry QUIC); DNS needs no flow."""

    def __init__(self, stats: CaptureStats, options: CaptureOptions) -> None:
        super().__init__(stats, CaptureOptions(**{**_options_dict(options), "emit_flows": False}))
        self.names: list[NameRecord] = []

    def run_names(self, records: Iterator[tuple[int, float, bytes]]) -> Iterator[NameRecord]:
        stats = self.stats
        names = self.names
        linktypes = stats.linktypes
        ipv4 = _IPV4_FIXED.unpack_from
        tcp_fixed = _TCP_FIXED.unpack_from
        for linktype, ts, data in records:
            self.frame += 1
            stats.packets_read += 1
            self.ts = ts
            seg = None
            # fast path: TCP in Ethernet + IPv4 (first fragment, sane lengths, complete headers), decoded inline exactly
            # like decode_segment; any other frame goes through decode_segment (UDP, VLAN, IPv6, errors)
            if linktype == 1 and data[12:14] == _ETH_IPV4_TYPE and len(data) >= 34:
                vihl, total, frag, proto = ipv4(data, 14)
                ihl = (vihl & 0x0F) * 4
                if vihl >> 4 == 4 and ihl >= 20 and not frag & 0x1FFF and total >= ihl:
                    end = 14 + total
                    cap_end = min(end, len(data))
                    pos = 14 + ihl
                    if proto == PROTO_TCP and cap_end >= pos + 20:
                        sport, dport, seq, doff, flags = tcp_fixed(data, pos)
                        start = pos + (doff >> 4) * 4
                        if doff >> 4 >= 5 and cap_end >= start:
                            linktypes[1] = linktypes.get(1, 0) + 1
                            seg = Segment(
                                PROTO_TCP,
                                4,
                                data[26:30],
                                data[30:34],
                                sport,
                                dport,
                                data[start:cap_end],
                                max(end - start, 0),
                                flags,
                                seq,
                            )
            if seg is None:
                self.packet(linktype, data)
            else:
                self.decoded(seg)
            if names:
                yield from names
                names.clear()
        for flow in list(self.flows.values()):
            self.finish(flow)
        self.flows.clear()
        yield from names
        names.clear()

    def decoded(self, seg: Segment) -> None:
        """:meth:`_CaptureDecoder.packet` after a successful decode, without the per-flow byte counters."""
        self.stats.packets_decoded += 1
        if self.ts > self.clock:
            self.clock = self.ts
        if self.last_sweep is None:
            self.last_sweep = self.clock
        elif self.clock - self.last_sweep >= _SWEEP_INTERVAL:
            self.sweep()
        if seg.proto != PROTO_TCP:
            ports = (seg.sport, seg.dport)
            if DNS_PORT in ports:
                self.dns(None, seg, "dns")
                return
            if MDNS_PORT in ports:
                self.dns(None, seg, "mdns")
                return
            if LLMNR_PORT in ports:
                self.dns(None, seg, "llmnr")
                return
        elif not seg.flags & TCP_SYN:
            # lookup()'s answer for a non-SYN segment of a known flow in the client's direction, without the call
            known = self.flows.get((PROTO_TCP, seg.src, seg.sport, seg.dst, seg.dport))
            if known is not None:
                known.last_ts = self.ts
                self.tcp(known, seg, True)
                return
        flow, to_server = self.lookup(seg)
        flow.last_ts = self.ts
        if seg.proto == PROTO_TCP:
            self.tcp(flow, seg, to_server)
        elif to_server and not flow.quic_done and seg.payload:
            self.quic(flow, seg.payload)

    def packet(self, linktype: int, data: bytes) -> None:
        stats = self.stats
        stats.linktypes[linktype] = stats.linktypes.get(linktype, 0) + 1
        if linktype not in SUPPORTED_LINKTYPES:
            stats.packets_undecodable += 1
            if stats.linktypes[linktype] == 1:
                stats.sample(self.frame, f"unsupported link type {linktype}", data)
            return
        try:
            seg = decode_segment(linktype, data)
        except Truncated as exc:
            stats.packets_truncated += 1
            stats.sample(self.frame, f"truncated: {exc}", data)
            return
        except Undecodable as exc:
            stats.packets_undecodable += 1
            stats.sample(self.frame, f"undecodable: {exc}", data)
            return
        if seg is None:
            stats.packets_skipped += 1
            return
        self.decoded(seg)

    def tcp(self, flow: _Flow, seg: Segment, to_server: bool) -> None:
        """A ClientHello alone in one in-order record and segment (the usual case) is read without the stream
        machinery, with exactly the outcome :class:`ClientStream` would reach; anything else goes through it."""
        stream = flow.stream
        payload = seg.payload
        flags = seg.flags
        if (
            to_server
            and flags & (TCP_SYN | TCP_ACK | TCP_FIN | TCP_RST) == TCP_SYN
            and not payload
            and not seg.wire_len
        ):
            # a bare SYN: what the general tcp() and ClientStream.segment() do with it, inline
            flow.syn_seq = seg.seq
            if stream is not None and stream.state is not State.DONE and stream.next_seq is None:
                stream.next_seq = (seg.seq + 1) & 0xFFFFFFFF
            return
        if (
            to_server
            and stream is not None
            and len(payload) > 9
            and payload[0] == CONTENT_TYPE_HANDSHAKE
            and payload[1] == 3
            and payload[5] == HANDSHAKE_CLIENT_HELLO
            and not seg.flags & (TCP_SYN | TCP_FIN | TCP_RST)
            and stream.state is State.DETECT
            and stream.next_seq == seg.seq
            and not stream.buf
            and not stream.ooo
            and len(payload) == seg.wire_len
        ):
            record = (payload[3] << 8) | payload[4]
            length = int.from_bytes(payload[6:9], "big")
            if record == len(payload) - 5 <= MAX_RECORD and length == record - 4 <= MAX_HELLO:
                try:
                    hello = parse_client_hello(payload[9:])
                except NotClientHello:
                    pass  # the stream reports it
                else:
                    stream.next_seq = (seg.seq + len(payload)) & 0xFFFFFFFF
                    stream.state = State.DONE  # everything after the ClientHello is encrypted
                    self.client_hello(flow, hello, EventKind.TLS, "tcp")
                    return
        elif (
            to_server
            and stream is not None
            and payload
            and not seg.flags & (TCP_SYN | TCP_FIN | TCP_RST)
            and stream.state is State.DETECT
            and stream.next_seq == seg.seq
            and not stream.buf
            and not stream.ooo
            and len(payload) == seg.wire_len
            and METHOD_PREFIX.match(payload)
        ):
            # a whole body-less request head in one in-order segment: same outcome as the stream's HEAD state
            end = HEAD_END.search(payload)
            if end is not None and end.end() == len(payload):
                try:
                    request = parse_request_head(payload[: end.start()])
                except HttpError:
                    request = None  # the stream reports it
                if (
                    request is not None
                    and request.method != "CONNECT"
                    and not request.chunked
                    and not request.content_length
                ):
                    stream.next_seq = (seg.seq + len(payload)) & 0xFFFFFFFF
                    self.http(flow, request, 0, True)
                    return
        super().tcp(flow, seg, to_server)

    def name_found(self, kind: str, host: str) -> None:
        kinds = self.stats.events
        kinds[kind] = kinds.get(kind, 0) + 1
        self.names.append((self.frame, self.ts, kind, host))

    def http(self, flow: _Flow, request: RequestHead, body: int, complete: bool) -> None:
        authority = request.authority
        host = normalize_host(authority) if authority else ""
        self.name_found("http", host or _ip(flow.family, flow.server))

    def client_hello(self, flow: _Flow, hello: ClientHello, kind: EventKind, transport: str) -> None:
        if not hello.sni:
            self.stats.tls_without_sni += 1
            return
        self.name_found(kind.value, normalize_host(hello.sni))

    def dns(self, flow: _Flow | None, seg: Segment, resolution: str) -> None:
        try:
            questions = parse_questions(seg.payload)
        except DnsError as exc:
            self.stats.dns_malformed += 1
            self.stats.sample(self.frame, f"dns: {exc}", seg.payload)
            return
        if not questions:
            return
        if resolution != "dns":
            self.stats.local_name_queries += len(questions)
            if not self.options.include_local_names:
                return
        for question in questions:
            self.name_found("dns", question.name.rstrip(".").lower())


def _options_dict(options: CaptureOptions) -> dict[str, Any]:
    return {name: getattr(options, name) for name in CaptureOptions.__dataclass_fields__}


def read_names(
    source: str | os.PathLike[str] | IO[bytes],
    stats: CaptureStats | None = None,
    *,
    options: CaptureOptions | None = None,
) -> Iterator[NameRecord]:
    """Only the names of a capture: DNS questions, TLS/QUIC ClientHello SNI and HTTP request hosts, as
    ``(frame, time, kind, host)``: the ``(frame, kind, host)`` of the DNS/TLS/QUIC/HTTP events of
    :func:`read_capture`, in the same order, without FLOW records or event objects.

    Same decoding, reassembly, timeouts and tuple-reuse rules; the differences are what names do not need: no
    per-flow byte counters, and DNS/mDNS/LLMNR datagrams open no flow (so with more than ``max_flows`` flows open,
    flows are evicted later than in :func:`read_capture`, which can only let a stream complete that would have been
    cut). Classic pcap is read with a ``struct`` block reader (scapy's per-record reader is a third of the time);
    pcapng goes through scapy's ``RawPcapNgReader``.
    """
    stats = stats if stats is not None else CaptureStats()
    owned = isinstance(source, str | os.PathLike)
    fh: IO[bytes] = open(source, "rb") if isinstance(source, str | os.PathLike) else source  # noqa: SIM115
    try:
        start = fh.tell()
        records = _pcap_records(fh, stats)
        if records is None:
            fh.seek(start)
            records = _scapy_records(fh, stats)
        yield from _NameDecoder(stats, options or CaptureOptions()).run_names(records)
    finally:
        if owned:
            fh.close()


def _scapy_records(fh: IO[bytes], stats: CaptureStats) -> Iterator[tuple[int, float, bytes]]:
    """pcapng (or anything scapy reads) as ``(linktype, time, data)``, with :meth:`_CaptureDecoder.run`'s errors."""
    reader, _ = _open(fh)
    is_ng = isinstance(reader, RawPcapNgReader)
    linktype: int = getattr(reader, "linktype", -1)
    divisor = 1e9 if getattr(reader, "nano", False) else 1e6
    ts = 0.0
    frame = 0
    records = iter(reader)
    while True:
        try:
            data, meta = next(records)
        except StopIteration:
            return
        except (Scapy_Exception, struct.error, EOFError, OSError, ValueError) as exc:
            stats.read_error = f"{type(exc).__name__}: {exc}"
            stats.sample(frame + 1, f"capture framing: {exc}")
            return
        frame += 1
        if is_ng:
            ng_meta: Any = meta
            linktype = ng_meta.linktype
            if ng_meta.tshigh is not None:
                ts = ((ng_meta.tshigh << 32) | ng_meta.tslow) / ng_meta.tsresol
        else:
            ts = meta.sec + meta.usec / divisor
        yield linktype, ts, data
