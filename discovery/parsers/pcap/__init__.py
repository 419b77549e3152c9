"""Packet-capture reader: pcap / pcapng files → :class:`~discovery.parsers.base.ProxyEvent` stream.

Pure Python (``struct`` + ``cryptography``), no Django imports. Both readers walk the file's records the same way
(:func:`_records`: classic pcap and pcapng (:mod:`.pcapng`) both read in 4 MiB blocks with ``struct``; gzip-compressed
either way) and decode only the headers and payloads a name can come from, never whole packets.

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
  Idle flows are found by timers while packet times go forward (a sweep looks only at the flows due), by looking
  at every open flow once they went back. ``extra["http_requests"]`` counts the HTTP request events of the flow
  (emitted before its FLOW record), so that ingestion can count each request once (``discovery.ingest``).

Memory is bounded by the number of open flows (``CaptureOptions.max_flows``) times the capped per-flow buffers
(64 KiB ClientHello / request head, 256 KiB out-of-order TCP data, 64 KiB QUIC CRYPTO data), not by the file size.
Undecodable or truncated packets are counted and sampled in :class:`CaptureStats`, never fatal.

Link types: Ethernet (with 802.1Q/802.1ad VLAN tags), raw IP (LINKTYPE_RAW 101 and DLT_RAW 12/14, LINKTYPE_IPV4/6),
BSD loopback (DLT_NULL 0, DLT_LOOP 108), Linux cooked capture (SLL/SLL2).
"""

from __future__ import annotations

import gzip
import io
import math
import operator
import os
import socket
import struct
import sys
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any, ClassVar

from discovery.parsers.base import EventKind, ProxyEvent, Visible

from .dns import DNS_PORT, LLMNR_PORT, MDNS_PORT, DnsError, Question, parse_questions
from .http import METHOD_PREFIX, HttpError, RequestHead, find_head_end, normalize_host, parse_request_head
from .net import (
    PROTO_TCP,
    PROTO_UDP,
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
from .pcapng import MAX_KEPT, PcapngError, PcapngFraming, read_pcapng
from .quic import QuicError, QuicInitialState, parse_long_header
from .stream import ClientStream, State
from .tls import (
    CONTENT_TYPE_HANDSHAKE,
    HANDSHAKE_CLIENT_HELLO,
    KNOWN_ECH_PUBLIC_NAMES,
    MAX_HELLO,
    MAX_RECORD,
    ClientHello,
    NotClientHello,
    client_hello_sni,
)

__all__ = [
    "LABEL",
    "NAME",
    "VISIBLE",
    "CaptureError",
    "CaptureOptions",
    "CaptureStats",
    "UsageRecord",
    "read_capture",
    "read_names",
    "read_usage",
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
_SYN_ONLY_MASK = TCP_SYN | TCP_ACK
_BARE_SYN_MASK = TCP_SYN | TCP_ACK | TCP_FIN | TCP_RST
_CLOSING = TCP_FIN | TCP_RST
_SYN_FIN_RST = TCP_SYN | TCP_FIN | TCP_RST
_SEQ_MASK = 0xFFFFFFFF
_NO_TIMER = sys.maxsize  # a flow that no sweep can expire (infinite timeout), or one being looked at
_EARLIEST_TIMER = -sys.maxsize  # a flow that every sweep looks at
_FIRST_FRAME = operator.attrgetter("first_frame")
_TIMER_SLACK = 4096  # timer notes beyond twice the open flows before they are rebuilt
#: the stream of every flow whose ClientHello :meth:`_NameDecoder.message` read (shared: a stream in ``DONE`` is
#: never changed again)
_DONE_STREAM = ClientStream()
_DONE_STREAM.state = State.DONE


def _timer_key(due: float) -> int:
    """The timer bucket of a flow due to expire at capture time ``due``: one interval early, so that rounding in
    the sweep's ``now - last_ts > timeout`` cannot make a sweep miss it (timers are looked at again anyway)."""
    if due >= 1e12:  # infinite timeout; or times too large for the rounding margin: every sweep looks
        return _NO_TIMER if due == math.inf else _EARLIEST_TIMER
    if due > -1e12:
        return int(due // _SWEEP_INTERVAL) - 1
    return _EARLIEST_TIMER  # -inf, nan


def _resolution(sport: int, dport: int) -> str | None:
    """How a UDP datagram between these ports resolves names: ``dns``, ``mdns``, ``llmnr`` (the DNS port wins), or
    ``None``: not DNS."""
    if sport == DNS_PORT or dport == DNS_PORT:
        return "dns"
    if sport == MDNS_PORT or dport == MDNS_PORT:
        return "mdns"
    if sport == LLMNR_PORT or dport == LLMNR_PORT:
        return "llmnr"
    return None


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
        "http_requests",
        "last_ts",
        "next_seq",
        "proto",
        "quic",
        "quic_done",
        "server",
        "server_port",
        "stream",
        "syn_seq",
        "timer",
        "up_bytes",
        "up_packets",
    )

    def __init__(
        self,
        proto: int,
        family: int,
        client: bytes,
        client_port: int,
        server: bytes,
        server_port: int,
        ts: float,
        frame: int,
    ) -> None:
        self.proto = proto
        self.family = family
        self.client, self.client_port, self.server, self.server_port = client, client_port, server, server_port
        self.first_ts = self.last_ts = ts
        self.first_frame = frame
        self.up_bytes = self.down_bytes = self.up_packets = self.down_packets = 0
        self.closed = False
        self.syn_seq: int | None = None
        # TCP: the client stream is made when the first client data that needs it comes; until then it would be
        # in DETECT with nothing buffered, and ``next_seq`` holds its next expected sequence number
        self.stream: ClientStream | None = None
        self.next_seq: int | None = None
        self.quic: QuicInitialState | None = None
        self.quic_done = proto == PROTO_TCP
        self.host: str | None = None
        self.host_source = "ip"
        self.http_requests = 0  # HTTP request heads read from the client stream
        self.timer: int | None = _NO_TIMER  # see _CaptureDecoder.schedule; None once finished

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
        # idle-flow timers (see schedule()) while the packet times never go back; then sweep() looks at every flow
        self.timers: dict[int, list[_Flow]] | None = {}
        self.timer_entries = 0

    # -- driver ------------------------------------------------------------------------------------------------

    def run(self, records: Iterator[tuple[int, float, bytes]]) -> Iterator[ProxyEvent]:
        """Events of the ``(linktype, time, data)`` records of :func:`_records`."""
        stats = self.stats
        out = self.out
        for linktype, ts, data in records:
            self.frame += 1
            stats.packets_read += 1
            self.ts = ts
            self.packet(linktype, data)
            if out:
                yield from out
                out.clear()
        for flow in list(self.flows.values()):
            self.finish(flow)
        self.flows.clear()
        yield from out
        out.clear()

    def packet(self, linktype: int, data: bytes) -> None:
        """Decode one frame's headers (counting what cannot be decoded) and hand the segment to :meth:`decoded`."""
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

    def decoded(self, seg: Segment) -> None:
        """A TCP/UDP segment was read: advance the capture clock (sweeping idle flows) and process it."""
        self.stats.packets_decoded += 1
        self.tick()
        self.segment(seg)

    def tick(self) -> None:
        """Advance the capture clock to the current packet's time; every :data:`_SWEEP_INTERVAL` seconds of it,
        :meth:`sweep` idle flows."""
        if self.ts > self.clock:
            self.clock = self.ts
        elif self.ts < self.clock and self.timers is not None:
            self.unordered()
        if self.last_sweep is None:
            self.last_sweep = self.clock
        elif self.clock - self.last_sweep >= _SWEEP_INTERVAL:
            self.sweep()

    def segment(self, seg: Segment) -> None:
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
        if seg.proto == PROTO_TCP and seg.flags & (TCP_SYN | TCP_ACK) == TCP_SYN | TCP_ACK:
            return self.new_flow(seg.proto, seg.family, seg.dst, seg.dport, seg.src, seg.sport), False
        return self.new_flow(seg.proto, seg.family, seg.src, seg.sport, seg.dst, seg.dport), True

    def new_flow(
        self, proto: int, family: int, client: bytes, client_port: int, server: bytes, server_port: int
    ) -> _Flow:
        """Open a flow (its first packet is the current one), evicting the oldest open flow above the cap."""
        flow = _Flow(proto, family, client, client_port, server, server_port, self.ts, self.frame)
        flows = self.flows
        flows[(proto, client, client_port, server, server_port)] = flow
        self.stats.flows += 1
        if self.timers is not None:  # schedule(), inline: a new flow is open, its last packet is this one
            opts = self.options
            self.note(flow, _timer_key(self.ts + (opts.tcp_timeout if proto == PROTO_TCP else opts.udp_timeout)))
        if len(flows) > self.options.max_flows:
            oldest = next(iter(flows.values()))
            self.finish(oldest)
            del flows[oldest.key]
            self.stats.flows_evicted += 1
        return flow

    def timeout(self, flow: _Flow) -> float:
        opts = self.options
        if flow.proto == PROTO_TCP:
            return opts.tcp_closed_timeout if flow.closed else opts.tcp_timeout
        return opts.udp_timeout

    def schedule(self, flow: _Flow) -> None:
        """Note the first sweep that may find ``flow`` idle for longer than its timeout, if no packet came.

        Sweeps then look only at the flows so noted for them, instead of at every open flow. A flow's packets only
        postpone its expiry while packet times never go back (a sweep that finds a flow still active notes it
        again); closing a flow (FIN/RST) can bring it forward: :meth:`closed` notes it again if so. The first packet
        time that goes back turns the timers off (:meth:`unordered`) and every sweep looks at every flow."""
        if self.timers is not None:
            self.note(flow, _timer_key(flow.last_ts + self.timeout(flow)))

    def note(self, flow: _Flow, key: int) -> None:
        assert self.timers is not None
        flow.timer = key
        if key != _NO_TIMER:
            bucket = self.timers.get(key)
            if bucket is None:
                self.timers[key] = [flow]
            else:
                bucket.append(flow)
            self.timer_entries += 1

    def closed(self, flow: _Flow) -> None:
        """A FIN or RST closes ``flow``: its idle timeout becomes ``tcp_closed_timeout``."""
        flow.closed = True
        if self.timers is not None and flow.timer is not None:
            key = _timer_key(flow.last_ts + self.options.tcp_closed_timeout)
            if key < flow.timer:  # sooner than noted
                self.note(flow, key)

    def unordered(self) -> None:
        """A packet time went back: flows' last packet times may go back too, so timers noted from them can be
        late. Sweeps look at every flow from now on."""
        self.timers = None
        self.timer_entries = 0

    def sweep(self) -> None:
        """Emit and forget flows idle for longer than their timeout (capture time), in the order they opened."""
        now = self.last_sweep = self.clock
        timers = self.timers
        if timers is None:
            opts = self.options
            tcp_timeout, closed_timeout, udp_timeout = opts.tcp_timeout, opts.tcp_closed_timeout, opts.udp_timeout
            expired = [
                flow
                for flow in self.flows.values()
                if now - flow.last_ts
                > ((closed_timeout if flow.closed else tcp_timeout) if flow.proto == PROTO_TCP else udp_timeout)
            ]
        else:
            limit = now // _SWEEP_INTERVAL
            noted: list[_Flow] = []
            for key in [key for key in timers if key <= limit]:
                noted += timers.pop(key)
            self.timer_entries -= len(noted)
            expired = []
            active = []
            for flow in noted:
                timer = flow.timer
                if timer is None or timer > limit:
                    continue  # finished, or noted again for a later sweep
                flow.timer = _NO_TIMER  # looked at (a flow noted twice is looked at once)
                if now - flow.last_ts > self.timeout(flow):
                    expired.append(flow)
                else:
                    active.append(flow)
            for flow in active:
                self.schedule(flow)
            expired.sort(key=_FIRST_FRAME)  # = the order of self.flows
            if self.timer_entries > 2 * len(self.flows) + _TIMER_SLACK:  # notes of flows finished early pile up
                self.compact_timers()
        for flow in expired:
            self.finish(self.flows.pop(flow.key))

    def compact_timers(self) -> None:
        """Rebuild the timers from the open flows' notes, dropping those of finished flows."""
        timers: dict[int, list[_Flow]] = {}
        entries = 0
        for flow in self.flows.values():
            key = flow.timer
            if key is not None and key != _NO_TIMER:
                timers.setdefault(key, []).append(flow)
                entries += 1
        self.timers = timers
        self.timer_entries = entries

    def finish(self, flow: _Flow) -> None:
        """The flow ends (timed out, evicted, its tuple reused, end of capture): report what its stream still held,
        then its FLOW record. Its buffers are let go (a timer may still list it for a while)."""
        flow.timer = None
        if flow.stream is not None:
            flow.stream.close()
            self.drain(flow)
            flow.stream = None
        flow.quic = None
        if self.options.emit_flows:
            self.flow_record(flow)

    def flow_record(self, flow: _Flow) -> None:
        """Emit the FLOW record of a finished flow."""
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
                    "http_requests": flow.http_requests,
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
        if flags & (TCP_FIN | TCP_RST) and not flow.closed:
            self.closed(flow)
        if not to_server:
            return
        if flags & (TCP_SYN | TCP_ACK) == TCP_SYN:
            flow.syn_seq = seg.seq
        stream = flow.stream
        if stream is None:
            if not seg.payload and not seg.wire_len:  # all ClientStream.segment() would do: note where data starts
                if flags & TCP_SYN and flow.next_seq is None:
                    flow.next_seq = (seg.seq + 1) & _SEQ_MASK  # the SYN occupies one sequence number
                return
            stream = flow.stream = ClientStream(flow.next_seq)
        elif stream.done:
            return
        stream.segment(seg.seq, seg.payload, seg.wire_len, bool(flags & TCP_SYN))
        if stream.results:
            self.drain(flow)

    def drain(self, flow: _Flow) -> None:
        stream = flow.stream
        assert stream is not None
        results, stream.results = stream.results, None
        for result in results or ():
            if result[0] == "tls":
                self.client_hello(flow, result[1], EventKind.TLS, "tcp")
            elif result[0] == "http":
                self.http(flow, result[1], result[2], result[3])
            else:
                _, counter, message = result
                setattr(self.stats, counter, getattr(self.stats, counter) + 1)
                self.stats.sample(self.frame, f"{counter}: {message}")

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
        flow.http_requests += 1
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
        resolution = _resolution(seg.sport, seg.dport)
        if resolution is not None:
            self.dns(seg, resolution)
        elif to_server and not flow.quic_done and seg.payload:
            self.quic(flow, seg.payload)

    def questions(self, payload: bytes, resolution: str) -> list[Question]:
        """The questions of a DNS query to report: none for a response; mDNS/LLMNR questions counted, and dropped
        unless :attr:`CaptureOptions.include_local_names`; a malformed message counted and sampled."""
        try:
            questions = parse_questions(payload)
        except DnsError as exc:
            self.stats.dns_malformed += 1
            self.stats.sample(self.frame, f"dns: {exc}", payload)
            return []
        if not questions:
            return []
        if resolution != "dns":
            self.stats.local_name_queries += len(questions)
            if not self.options.include_local_names:
                return []
        return questions

    def dns(self, seg: Segment, resolution: str) -> None:
        questions = self.questions(seg.payload, resolution)
        if not questions:
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


#: what :func:`read_usage` yields per event of :func:`read_capture`: (capture time, client address, host, URL,
#: upload bytes, download bytes, requests, DNS lookups)
UsageRecord = tuple[float, str, str, str | None, int | None, int | None, int, int]


class _UsageDecoder(_CaptureDecoder):
    """:class:`_CaptureDecoder` yielding a :data:`UsageRecord` per event instead of a :class:`ProxyEvent`: the same
    decoding, flows, names and counters, without the event objects (their datetimes, address strings of events no
    one reads and ``extra`` dicts).

    Each record carries what the event counts for, one request per request: a FLOW record its flow's bytes and one
    request unless HTTP request heads were read from it; an HTTP event one request (no bytes: its flow has them); a
    TLS/QUIC event nothing (its flow, named by the SNI, is the request); a DNS question one lookup."""

    def __init__(self, stats: CaptureStats, options: CaptureOptions) -> None:
        super().__init__(stats, options)
        self.records: list[UsageRecord] = []

    def run_usage(self, records: Iterator[tuple[int, float, bytes]]) -> Iterator[UsageRecord]:
        """:meth:`_CaptureDecoder.run`, yielding :data:`UsageRecord` s."""
        stats = self.stats
        out = self.records
        for linktype, ts, data in records:
            self.frame += 1
            stats.packets_read += 1
            self.ts = ts
            self.packet(linktype, data)
            if out:
                yield from out
                out.clear()
        for flow in list(self.flows.values()):
            self.finish(flow)
        self.flows.clear()
        yield from out
        out.clear()

    def count(self, kind: str) -> None:
        kinds = self.stats.events
        kinds[kind] = kinds.get(kind, 0) + 1

    def flow_record(self, flow: _Flow) -> None:
        self.count("flow")
        server = _ip(flow.family, flow.server)
        self.records.append(
            (
                flow.first_ts,
                _ip(flow.family, flow.client),
                flow.host or server,
                None,
                flow.up_bytes,
                flow.down_bytes,
                0 if flow.http_requests else 1,
                0,
            )
        )

    def http(self, flow: _Flow, request: RequestHead, body: int, complete: bool) -> None:
        authority = request.authority
        host = normalize_host(authority) if authority else ""
        flow.http_requests += 1
        if host:
            flow.name(host, "http-host")
        self.count("http")
        client = _ip(flow.family, flow.client)
        self.records.append((self.ts, client, host or _ip(flow.family, flow.server), request.url, None, None, 1, 0))

    def client_hello(self, flow: _Flow, hello: ClientHello, kind: EventKind, transport: str) -> None:
        if not hello.sni:
            self.stats.tls_without_sni += 1
            return
        host = normalize_host(hello.sni)
        flow.name(host, "sni" if kind is EventKind.TLS else "quic-sni")
        self.count(kind.value)
        self.records.append((self.ts, _ip(flow.family, flow.client), host, None, None, None, 0, 0))

    def dns(self, seg: Segment, resolution: str) -> None:
        questions = self.questions(seg.payload, resolution)
        if not questions:
            return
        src = _ip(seg.family, seg.src)
        for question in questions:
            self.count("dns")
            self.records.append((self.ts, src, question.name.rstrip(".").lower(), None, None, None, 0, 1))


def read_usage(
    source: str | os.PathLike[str] | IO[bytes],
    stats: CaptureStats | None = None,
    *,
    options: CaptureOptions | None = None,
) -> Iterator[UsageRecord]:
    """A :data:`UsageRecord` per event of :func:`read_capture`, in the same order, with the same counters: what
    ingestion folds (``discovery.ingest``), without building the events."""
    stats = stats if stats is not None else CaptureStats()
    with _opened(source) as fh:
        yield from _UsageDecoder(stats, options or CaptureOptions()).run_usage(_records(fh, stats))


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
    with _opened(source) as fh:
        yield from _CaptureDecoder(stats, options or CaptureOptions()).run(_records(fh, stats))


@contextmanager
def _opened(source: str | os.PathLike[str] | IO[bytes]) -> Iterator[IO[bytes]]:
    """A binary file object for ``source``: a path is opened (and closed after), a file object is used as is."""
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as fh:
            yield fh
    else:
        yield source


# --- record walker ------------------------------------------------------------------------------------------------

_PCAP_BLOCK = 4 << 20
#: the largest record a capture may hold (Wireshark's WTAP_MAX_PACKET_SIZE_STANDARD): a larger captured length is
#: a corrupt record header
_MAX_CAPLEN = 262_144
_GZIP_MAGIC = b"\x1f\x8b"


def _records(fh: IO[bytes], stats: CaptureStats) -> Iterator[tuple[int, float, bytes]]:
    """The records of a capture as ``(linktype, time, data)``: the one record walker of both readers.

    Classic pcap (:func:`_pcap_records`) and pcapng (:func:`_pcapng_records`) are both read in large blocks with
    ``struct``; a gzip-compressed capture is read through :mod:`gzip`. Raises :class:`CaptureError` if ``fh`` holds
    no capture. ``fh`` need not be seekable.
    """
    seekable = getattr(fh, "seekable", None)
    start = 0
    if seekable is not None and seekable():
        start = fh.tell()
        head = fh.read(24)
        fh.seek(start)
    else:  # a stream that cannot go back: read the file header once, and give it again to the reader
        head = b""
        while len(head) < 24 and (more := fh.read(24 - len(head))):
            head += more
        fh = _Replay.of(head, fh)
    if head[:4] in PCAP_MAGICS and len(head) == 24:
        return _readable(_pcap_records(fh, stats), stats)
    if head[:4] == PCAPNG_MAGIC:
        return _readable(_pcapng_records(fh, stats, start), stats)
    if head.startswith(_GZIP_MAGIC):
        try:  # damage found later in the compressed stream raises from the records (OSError, EOFError, zlib.error)
            return _records(gzip.GzipFile(fileobj=fh, mode="rb"), stats)  # type: ignore[arg-type]  # a binary IO
        except (OSError, EOFError, zlib.error) as exc:
            raise CaptureError(f"not a pcap/pcapng capture: unreadable gzip data ({exc})") from exc
    if not head:
        raise CaptureError("not a pcap/pcapng capture: the file is empty")
    if head[:4] in PCAP_MAGICS:
        raise CaptureError(f"not a pcap/pcapng capture: the file ends inside the file header ({len(head)} of 24 bytes)")
    raise CaptureError(f"not a pcap/pcapng capture: unknown file header {head[:4].hex()}")


def _readable(records: Iterator[tuple[int, float, bytes]], stats: CaptureStats) -> Iterator[tuple[int, float, bytes]]:
    """``records``; raises :class:`CaptureError` at their end when a framing error (:attr:`CaptureStats.read_error`)
    left not one record readable: a corrupt capture, not an empty one. A capture cut after good records keeps them,
    with the error noted and sampled."""
    count = 0
    for record in records:
        count += 1
        yield record
    if not count and stats.read_error:
        raise CaptureError(f"corrupt capture, no packet could be read: {stats.read_error}")


def _framing_error(stats: CaptureStats, frame: int, error: str, data: bytes = b"") -> None:
    """Note the framing error that ended a capture's records: frame ``frame`` (1-based) could not be read."""
    stats.read_error = error
    stats.sample(frame, f"capture framing: {error}", data)


class _Replay(io.RawIOBase):
    """Bytes already read from a stream (``head``), then the rest of the stream."""

    def __init__(self, head: bytes, stream: IO[bytes]) -> None:
        self.head = head
        self.stream = stream

    @classmethod
    def of(cls, head: bytes, stream: IO[bytes]) -> IO[bytes]:
        return io.BufferedReader(cls(head, stream))

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.head:  # the head alone: the stream is not touched while the head is read again
            data, self.head = self.head[: len(buffer)], self.head[len(buffer) :]
        else:
            data = self.stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _pcap_records(fh: IO[bytes], stats: CaptureStats) -> Iterator[tuple[int, float, bytes]]:
    """Records of a classic pcap file (its 24-byte header first) as ``(linktype, time, data)``, read in large blocks
    with ``struct``.

    The framing scapy's ``RawPcapReader`` had (a short record header ends the file; data beyond 65535 bytes of a
    record is dropped; a record cut by the end of file keeps what is there), and a captured length above
    ``_MAX_CAPLEN`` is a corrupt record header.
    """
    header = fh.read(24)
    magic = header[:4]
    endian = ">" if magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d") else "<"
    divisor = 1e9 if magic in (b"\xa1\xb2\x3c\x4d", b"\x4d\x3c\xb2\xa1") else 1e6
    linktype = struct.unpack(endian + "I", header[20:24])[0]
    record = struct.Struct(endian + "IIII")

    def records() -> Iterator[tuple[int, float, bytes]]:
        buf = b""
        pos = size = 0
        offset = 24  # file offset of buf[0]
        frame = 0
        eof = False
        unpack = record.unpack_from
        while True:
            # every complete record in the buffer
            last = size - 16
            while pos <= last:
                sec, frac, caplen, _wire = unpack(buf, pos)
                start = pos + 16
                end = start + caplen
                if end > size or caplen > _MAX_CAPLEN:
                    break
                frame += 1
                if caplen > MAX_KEPT:
                    yield linktype, sec + frac / divisor, buf[start : start + MAX_KEPT]
                else:
                    yield linktype, sec + frac / divisor, buf[start:end]
                pos = end
            if size - pos >= 16 and (caplen := unpack(buf, pos)[2]) > _MAX_CAPLEN:
                # garbage where a record header should be (Wireshark refuses such records too): nothing after it
                # can be trusted
                _framing_error(
                    stats,
                    frame + 1,
                    f"corrupt record header at byte {offset + pos}: captured length {caplen} exceeds {_MAX_CAPLEN}",
                    buf[pos : pos + 16],
                )
                return
            # then the next block (at least the rest of a record cut by the block end), or what the file ends with
            if eof:
                if size - pos >= 16:  # a record cut by the end of file keeps what is there
                    sec, frac, caplen, _wire = unpack(buf, pos)
                    _framing_error(
                        stats,
                        frame + 1,
                        f"truncated capture: record {frame + 1} at byte {offset + pos} is cut by the end of the "
                        f"file ({size - pos - 16} of {caplen} bytes)",
                    )
                    yield linktype, sec + frac / divisor, buf[pos + 16 : pos + 16 + min(caplen, MAX_KEPT)]
                elif size > pos:
                    _framing_error(
                        stats,
                        frame + 1,
                        f"truncated capture: the file ends inside the header of record {frame + 1} at byte "
                        f"{offset + pos} ({size - pos} of 16 bytes)",
                        buf[pos:],
                    )
                return
            want = _PCAP_BLOCK
            if size - pos >= 16:
                want = max(want, unpack(buf, pos)[2] + 16 - (size - pos))
            more = fh.read(want)
            eof = not more
            offset += pos
            buf, pos = buf[pos:] + more, 0
            size = len(buf)

    return records()


def _pcapng_records(fh: IO[bytes], stats: CaptureStats, start: int) -> Iterator[tuple[int, float, bytes]]:
    """Records of a pcapng file as ``(linktype, time, data)`` (:func:`.pcapng.read_pcapng`). Raises
    :class:`CaptureError` if its first section header cannot be read; a later framing error ends the records,
    noted in :attr:`CaptureStats.read_error` and sampled."""
    try:
        records = read_pcapng(fh, start)
    except PcapngError as exc:
        raise CaptureError(f"not a pcap/pcapng capture: {exc}") from exc

    def framed() -> Iterator[tuple[int, float, bytes]]:
        frame = 0
        try:
            for record in records:
                frame += 1
                yield record
        except PcapngFraming as exc:
            _framing_error(stats, frame + 1, str(exc))

    return framed()


# --- names only ---------------------------------------------------------------------------------------------------

#: what :func:`read_names` yields: (frame number, capture time, kind ``dns``/``tls``/``quic``/``http``, host)
NameRecord = tuple[int, float, str, str]

_IPV4_FIXED = struct.Struct("!BxHxxHxB")  # version/ihl, total length, flags/fragment offset, protocol
_TCP_FIXED = struct.Struct("!HHIxxxxBB")  # ports, seq, data offset, flags
_UDP_FIXED = struct.Struct("!HHH")  # ports, length


class _NameDecoder(_CaptureDecoder):
    """:class:`_CaptureDecoder` reduced to names: no FLOW records, no byte counters, no event objects, flows kept
    only where a name can come from them (TCP streams, and UDP flows that may carry QUIC); DNS needs no flow.

    :meth:`run_names` decodes the common frames (Ethernet + IPv4 + TCP/UDP) inline, exactly as
    :func:`~discovery.parsers.pcap.net.decode_segment` would, and settles the packets that cannot carry a name
    (bare SYNs, ACKs, server→client segments, segments of a stream already done with) without building a
    :class:`Segment`; any other frame takes the general path (:meth:`packet`, :meth:`segment`). Client data that
    can carry a name is offered to :meth:`message`, which reads a ClientHello or request head alone in one in-order
    segment directly; everything else goes to the stream reassembly. Each shortcut leaves the flow in the state the
    general path would (``tests/discovery/pcap/test_fast_paths.py`` compares both on captures built for it).
    """

    def __init__(self, stats: CaptureStats, options: CaptureOptions) -> None:
        super().__init__(stats, CaptureOptions(**{**_options_dict(options), "emit_flows": False}))
        self.names: list[NameRecord] = []

    def run_names(self, records: Iterator[tuple[int, float, bytes]]) -> Iterator[NameRecord]:
        stats = self.stats
        names = self.names
        flows = self.flows
        linktypes = stats.linktypes
        ipv4_fixed = _IPV4_FIXED.unpack_from
        tcp_fixed = _TCP_FIXED.unpack_from
        udp_fixed = _UDP_FIXED.unpack_from
        done = State.DONE
        detect = State.DETECT
        general_tcp = _CaptureDecoder.tcp  # after message() declined: the stream machinery
        for linktype, ts, data in records:
            self.frame += 1
            stats.packets_read += 1
            self.ts = ts
            # fast path: TCP/UDP in Ethernet + IPv4 (first fragment, sane lengths, complete headers), decoded inline
            # exactly like decode_segment(); any other frame goes through packet() (VLAN, IPv6, errors, ...)
            proto = 0
            n = len(data)
            if linktype == 1 and n >= 34 and data[12] == 8 and data[13] == 0:
                vihl, total, frag, proto = ipv4_fixed(data, 14)
                ihl = (vihl & 0x0F) << 2
                if vihl >> 4 == 4 and ihl >= 20 and not frag & 0x1FFF and total >= ihl:
                    end = 14 + total
                    cap_end = end if end < n else n
                    pos = 14 + ihl
                    if proto == PROTO_TCP and cap_end >= pos + 20:
                        sport, dport, seq, doff, flags = tcp_fixed(data, pos)
                        start = pos + ((doff >> 4) << 2)
                        if doff < 0x50 or cap_end < start:
                            proto = 0
                    elif proto == PROTO_UDP and cap_end >= pos + 8:
                        sport, dport, ulen = udp_fixed(data, pos)
                        start = pos + 8
                    else:
                        proto = 0
                else:
                    proto = 0
            if not proto:
                self.packet(linktype, data)
            else:
                linktypes[1] = linktypes.get(1, 0) + 1
                stats.packets_decoded += 1
                # tick(), inline
                if ts > self.clock:
                    self.clock = ts
                elif ts < self.clock and self.timers is not None:
                    self.unordered()
                if self.last_sweep is None:
                    self.last_sweep = self.clock
                elif self.clock - self.last_sweep >= _SWEEP_INTERVAL:
                    self.sweep()
                wire = end - start
                if wire < 0:
                    wire = 0
                if proto == PROTO_TCP:
                    src = data[26:30]
                    dst = data[30:34]
                    flow = flows.get((PROTO_TCP, src, sport, dst, dport))
                    if flow is not None and flags & _SYN_ONLY_MASK != TCP_SYN:
                        # client→server, not a SYN that may reuse the tuple (lookup() would find this flow)
                        flow.last_ts = ts
                        if flags & _CLOSING and not flow.closed:
                            self.closed(flow)
                        stream = flow.stream
                        if stream is None:  # no client data yet (see _Flow.next_seq)
                            if start == cap_end and not wire:
                                if flags & TCP_SYN and flow.next_seq is None:
                                    flow.next_seq = (seq + 1) & _SEQ_MASK
                            elif not (
                                not flags & _SYN_FIN_RST
                                and cap_end - start == wire
                                and (flow.next_seq is None or flow.next_seq == seq)
                                and self.message(flow, None, data, start, cap_end, seq)
                            ):
                                general_tcp(
                                    self,
                                    flow,
                                    Segment(
                                        PROTO_TCP, 4, src, dst, sport, dport, data[start:cap_end], wire, flags, seq
                                    ),
                                    True,
                                )
                        elif stream.state is done:
                            pass  # what tcp() does with it: nothing more
                        elif start == cap_end and not wire and not flags & TCP_SYN:
                            pass  # what ClientStream.segment() does with it: nothing
                        elif not (
                            start < cap_end
                            and not flags & _SYN_FIN_RST
                            and stream.state is detect
                            and stream.next_seq == seq
                            and cap_end - start == wire
                            and not stream.buf
                            and not stream.ooo
                            and self.message(flow, stream, data, start, cap_end, seq)
                        ):
                            general_tcp(
                                self,
                                flow,
                                Segment(PROTO_TCP, 4, src, dst, sport, dport, data[start:cap_end], wire, flags, seq),
                                True,
                            )
                    elif flow is None and (reverse := flows.get((PROTO_TCP, dst, dport, src, sport))) is not None:
                        # server→client: only the flow's clock and FIN/RST matter
                        reverse.last_ts = ts
                        if flags & _CLOSING and not reverse.closed:
                            self.closed(reverse)
                    elif flow is None and flags & _BARE_SYN_MASK == TCP_SYN and start == cap_end and not wire:
                        # a bare SYN opening a flow: lookup() and tcp() inline
                        flow = self.new_flow(PROTO_TCP, 4, src, sport, dst, dport)
                        flow.syn_seq = seq
                        flow.next_seq = (seq + 1) & _SEQ_MASK
                    else:
                        self.segment(
                            Segment(PROTO_TCP, 4, src, dst, sport, dport, data[start:cap_end], wire, flags, seq)
                        )
                else:
                    if ulen >= 8:
                        wire = ulen - 8
                        stop = start + wire
                        if stop > cap_end:
                            stop = cap_end
                    else:  # as decode_segment(): fall back to the IP length
                        stop = cap_end
                    resolution = _resolution(sport, dport)
                    if resolution is not None:
                        self.dns_names(data[start:stop], resolution)
                    else:
                        self.segment(
                            Segment(PROTO_UDP, 4, data[26:30], data[30:34], sport, dport, data[start:stop], wire, 0, 0)
                        )
            if names:
                yield from names
                names.clear()
        for flow in list(flows.values()):
            self.finish(flow)
        flows.clear()
        yield from names
        names.clear()

    def segment(self, seg: Segment) -> None:
        """:meth:`_CaptureDecoder.segment` without the per-flow byte counters, and DNS without a flow."""
        if seg.proto != PROTO_TCP:
            resolution = _resolution(seg.sport, seg.dport)
            if resolution is not None:
                self.dns_names(seg.payload, resolution)
                return
        flow, to_server = self.lookup(seg)
        flow.last_ts = self.ts
        if seg.proto == PROTO_TCP:
            self.tcp(flow, seg, to_server)
        elif to_server and not flow.quic_done and seg.payload:
            self.quic(flow, seg.payload)

    def finish(self, flow: _Flow) -> None:
        """Only an HTTP request whose body was cut by the end of the flow gives a name at its end (results are
        drained after every segment, so :meth:`ClientStream.close` is the only source left)."""
        flow.timer = None
        stream = flow.stream
        if stream is not None and stream.request is not None:
            stream.close()
            self.drain(flow)
        flow.stream = flow.quic = None

    def tcp(self, flow: _Flow, seg: Segment, to_server: bool) -> None:
        """:meth:`_CaptureDecoder.tcp`, with a bare SYN and a message alone in one in-order segment (see
        :meth:`message`) settled without the stream machinery."""
        if to_server:
            stream = flow.stream
            payload = seg.payload
            flags = seg.flags
            seq = seg.seq
            if flags & _BARE_SYN_MASK == TCP_SYN and not payload and not seg.wire_len:
                # a bare SYN: what the general tcp() and ClientStream.segment() do with it, inline
                flow.syn_seq = seq
                if stream is None:
                    if flow.next_seq is None:
                        flow.next_seq = (seq + 1) & _SEQ_MASK
                elif stream.state is not State.DONE and stream.next_seq is None:
                    stream.next_seq = (seq + 1) & _SEQ_MASK
                return
            if (
                payload
                and not flags & _SYN_FIN_RST
                and len(payload) == seg.wire_len
                and (
                    flow.next_seq in (None, seq)
                    if stream is None
                    else (stream.state is State.DETECT and stream.next_seq == seq and not stream.buf and not stream.ooo)
                )
                and self.message(flow, stream, payload, 0, len(payload), seq)
            ):
                return
        super().tcp(flow, seg, to_server)

    def message(self, flow: _Flow, stream: ClientStream | None, data: bytes, start: int, end: int, seq: int) -> bool:
        """Read ``data[start:end]``, the whole payload of the next in-order segment of a stream waiting for a
        message (``DETECT``, nothing buffered; ``stream`` is ``None`` before the flow's first client data), if it
        is exactly one ClientHello in one TLS record or one body-less HTTP request head; give the stream the state
        its machinery would reach and return ``True``. ``False`` (nothing changed) for anything else, including what
        the stream would report as malformed."""
        size = end - start
        if data[start] == CONTENT_TYPE_HANDSHAKE:
            if size <= 9 or data[start + 1] != 3 or data[start + 5] != HANDSHAKE_CLIENT_HELLO:
                return False
            record = (data[start + 3] << 8) | data[start + 4]
            length = (data[start + 6] << 16) | (data[start + 7] << 8) | data[start + 8]
            if not (record == size - 5 <= MAX_RECORD and length == record - 4 <= MAX_HELLO):
                return False
            try:
                sni = client_hello_sni(data[start + 9 : end])
            except NotClientHello:
                return False  # the stream reports it
            # everything after the ClientHello is encrypted: the stream is done
            if stream is None:
                flow.stream = _DONE_STREAM
            else:
                stream.next_seq = (seq + size) & _SEQ_MASK
                stream.state = State.DONE
            if sni:
                self.name_found("tls", normalize_host(sni))
            else:
                self.stats.tls_without_sni += 1
            return True
        if METHOD_PREFIX.match(data, start, end) is None:
            return False
        head_end = find_head_end(data, start, end)
        if head_end is None or head_end[1] != end:
            return False
        try:
            request = parse_request_head(data[start : head_end[0]])
        except HttpError:
            return False  # the stream reports it
        if request.method == "CONNECT" or request.chunked or request.content_length:
            return False
        # the stream stays in DETECT, for the next request
        if stream is None:
            flow.next_seq = (seq + size) & _SEQ_MASK
        else:
            stream.next_seq = (seq + size) & _SEQ_MASK
        self.http(flow, request, 0, True)
        return True

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

    def dns_names(self, payload: bytes, resolution: str) -> None:
        for question in self.questions(payload, resolution):
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
    cut). Built for speed (``bench/bench_pcap_200k.py`` compares it with ``tshark -Y ... -T fields``): see
    :class:`_NameDecoder` for the shortcuts, each of which leaves the flow in the state the general path would.
    """
    stats = stats if stats is not None else CaptureStats()
    with _opened(source) as fh:
        yield from _NameDecoder(stats, options or CaptureOptions()).run_names(_records(fh, stats))
