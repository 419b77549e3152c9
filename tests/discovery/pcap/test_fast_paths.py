"""The shortcuts taken for speed give exactly what the general path gives.

``read_names`` decodes Ethernet + IPv4 frames inline, settles bare SYNs, ACKs and server segments without building
a segment, reads a ClientHello or an HTTP request head that is alone in one in-order segment without the stream
machinery, and a flow gets its ``ClientStream`` only when data needs one; ``read_capture`` decodes every frame with
``decode_segment`` and feeds every client segment to the stream. On captures built to sit on the edges of those
shortcuts, both must give the same names at the same frames with the same counters, and the names expected.

Also here: the parsers rewritten for speed against their previous, plain implementations (kept below as the
reference), the block record walker against a plain record-by-record reader, and the sweep timers against the full scan.
"""

from __future__ import annotations

import dataclasses
import io
import itertools
import math
import random
import re
import struct
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import discovery.parsers.pcap as pcap_module
from discovery.parsers.base import EventKind
from discovery.parsers.pcap import (
    CaptureError,
    CaptureOptions,
    CaptureStats,
    _CaptureDecoder,
    _pcap_records,
    _records,
    read_capture,
    read_names,
)
from discovery.parsers.pcap.dns import DnsError, read_name
from discovery.parsers.pcap.http import HEAD_END, HttpError, find_head_end, parse_request_head
from discovery.parsers.pcap.tls import NotClientHello, client_hello_sni, parse_client_hello

from ._packets import ARP, DNS, DNSQR, IP, TCP, UDP, Dot1Q, Ether, IPv6, Layer, Raw, read_pcap, read_pcap_stream
from ._support import capture, write_pcap

#: every counter of CaptureStats but the per-kind event counts (read_names has no FLOW events) and the flow counters
#: (DNS datagrams open no flow in read_names)
COUNTERS = [
    spec.name
    for spec in dataclasses.fields(CaptureStats)
    if spec.name not in ("events", "flows", "flows_evicted", "malformed_samples")
]

#: a ClientHello record (bytes kept as first built) with server_name "claude.ai", ALPN h2/http1.1 and supported_versions
HELLO = bytes.fromhex(
    "1603030074010000700303000000009384f0bea886a79b76471c9a027a3a689a11c34c9da33feea3e183bc00001ac02bc023c02fc027"
    "009e0067009c003cc009c0130033002f000a0100002d0000000e000c000009636c617564652e61690010000e000c02683208687474702f"
    "312e31002b00050403040303"
)


def _hello_without(extension_type: int) -> bytes:
    """``HELLO`` with one extension removed (record, handshake and extensions lengths fixed)."""
    body = HELLO[9:]
    pos = 34
    pos += 1 + body[pos]
    pos += 2 + int.from_bytes(body[pos : pos + 2], "big")
    pos += 1 + body[pos]
    ext_start = pos + 2
    extensions, epos = b"", ext_start
    while epos < len(body):
        etype, elen = int.from_bytes(body[epos : epos + 2], "big"), int.from_bytes(body[epos + 2 : epos + 4], "big")
        if etype != extension_type:
            extensions += body[epos : epos + 4 + elen]
        epos += 4 + elen
    new_body = body[:pos] + len(extensions).to_bytes(2, "big") + extensions
    handshake = b"\x01" + len(new_body).to_bytes(3, "big") + new_body
    return HELLO[:3] + len(handshake).to_bytes(2, "big") + handshake


C4, S4 = "10.0.0.1", "192.0.2.10"
MAC_C, MAC_S = "02:00:00:00:00:01", "02:00:00:00:00:02"
ETHER = Ether(src=MAC_C, dst=MAC_S)
C6, S6 = "2001:db8::1", "2001:db8::10"
Link = Callable[[Layer], tuple[bytes, bool]]  # transport layer → frame bytes; bool: client→server


def _eth4(l4: Layer, up: bool = True, **ip: Any) -> bytes:
    return bytes(ETHER / IP(src=C4 if up else S4, dst=S4 if up else C4, **ip) / l4)


def _vlan(l4: Layer, up: bool = True) -> bytes:
    return bytes(ETHER / Dot1Q(vlan=7) / IP(src=C4 if up else S4, dst=S4 if up else C4) / l4)


def _eth6(l4: Layer, up: bool = True) -> bytes:
    return bytes(ETHER / IPv6(src=C6 if up else S6, dst=S6 if up else C6) / l4)


def _raw(l4: Layer, up: bool = True) -> bytes:
    return bytes(IP(src=C4 if up else S4, dst=S4 if up else C4) / l4)


def _null(l4: Layer, up: bool = True) -> bytes:
    return struct.pack("<I", 2) + _raw(l4, up)


def _options(l4: Layer, up: bool = True) -> bytes:
    return _eth4(l4, up, options=[b"\x01"] * 4)  # NOP options  # IHL 6


LINKS: dict[str, tuple[Callable[..., bytes], int]] = {
    "ethernet": (_eth4, 1),
    "ethernet + ip options": (_options, 1),
    "802.1q": (_vlan, 1),
    "ipv6": (_eth6, 1),
    "raw ip": (_raw, 101),
    "bsd loopback": (_null, 0),
}


def _session(
    link: Callable[..., bytes],
    pieces: list[tuple[int, bytes]] | list[bytes],
    *,
    dport: int = 443,
    sport: int = 40000,
    handshake: bool = True,
    fin: bool = False,
    flags: str = "PA",
) -> list[bytes]:
    """A TCP connection: SYN, SYN/ACK (unless ``handshake`` is false), then client segments given as payloads in
    order or as ``(offset, payload)`` in wire order (offsets from the first data byte), then a FIN if asked."""
    isn = 1000
    frames = []
    if handshake:
        frames.append(link(TCP(sport=sport, dport=dport, flags="S", seq=isn)))
        frames.append(link(TCP(sport=dport, dport=sport, flags="SA", seq=9000, ack=isn + 1), False))
    offset = 0
    end = 0
    for piece in pieces:
        if isinstance(piece, tuple):
            offset, payload = piece
        else:
            payload = piece
        frames.append(link(TCP(sport=sport, dport=dport, flags=flags, seq=isn + 1 + offset, ack=9001) / payload))
        frames.append(link(TCP(sport=dport, dport=sport, flags="A", seq=9001, ack=isn + 1 + offset), False))
        offset += len(payload)
        end = max(end, offset)
    if fin:
        frames.append(link(TCP(sport=sport, dport=dport, flags="FA", seq=isn + 1 + end, ack=9001)))
    return frames


def _dns(link: Callable[..., bytes], name: str, *, sport: int = 53001, dport: int = 53, **dns: Any) -> bytes:
    dns.setdefault("qd", DNSQR(qname=name))
    return link(UDP(sport=sport, dport=dport) / DNS(rd=1, **dns))


GET = b"GET /index.html HTTP/1.1\r\nHost: ChatGPT.com:80\r\nUser-Agent: t\r\n\r\n"
POST = b"POST /v1/chat HTTP/1.1\r\nHost: api.example.ai\r\nContent-Length: 10\r\n\r\n"


def _names_and_general(
    path: Path | bytes, options: CaptureOptions | None = None
) -> tuple[list[tuple[int, str, str]], CaptureStats]:
    """The names of ``read_names``, checked equal (frames, times, kinds, hosts, order, counters, samples) to the
    DNS/TLS/QUIC/HTTP events of ``read_capture``."""
    options = options or CaptureOptions()

    def source() -> object:
        return io.BytesIO(path) if isinstance(path, bytes) else path

    general_stats, names_stats = CaptureStats(), CaptureStats()
    general = [
        (e.extra["frame"], e.timestamp, e.kind.value, e.host)
        for e in read_capture(source(), general_stats, options=options)  # type: ignore[arg-type]
        if e.kind is not EventKind.FLOW
    ]
    names = [
        (frame, datetime.fromtimestamp(ts, UTC), kind, host)
        for frame, ts, kind, host in read_names(source(), names_stats, options=options)  # type: ignore[arg-type]
    ]
    assert names == general
    for counter in COUNTERS:
        assert getattr(names_stats, counter) == getattr(general_stats, counter), counter
    assert names_stats.malformed_samples == general_stats.malformed_samples
    return [(frame, kind, host) for frame, _, kind, host in names], names_stats


# -- TCP: ClientHellos and HTTP requests on and off the shortcuts ------------------------------------------------

HELLO_SPLIT = [HELLO[:40], HELLO[40:90], HELLO[90:]]

#: name: (client pieces, session keyword arguments, expected (frame, kind, host), counter that must be 1 or None)
TCP_CASES: dict[str, tuple[list[Any], dict[str, Any], list[tuple[int, str, str]], str | None]] = {
    "hello in one segment": ([HELLO], {}, [(3, "tls", "claude.ai")], None),
    "hello in three segments": (HELLO_SPLIT, {}, [(7, "tls", "claude.ai")], None),
    "hello in three segments, out of order": (
        [(90, HELLO[90:]), (0, HELLO[:40]), (40, HELLO[40:90])],
        {},
        [(7, "tls", "claude.ai")],
        None,
    ),
    "hello retransmitted": ([(0, HELLO), (0, HELLO)], {}, [(3, "tls", "claude.ai")], None),
    "hello with the first bytes lost": ([(40, HELLO[40:])], {}, [], None),
    "hello after a gap": ([(10, HELLO)], {}, [], None),
    "hello without handshake seen": ([HELLO], {"handshake": False}, [(1, "tls", "claude.ai")], None),
    "hello without sni": ([_hello_without(0)], {}, [], "tls_without_sni"),
    "hello with a cut extension": (
        [HELLO[:3] + b"\x00\x70" + HELLO[5:8] + b"\x6c" + HELLO[9:-4]],
        {},
        [],
        "not_client_hello",
    ),
    "hello in two records, one segment": (
        [HELLO[:3] + b"\x00\x30" + HELLO[5:53] + HELLO[:3] + (len(HELLO) - 53).to_bytes(2, "big") + HELLO[53:]],
        {},
        [(3, "tls", "claude.ai")],
        None,
    ),
    "hello with FIN": ([HELLO], {"flags": "FPA"}, [(3, "tls", "claude.ai")], None),
    "hello after other bytes": ([b"\x00\x01", HELLO], {}, [], None),
    "http get": ([GET], {"dport": 80}, [(3, "http", "chatgpt.com")], None),
    "http post head alone, then its body, then a get": (
        [POST, b"0123456789", GET],
        {"dport": 80},
        [(5, "http", "api.example.ai"), (7, "http", "chatgpt.com")],
        None,
    ),
    "http head in two segments": ([GET[:20], GET[20:]], {"dport": 80}, [(5, "http", "chatgpt.com")], None),
    "http get, post with a body in two segments, get": (
        [GET, POST + b"01234", b"56789", b"GET / HTTP/1.0\r\n\r\n"],
        {"dport": 80},
        [(3, "http", "chatgpt.com"), (7, "http", "api.example.ai"), (9, "http", "SERVER")],
        None,
    ),
    "http absolute-form target": (
        [b"GET http://user@Proxy.Example:8080/x HTTP/1.1\r\nHost: other.example\r\n\r\n"],
        {"dport": 80},
        [(3, "http", "proxy.example")],
        None,
    ),
    "http with lf line ends": (
        [b"GET / HTTP/1.1\nHost: lf.example\n\n"],
        {"dport": 80},
        [(3, "http", "lf.example")],
        None,
    ),
    "http head and more in one segment": (
        [GET + b"GET /b HTTP/1.1\r\nHost: b.example\r\n\r\n"],
        {"dport": 80},
        [(3, "http", "chatgpt.com"), (3, "http", "b.example")],
        None,
    ),
    "http bad header line": ([b"GET / HTTP/1.1\r\nno colon\r\n\r\n"], {"dport": 80}, [], "malformed_http"),
    "http connect, then the tunnelled hello": (
        [b"CONNECT claude.ai:443 HTTP/1.1\r\nHost: claude.ai:443\r\n\r\n", HELLO],
        {"dport": 3128},
        [(3, "http", "claude.ai"), (5, "tls", "claude.ai")],
        None,
    ),
    "http chunked body": (
        [b"POST / HTTP/1.1\r\nHost: c.example\r\nTransfer-Encoding: chunked\r\n\r\n", b"3\r\nabc\r\n0\r\n\r\n"],
        {"dport": 80},
        [(5, "http", "c.example")],
        None,
    ),
    "http body cut by the end of the capture": (
        [POST + b"0123"],
        {"dport": 80},
        [(4, "http", "api.example.ai")],
        None,
    ),
    "not tls, not http": ([b"SSH-2.0-OpenSSH_9.6\r\n", HELLO], {"dport": 22}, [], None),
}


@pytest.mark.parametrize("link", LINKS, ids=list(LINKS))
@pytest.mark.parametrize("case", TCP_CASES, ids=list(TCP_CASES))
def test_tcp_names_match_the_general_path(case: str, link: str, tmp_path: Path) -> None:
    # given one TCP connection framed with this link layer
    pieces, kwargs, expected, counter = TCP_CASES[case]
    build, linktype = LINKS[link]
    path = write_pcap(tmp_path / "x.pcap", _session(build, pieces, **kwargs), linktype)

    # when
    names, stats = _names_and_general(path)

    # then (a request without a Host is named by the server address)
    server = S6 if link == "ipv6" else S4
    assert names == [(frame, kind, server if host == "SERVER" else host) for frame, kind, host in expected]
    if counter:
        assert getattr(stats, counter) == 1


def test_hello_cut_by_the_snap_length_is_a_gap_not_a_name(tmp_path: Path) -> None:
    # given the hello segment captured with a 100-byte snap length
    path = write_pcap(tmp_path / "x.pcap", _session(_eth4, [HELLO]), 1, snaplen=100)

    # when
    names, stats = _names_and_general(path)

    # then
    assert names == []
    assert stats.reassembly_gaps == 1


def test_tuple_reused_after_fin_gives_both_hellos(tmp_path: Path) -> None:
    # given two connections on the same 5-tuple, the first closed with FIN
    other = HELLO.replace(b"\x09claude.ai", b"\x09gemini.ai")
    frames = _session(_eth4, [HELLO], fin=True) + _session(_eth4, [other])

    # when
    names, stats = _names_and_general(write_pcap(tmp_path / "x.pcap", frames, 1))

    # then
    assert names == [(3, "tls", "claude.ai"), (8, "tls", "gemini.ai")]
    assert stats.flows == 2


def test_syn_ack_seen_first_makes_the_receiver_the_client(tmp_path: Path) -> None:
    # given a capture that starts with the server's SYN/ACK
    frames = _session(_eth4, [HELLO])[1:]

    # when / then
    assert _names_and_general(write_pcap(tmp_path / "x.pcap", frames, 1))[0] == [(2, "tls", "claude.ai")]


def test_hello_from_the_server_side_is_not_read(tmp_path: Path) -> None:
    # given a connection whose SYN was seen, then a "hello" sent by the server
    frames = [*_session(_eth4, []), _eth4(TCP(sport=443, dport=40000, flags="PA", seq=9001, ack=1001) / HELLO, False)]

    # when / then
    assert _names_and_general(write_pcap(tmp_path / "x.pcap", frames, 1))[0] == []


# -- UDP, malformed and truncated frames ---------------------------------------------------------------------------


@pytest.mark.parametrize("include_local_names", [False, True])
@pytest.mark.parametrize("link", LINKS, ids=list(LINKS))
def test_dns_names_match_the_general_path(link: str, include_local_names: bool, tmp_path: Path) -> None:
    # given queries, a response, mDNS/LLMNR, a malformed message and non-DNS datagrams
    build, linktype = LINKS[link]
    frames = [
        _dns(build, "chatgpt.com"),
        _dns(build, "", qd=[DNSQR(qname="a.example"), DNSQR(qname="B.example", qtype="AAAA")]),
        _dns(build, "answer.example", qr=1),
        _dns(build, "printer.local", sport=5353, dport=5353),
        _dns(build, "wpad", sport=60000, dport=5355),
        _dns(build, "reverse.example", sport=53, dport=5353),  # DNS port wins
        build(UDP(sport=53002, dport=53) / b"\x00\x01"),
        build(UDP(sport=53003, dport=53, len=10) / b"\x00\x01\x02\x03"),  # malformed; UDP length < IP payload
        build(UDP(sport=53004, dport=53, len=200) / bytes(DNS(rd=1, qd=DNSQR(qname="long.example")))),
        build(UDP(sport=50000, dport=443) / (b"\xc0\x00\x00\x00\x01" + b"\x00" * 40)),  # QUIC-like, bad
        build(UDP(sport=50001, dport=9999) / b"hello"),
    ]
    options = CaptureOptions(include_local_names=include_local_names)

    # when
    names, stats = _names_and_general(write_pcap(tmp_path / "x.pcap", frames, linktype), options)

    # then
    expected = [(1, "dns", "chatgpt.com"), (2, "dns", "a.example"), (2, "dns", "b.example")]
    if include_local_names:
        expected += [(4, "dns", "printer.local"), (5, "dns", "wpad")]
    assert names == [*expected, (6, "dns", "reverse.example"), (9, "dns", "long.example")]
    assert (stats.local_name_queries, stats.dns_malformed) == (2, 2)
    assert [sample["hex"] for sample in stats.malformed_samples if sample["error"].startswith("dns")] == ["0001"] * 2


TRUNCATED = {
    "ethernet only": bytes(ETHER),
    "ip header cut": _eth4(UDP() / b"x")[:30],
    "tcp header cut": _eth4(TCP(sport=1, dport=2))[:40],
    "tcp options cut": _eth4(TCP(sport=1, dport=2, dataofs=10))[:60],
    "tcp data offset below 5": _eth4(TCP(sport=1, dport=2, dataofs=3)),
    "udp header cut": _eth4(UDP(sport=53, dport=53))[:38],
    "ip total length below the header": _eth4(TCP(sport=1, dport=2), len=12),
    "ip total length 0 (offload)": _eth4(TCP(sport=40000, dport=443, flags="PA", seq=1001) / HELLO, len=0),
    "ip version 6 in an ipv4 frame": bytes(
        Ether(src=MAC_C, dst=MAC_S, type=0x0800) / IPv6(src=C6, dst=S6) / UDP() / b"x"
    ),
    "ip header length 4": bytes(ETHER / IP(ihl=4, src=C4, dst=S4) / UDP()),
    "non-first fragment": _eth4(UDP(sport=53, dport=53) / (b"x" * 20), frag=10),
    "icmp": _eth4(Raw(b"\x08\x00\x00\x00"), proto=1),
    "arp": bytes(ETHER / ARP()),
    "ip total length past the frame": _eth4(UDP(sport=5000, dport=53) / DNS(qd=DNSQR(qname="long.example")), len=300),
}


def test_truncated_and_odd_frames_match_the_general_path(tmp_path: Path) -> None:
    # given every odd frame, each followed by a good query, all in one capture
    frames: list[bytes] = []
    for frame in TRUNCATED.values():
        frames += [frame, _dns(_eth4, "ok.example")]

    # when
    names, stats = _names_and_general(write_pcap(tmp_path / "x.pcap", frames, 1))

    # then every good query is read, the odd frames are counted
    assert [n for n in names if n[2] == "ok.example"] == [
        (2 * i + 2, "dns", "ok.example") for i in range(len(TRUNCATED))
    ]
    assert stats.packets_truncated >= 4
    assert stats.packets_undecodable >= 2
    assert stats.packets_skipped >= 3


def _pcapng(frames: list[tuple[int, float, bytes]], linktypes: list[int]) -> bytes:
    """A little-endian pcapng: one section, one interface per linktype, Enhanced Packet Blocks
    ``(interface, time, data)`` with the default microsecond resolution."""

    def block(kind: int, body: bytes) -> bytes:
        body += b"\x00" * (-len(body) % 4)
        return struct.pack("<II", kind, len(body) + 12) + body + struct.pack("<I", len(body) + 12)

    out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    for linktype in linktypes:
        out += block(1, struct.pack("<HHI", linktype, 0, 65535))
    for interface, ts, data in frames:
        micros = round(ts * 1e6)
        out += block(
            6, struct.pack("<IIIII", interface, micros >> 32, micros & 0xFFFFFFFF, len(data), len(data)) + data
        )
    return out


def test_pcapng_with_several_interfaces(tmp_path: Path) -> None:
    # given a pcapng whose packets come from an Ethernet and a raw-IP interface
    eth, raw = _session(_eth4, [HELLO]), _session(_raw, [GET], dport=80, sport=41000)
    frames = [(0, 1_700_000_000.0 + i, f) for i, f in enumerate(eth)]
    frames += [(1, 1_700_000_010.25 + i, f) for i, f in enumerate(raw)]
    frames.append((1, 1_700_000_020.0, _dns(_raw, "ng.example")))

    # when
    names, stats = _names_and_general(_pcapng(frames, [1, 101]))

    # then
    assert names == [(3, "tls", "claude.ai"), (7, "http", "chatgpt.com"), (9, "dns", "ng.example")]
    assert stats.linktypes == {1: 4, 101: 5}


# -- sweep timers --------------------------------------------------------------------------------------------------


def _busy_capture(seed: int, *, backwards: bool) -> tuple[list[bytes], list[float]]:
    """Many short TCP and UDP flows over a few minutes: hellos, FINs, RSTs, reused tuples, idle gaps."""
    rng = random.Random(seed)
    frames: list[bytes] = []
    times: list[float] = []
    ts = 1_700_000_000.0
    for index in range(400):
        sport = 20000 + rng.randrange(60)  # reused tuples
        kind = rng.random()
        if kind < 0.5:
            pieces = [HELLO] if rng.random() < 0.7 else [HELLO[:50], HELLO[50:]]
            session = _session(_eth4, pieces, sport=sport, fin=rng.random() < 0.4)
            if rng.random() < 0.2:
                session.append(_eth4(TCP(sport=443, dport=sport, flags="R", seq=9001), False))
        elif kind < 0.8:
            session = [_eth4(UDP(sport=sport, dport=9000 + rng.randrange(3)) / (b"x" * rng.randrange(1, 30)))]
        else:
            session = _session(_eth4, [POST + b"01234"], dport=80, sport=sport)  # body never completes
        for frame in session:
            ts += rng.choice([0.01, 0.5, 2.0, 7.0]) if rng.random() < 0.9 else 40.0
            if backwards and index == 200:
                ts -= 30.0  # the capture's time goes back once
            frames.append(frame)
            times.append(ts)
    return frames, times


@pytest.mark.parametrize("slack", [4096, -(10**9)], ids=["timers kept", "timers rebuilt at every sweep"])
@pytest.mark.parametrize("backwards", [False, True], ids=["monotonic", "time goes back"])
@pytest.mark.parametrize("seed", [1, 2])
def test_sweep_timers_expire_flows_like_the_full_scan(
    seed: int, backwards: bool, slack: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a busy capture and short timeouts
    monkeypatch.setattr(pcap_module, "_TIMER_SLACK", slack)
    frames, times = _busy_capture(seed, backwards=backwards)
    path = write_pcap(tmp_path / "x.pcap", frames, 1, times=times)
    options = CaptureOptions(tcp_timeout=20.0, tcp_closed_timeout=3.0, udp_timeout=9.0, max_flows=40)

    def events(timers: bool) -> list[tuple[Any, ...]]:
        stats = CaptureStats()
        decoder = _CaptureDecoder(stats, options)
        if not timers:
            decoder.unordered()  # sweeps look at every flow
        with path.open("rb") as handle:
            out = [
                (e.kind.value, e.host, e.extra["frame"], e.upload_bytes) for e in decoder.run(_records(handle, stats))
            ]
        return [*out, ("stats", stats.flows, stats.flows_evicted)]

    # when
    with_timers, full_scan = events(True), events(False)

    # then the same events in the same order (FLOW records come when flows expire, so their place in the stream
    # says when), and flows did expire during the capture, not only at its end
    assert with_timers == full_scan
    flows = [i for i, event in enumerate(full_scan) if event[0] == "flow"]
    assert flows[0] < len(full_scan) // 2
    # and read_names agrees with read_capture on it
    _names_and_general(path, options)


def test_flows_expire_like_the_full_scan_when_time_goes_back(tmp_path: Path) -> None:
    # given a request whose body never completes (flow A, at t=1000), the clock moved on by another flow (t=1200),
    # then a late packet of A stamped t=900, before A's last one: A is now idle since 900, not since 1000
    post = _session(_eth4, [POST + b"0123"], dport=80)
    other = [_eth4(UDP(sport=7000, dport=9000) / b"x")] * 3
    frames = [*post[:4], other[0], post[3], other[1], other[2]]
    times = [1000.0, 1000.0, 1000.0, 1000.0, 1200.0, 900.0, 1250.0, 1310.0]

    # when
    names, _ = _names_and_general(write_pcap(tmp_path / "x.pcap", frames, 1, times=times))

    # then A expires at t=1250 (idle 350 s > 300 s), not at t=1310 as its first timer said
    assert names == [(7, "http", "api.example.ai")]


def test_timer_buckets_are_never_late() -> None:
    # given flow times and timeouts, some on the edges of the 5 s sweep grid
    rng = random.Random(5)
    cases = []
    for _ in range(20_000):
        edge = 5.0 * rng.choice([0, 1, 2, 340_000_000, 20_000_000_000 // 5]) + rng.choice([0.0, 1e-6, -1e-6, 2.5])
        timeout = rng.choice([0.1, 0.2, 0.3, 2.9, 30.0, 300.0, 1e-5])
        last = edge - timeout + rng.choice([0.0, 1e-9, -1e-9, 1e-6, -1e-6])
        cases.append((last, timeout, edge + rng.choice([0.0, 1e-9, -1e-9, 1e-6])))
    for last, timeout, now in cases:
        # when a sweep at ``now`` would expire the flow
        if now - last > timeout:
            # then its timer is in a bucket that sweep looks at
            assert pcap_module._timer_key(last + timeout) <= now // 5.0, (last, timeout, now)
    assert pcap_module._timer_key(1000.0 + math.inf) == pcap_module._NO_TIMER
    assert pcap_module._timer_key(1000.0 - math.inf) <= 0
    assert pcap_module._timer_key(math.nan) <= 0


# -- record walker -------------------------------------------------------------------------------------------------


def _plain_records(data: bytes) -> list[tuple[int, float, bytes]]:
    return read_pcap_stream(io.BytesIO(data))


@pytest.mark.parametrize("block", [17, 64, 1000, 4 << 20])
def test_block_walker_frames_like_the_plain_reader_at_any_cut(block: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # given a capture with records of many sizes (one larger than the 65535-byte record limit), read in blocks
    # smaller than a record and larger than the file
    monkeypatch.setattr(pcap_module, "_PCAP_BLOCK", block)
    frames = [*_session(_eth4, HELLO_SPLIT), b"", b"\x00" * 70_000, _dns(_eth4, "x.example")]
    data = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
    for index, frame in enumerate(frames):
        data += struct.pack("<IIII", 1_700_000_000 + index, 250_000, len(frame), len(frame)) + frame
    for cut in sorted({*range(0, 120, 7), *range(len(data) - 120, len(data) + 1, 5), len(data) - 70_100}):
        content = bytes(data[: len(data) - cut])
        if len(content) < 24:
            continue  # no file header: not a pcap
        # when
        records = _pcap_records(io.BytesIO(content), CaptureStats())
        assert records is not None
        # then
        assert list(records) == _plain_records(content), cut


class _Pipe(io.RawIOBase):
    """A stream that cannot seek and hands out at most 7 bytes a read, like a pipe."""

    def __init__(self, data: bytes) -> None:
        self.data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer: Any) -> int:
        chunk = self.data.read(min(len(buffer), 7))
        buffer[: len(chunk)] = chunk
        return len(chunk)


@pytest.mark.parametrize("name", ["web.pcap", "merged-quic-rawdns.pcapng"])
def test_a_stream_that_cannot_seek_is_read_like_the_file(name: str) -> None:
    # given a sample capture as a file, and as a pipe-like stream
    path = capture(name)
    data = path.read_bytes()

    # when / then
    assert list(read_names(_Pipe(data))) == list(read_names(path))  # type: ignore[arg-type]
    assert [e.extra for e in read_capture(_Pipe(data))] == [e.extra for e in read_capture(path)]  # type: ignore[arg-type]
    with pytest.raises(CaptureError):
        list(read_names(_Pipe(b"not a capture, " * 4)))  # type: ignore[arg-type]


@pytest.mark.parametrize("magic", ["a1b2c3d4", "a1b23c4d"], ids=["micro", "nano"])
def test_block_walker_reads_big_endian_files(magic: str) -> None:
    # given a big-endian pcap
    frame = _dns(_eth4, "be.example")
    data = bytes.fromhex(magic) + struct.pack(">HHiIII", 2, 4, 0, 0, 65535, 1)
    data += struct.pack(">IIII", 1_700_000_000, 123_456_789, len(frame), len(frame)) + frame

    # when
    records = _pcap_records(io.BytesIO(data), CaptureStats())

    # then
    assert records is not None
    assert list(records) == _plain_records(data)


def test_sample_captures_read_in_small_blocks_give_the_same_names(monkeypatch: pytest.MonkeyPatch) -> None:
    # given a sample read whole, then in 1,500-byte blocks
    path = capture("wikipedia.pcap")
    whole = list(read_names(path))
    monkeypatch.setattr(pcap_module, "_PCAP_BLOCK", 1500)

    # when / then
    assert list(read_names(path)) == whole
    assert whole


# -- parsers against their previous implementations ----------------------------------------------------------------


class _Reference:
    """The previous, plain implementations (slices and helper calls), kept as the reference for the fast ones."""

    @staticmethod
    def vec(body: bytes, pos: int, width: int) -> tuple[bytes, int]:
        if pos + width > len(body):
            raise NotClientHello("truncated vector length")
        length = int.from_bytes(body[pos : pos + width], "big")
        start = pos + width
        if start + length > len(body):
            raise NotClientHello("truncated vector")
        return body[start : start + length], start + length

    @classmethod
    def client_hello(cls, body: bytes) -> tuple[Any, ...]:
        if len(body) < 34:
            raise NotClientHello("short ClientHello")
        pos = 34
        _, pos = cls.vec(body, pos, 1)
        _, pos = cls.vec(body, pos, 2)
        _, pos = cls.vec(body, pos, 1)
        sni, alpn, versions, ech, types = None, [], [], False, []
        if pos != len(body):
            extensions, _ = cls.vec(body, pos, 2)
            epos = 0
            while epos + 4 <= len(extensions):
                etype = int.from_bytes(extensions[epos : epos + 2], "big")
                edata, epos = cls.vec(extensions, epos + 2, 2)
                types.append(etype)
                if etype == 0 and edata:
                    names, _ = cls.vec(edata, 0, 2)
                    npos = 0
                    while npos + 3 <= len(names):
                        name_type = names[npos]
                        name, npos = cls.vec(names, npos + 1, 2)
                        if name_type == 0 and sni is None:
                            sni = name.decode("ascii", "backslashreplace")
                elif etype == 16 and edata:
                    protocols, _ = cls.vec(edata, 0, 2)
                    ppos = 0
                    while ppos < len(protocols):
                        proto, ppos = cls.vec(protocols, ppos, 1)
                        alpn.append(proto.decode("ascii", "backslashreplace"))
                elif etype == 43 and edata:
                    raw, _ = cls.vec(edata, 0, 1)
                    grease = {0x0A0A + 0x1010 * i for i in range(16)}  # RFC 8701
                    versions = [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw) - 1, 2)]
                    versions = [v for v in versions if v not in grease]
                elif etype == 0xFE0D:
                    ech = True
        return sni, len(body), alpn, ech, versions, int.from_bytes(body[:2], "big"), types

    @staticmethod
    def request_head(head: bytes) -> tuple[Any, ...]:
        lines = head.split(b"\n")
        match = re.fullmatch(rb"([A-Z][A-Z0-9_-]{0,31}) (\S+) HTTP/(\d\.\d)\r?", lines[0])
        if match is None:
            raise HttpError("bad request line")
        host, length, chunked = None, None, False
        for raw in lines[1:]:
            line = raw.rstrip(b"\r")
            if not line:
                continue
            name, sep, value = line.partition(b":")
            if not sep:
                raise HttpError("bad header line")
            key = name.strip().lower()
            text = value.strip().decode("latin-1")
            if key == b"host" and host is None:
                host = text
            elif key == b"content-length":
                try:
                    length = int(text.split(",")[0])
                except ValueError as exc:
                    raise HttpError("bad Content-Length") from exc
                if length < 0:
                    raise HttpError("negative Content-Length")
            elif key == b"transfer-encoding" and text.lower().rstrip().endswith("chunked"):
                chunked = True
        return (*(g.decode("latin-1") for g in match.groups()), host, length, chunked)

    @staticmethod
    def name(msg: bytes, pos: int) -> tuple[str, int]:
        printable = frozenset(range(0x21, 0x7F)) - {ord("."), ord("\\")}
        labels, end, total, jumps = [], None, 0, 0
        while True:
            if pos >= len(msg):
                raise DnsError("truncated name")
            length = msg[pos]
            if length & 0xC0 == 0xC0:
                if pos + 1 >= len(msg):
                    raise DnsError("truncated pointer")
                jumps += 1
                if jumps > 16:
                    raise DnsError("pointer loop")
                end = pos + 2 if end is None else end
                pos = ((length & 0x3F) << 8) | msg[pos + 1]
                continue
            if length & 0xC0:
                raise DnsError("reserved label type")
            pos += 1
            if length == 0:
                break
            label = msg[pos : pos + length]
            if len(label) < length:
                raise DnsError("truncated label")
            total += length + 1
            if total > 255:
                raise DnsError("name too long")
            labels.append(
                "".join(chr(b) if b in printable else (f"\\{chr(b)}" if b in b".\\" else f"\\{b:03d}") for b in label)
            )
            pos += length
        return ".".join(labels), end if end is not None else pos


def _outcome(parse: Callable[..., Any], *args: Any) -> tuple[Any, ...]:
    try:
        return ("ok", parse(*args))
    except ValueError as exc:
        return ("error", type(exc).__name__, str(exc) if not isinstance(exc, HttpError | DnsError) else "")


def _mutations(seed: bytes, count: int, alphabet: bytes, rng: random.Random) -> list[bytes]:
    out = [seed]
    for _ in range(count):
        data = bytearray(seed)
        for _ in range(rng.randint(1, 3)):
            op, at = rng.random(), rng.randrange(len(data) + 1)
            if op < 0.45 and at < len(data):
                data[at] = rng.choice(alphabet) if rng.random() < 0.6 else rng.randrange(256)
            elif op < 0.7:
                data[at:at] = bytes([rng.choice(alphabet)])
            elif op < 0.85:
                del data[at:]
            elif at < len(data):
                del data[at]
        out.append(bytes(data))
    return out


def test_client_hello_parsers_agree_with_the_reference() -> None:
    # given the sample hellos (real browsers: GREASE, ECH, post-quantum) and thousands of damaged copies
    bodies = [HELLO[9:], _hello_without(0)[9:], _hello_without(16)[9:]]
    for name in ("tls_chrome-1250-tls-x25519-kyber.pcap", "tls_tls13-ech.pcap", "tls_chrome-34-google.pcap"):
        for _, _, packet in read_pcap(capture(name)):
            at = packet.find(b"\x16\x03")
            if at > 0 and len(packet) > at + 9 and packet[at + 5] == 1:
                bodies.append(packet[at + 9 :])
    rng = random.Random(7)
    checked = errors = 0
    for body in bodies:
        for damaged in _mutations(body, 1500, b"\x00\x01\x02\x03\x10\x2b\xff\xfe\x0d", rng):
            # when
            expected = _outcome(_Reference.client_hello, damaged)
            got = _outcome(parse_client_hello, damaged)
            sni = _outcome(client_hello_sni, damaged)
            # then
            if got[0] == "ok":
                hello = got[1]
                got = ("ok", (hello.sni, hello.length, hello.alpn, hello.ech, hello.versions, hello.legacy_version,
                              hello.extension_types))  # fmt: skip
            assert got == expected, damaged.hex()
            assert sni == (("ok", expected[1][0]) if expected[0] == "ok" else expected)
            checked += 1
            errors += expected[0] == "error"
    assert len(bodies) > 5 and 0.2 < errors / checked < 0.9  # both outcomes well covered


def test_request_head_parser_agrees_with_the_reference() -> None:
    # given request heads (odd spacing, repeated and folded fields, latin-1 bytes) and damaged copies
    heads = [
        GET[:-4],
        POST[:-4],
        b"POST http://a.b/x HTTP/1.0\nhost:  A.com:80 \nContent-Length: 12, 12\r\nTransfer-Encoding: gzip, chunked\xa0",
        b"CONNECT a.com:443 HTTP/1.1\r\nHOST: a\r\n  Content-length :-1\r\nhost: b\r\n\r\nX: y",
        b"GET / HTTP/1.1\r\nTransfer-Encoding: CHUNKED\x85\r\nX-\xe9: \xff\r\n Host: spaced",
    ]
    rng = random.Random(11)
    checked = errors = 0
    for head in heads:
        for damaged in _mutations(head, 3000, b"\r\n: \t,-0123456789chunkedHOSTost\xa0\x85aZ", rng):
            # when
            expected = _outcome(_Reference.request_head, damaged)
            got = _outcome(parse_request_head, damaged)
            # then
            if got[0] == "ok":
                r = got[1]
                got = ("ok", (r.method, r.target, r.version, r.host_header, r.content_length, r.chunked))
            assert got == expected, damaged
            checked += 1
            errors += expected[0] == "error"
    assert 0.2 < errors / checked < 0.9


def test_dns_name_reader_agrees_with_the_reference() -> None:
    # given names with escapes (a dot and a backslash inside labels, control bytes), pointers, and damaged copies
    header = bytes(12)
    messages = [
        header + b"\x07chatgpt\x03com\x00\x00\x01\x00\x01",
        header + b"\x03a.b\x03c\\d\x02\x01\x7f\x00\x00\x01\x00\x01\xc0\x0c",
        header + b"\x01a\xc0\x10\x00\x03xyz\x00",
        header + b"\x00",
    ]
    rng = random.Random(13)
    checked = 0
    for message in messages:
        for damaged in _mutations(message, 3000, b"\x00\x01\x02\x03\xc0\x0c\x2e\x5c\x7f\x20\x41\x40\x3f", rng):
            for start in (12, 14):
                # when / then
                assert _outcome(read_name, damaged, start) == _outcome(_Reference.name, damaged, start), damaged
                checked += 1
    assert checked > 20_000


def test_head_end_finder_agrees_with_the_regex() -> None:
    # given every string of up to 8 bytes over CR, LF and a letter, and every window of it
    checked = 0
    for size in range(9):
        for chars in itertools.product(b"\r\na", repeat=size):
            data = bytes(chars)
            for start in range(min(size, 3) + 1):
                for end in range(start, size + 1):
                    # when
                    match = HEAD_END.search(data, start, end)
                    # then
                    assert find_head_end(data, start, end) == (match and match.span()), (data, start, end)
                    assert find_head_end(bytearray(data), start, end) == (match and match.span())
                    checked += 1
    assert checked > 100_000
