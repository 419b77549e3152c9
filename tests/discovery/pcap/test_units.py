"""Edge cases with hand-built frames: link types, malformed packets, DNS/HTTP details, flow lifecycle, API."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import pytest

from discovery.parsers.base import EventKind
from discovery.parsers.pcap import CaptureError, CaptureOptions, read_capture, sniff_capture
from discovery.parsers.pcap.dns import DnsError, parse_questions, read_name
from discovery.parsers.pcap.http import normalize_host
from discovery.parsers.pcap.quic import QUIC_V1, QUIC_V2, client_initial_keys, read_varint

from ._packets import (
    ARP,
    DNS,
    DNSQR,
    IP,
    TCP,
    UDP,
    Dot1AD,
    Dot1Q,
    Ether,
    IPv6,
    IPv6ExtHdrFragment,
    IPv6ExtHdrHopByHop,
    Layer,
    Raw,
    pcapng,
)
from ._support import capture, of_kind, read_all
from ._support import write_pcap as _write

DNS_QUERY = UDP(sport=40000, dport=53) / DNS(rd=1, qd=DNSQR(qname="chatgpt.com", qtype="A"))
DNS_IP4 = IP(src="10.0.0.1", dst="10.0.0.53") / DNS_QUERY


# -- API ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "result"),
    [
        (b"\xd4\xc3\xb2\xa1\x02\x00\x04\x00", True),  # pcap little endian, microseconds
        (b"\xa1\xb2\xc3\xd4\x00\x02\x00\x04", True),  # pcap big endian
        (b"\x4d\x3c\xb2\xa1\x02\x00\x04\x00", True),  # pcap nanoseconds
        (b"\x0a\x0d\x0d\x0a\x1c\x00\x00\x00\x4d\x3c\x2b\x1a", True),  # pcapng SHB, little endian
        (b"\x0a\x0d\x0d\x0a\x00\x00\x00\x1c\x1a\x2b\x3c\x4d", True),  # pcapng SHB, big endian
        (b"\x0a\x0d\x0d\x0a\x1c\x00\x00\x00XXXX", False),
        (b"1700000000.123 45 10.0.0.1 TCP_MISS/200", False),  # a squid log line
        (b"", False),
    ],
)
def test_sniff_capture(head: bytes, result: bool) -> None:
    # given the first bytes of a file / when / then
    assert sniff_capture(head) is result


def test_sniff_capture_accepts_the_sample_files() -> None:
    # given / when / then
    assert sniff_capture(capture("web.pcap").read_bytes()[:64])
    assert sniff_capture(capture("merged-quic-rawdns.pcapng").read_bytes()[:64])


@pytest.mark.parametrize("content", [b"not a capture at all, just text\n" * 4, b"\x00" * 64])
def test_non_capture_raises_capture_error(content: bytes) -> None:
    # given / when / then
    with pytest.raises(CaptureError):
        list(read_capture(io.BytesIO(content)))


@pytest.mark.parametrize(
    ("version", "dcid", "key", "iv", "hp"),
    [
        # RFC 9001 Appendix A.1
        (QUIC_V1, "8394c8f03e515708", "1f369613dd76d5467730efcbe3b1a22d", "fa044b2f42a3fd3b46fb255c",
         "9f50449e04a0e810283a1e9933adedd2"),
        # RFC 9369 Appendix A.1
        (QUIC_V2, "8394c8f03e515708", "8b1a0bc121284290a29e0971b5cd045d", "91f73e2351d8fa91660e909f",
         "45b95e15235d6f45a6b19cbcb0294ba9"),
    ],
)  # fmt: skip
def test_quic_initial_keys_match_rfc_test_vectors(version: int, dcid: str, key: str, iv: str, hp: str) -> None:
    # given the RFC's Destination Connection ID / when
    keys = client_initial_keys(bytes.fromhex(dcid), version)

    # then
    assert (keys.key.hex(), keys.iv.hex(), keys.hp.hex()) == (key, iv, hp)


@pytest.mark.parametrize(
    ("encoded", "value"),
    [("25", 37), ("7bbd", 15293), ("9d7f3e7d", 494878333), ("c2197c5eff14e88c", 151288809941952652)],
)
def test_quic_varint_rfc9000_examples(encoded: str, value: int) -> None:
    # given RFC 9000 appendix A.1 examples / when / then
    assert read_varint(bytes.fromhex(encoded), 0) == (value, len(encoded) // 2)


# -- link types and malformed frames -----------------------------------------------------------------------------


def _null(af: int, order: str) -> bytes:
    return struct.pack(f"{order}I", af)


LINK_CASES = {
    "ethernet 802.1Q": (1, bytes(Ether() / Dot1Q(vlan=10) / DNS_IP4)),
    "ethernet QinQ": (1, bytes(Ether() / Dot1AD(vlan=20) / Dot1Q(vlan=10) / DNS_IP4)),
    "raw 101": (101, bytes(DNS_IP4)),
    "raw 12": (12, bytes(DNS_IP4)),
    "raw 14": (14, bytes(DNS_IP4)),
    "ipv4 228": (228, bytes(DNS_IP4)),
    "null little-endian": (0, _null(2, "<") + bytes(DNS_IP4)),
    "null big-endian": (0, _null(2, ">") + bytes(DNS_IP4)),
    "loop ipv6": (108, _null(24, ">") + bytes(IPv6(src="fe80::1", dst="fe80::53") / DNS_QUERY)),
    "linux sll": (113, struct.pack("!HHH8sH", 0, 1, 6, b"\x00" * 8, 0x0800) + bytes(DNS_IP4)),
    "linux sll2": (276, struct.pack("!HHIHBB8s", 0x0800, 0, 1, 1, 0, 6, b"\x00" * 8) + bytes(DNS_IP4)),
    "ipv6 extension headers": (
        1,
        bytes(Ether() / IPv6(src="2001:db8::1", dst="2001:db8::53") / IPv6ExtHdrHopByHop() / IPv6ExtHdrFragment(m=0)
              / DNS_QUERY),
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", LINK_CASES, ids=list(LINK_CASES))
def test_link_layers_are_decoded(case: str, tmp_path: Path) -> None:
    # given one DNS query framed with this link layer
    linktype, frame = LINK_CASES[case]
    path = _write(tmp_path / "x.pcap", [frame], linktype)

    # when
    events, stats = read_all(path)

    # then
    (dns,) = of_kind(events, EventKind.DNS)
    assert (dns.host, dns.dest_port, dns.extra["qtype"]) == ("chatgpt.com", 53, 1)
    assert stats.packets_decoded == 1


MALFORMED = {
    "short ethernet": (1, b"\x00" * 10, "packets_truncated"),
    "short vlan tag": (1, bytes(Ether(type=0x8100)) + b"\x00", "packets_truncated"),
    "ipv4 ihl below 20": (101, b"\x43" + bytes(DNS_IP4)[1:], "packets_undecodable"),
    "ipv4 total below ihl": (101, bytes(DNS_IP4)[:2] + b"\x00\x10" + bytes(DNS_IP4)[4:], "packets_undecodable"),
    "ip version 7": (101, b"\x75" + bytes(DNS_IP4)[1:], "packets_undecodable"),
    "short ipv4": (101, bytes(DNS_IP4)[:12], "packets_truncated"),
    "short ipv6": (229, bytes(IPv6())[:30], "packets_truncated"),
    "short udp": (101, bytes(IP(proto=17, ihl=5, len=24) / Raw(b"\x00" * 4)), "packets_truncated"),
    "short tcp": (101, bytes(IP(proto=6, ihl=5) / Raw(b"\x00" * 8)), "packets_truncated"),
    "tcp data offset below 20": (101, bytes(IP() / TCP(dataofs=2)), "packets_undecodable"),
    "tcp options cut": (101, bytes(IP() / TCP(dataofs=10))[:40], "packets_truncated"),
    "short loopback": (0, b"\x02\x00", "packets_truncated"),
    "short sll": (113, b"\x00" * 8, "packets_truncated"),
    "short sll2": (276, b"\x00" * 8, "packets_truncated"),
    "short ipv6 extension": (229, bytes(IPv6(nh=0, plen=0)), "packets_truncated"),
    "unsupported link type": (147, bytes(DNS_IP4), "packets_undecodable"),
    "arp": (1, bytes(Ether() / ARP()), "packets_skipped"),
    "icmp": (101, bytes(IP(proto=1) / Raw(b"\x08\x00\x00\x00")), "packets_skipped"),
    "ipv4 non-first fragment": (101, bytes(IP(frag=100, proto=17) / Raw(b"\x00" * 16)), "packets_skipped"),
    "ipv6 non-first fragment": (
        229,
        bytes(IPv6() / IPv6ExtHdrFragment(offset=10) / Raw(b"\x00" * 16)),
        "packets_skipped",
    ),
    "loopback non-ip": (0, _null(7, "<") + b"\x00" * 20, "packets_skipped"),
    "sll non-ip": (113, struct.pack("!HHH8sH", 0, 1, 6, b"\x00" * 8, 0x0806) + b"\x00" * 28, "packets_skipped"),
}


@pytest.mark.parametrize("case", MALFORMED, ids=list(MALFORMED))
def test_malformed_frames_are_counted_not_fatal(case: str, tmp_path: Path) -> None:
    # given a bad frame followed by a good DNS query
    linktype, frame, counter = MALFORMED[case]
    good = bytes(DNS_IP4) if linktype in (101, 147, 228, 229) else bytes(Ether() / DNS_IP4)
    if linktype in (0, 113, 276):
        good = LINK_CASES[{0: "null little-endian", 113: "linux sll", 276: "linux sll2"}[linktype]][1]
    if linktype == 229:
        good = bytes(IPv6(src="fe80::1", dst="fe80::53") / DNS_QUERY)
    path = _write(tmp_path / "x.pcap", [frame, good], linktype)

    # when
    events, stats = read_all(path)

    # then the bad frame is counted (and sampled unless merely skipped); reading goes on
    assert getattr(stats, counter) >= 1
    assert stats.packets_read == 2
    if counter != "packets_skipped":
        assert stats.malformed_samples[0]["frame"] == 1
    assert len(of_kind(events, EventKind.DNS)) == (0 if linktype == 147 else 1)


def test_truncated_file_stops_cleanly(tmp_path: Path) -> None:
    # given a capture cut in the middle of its last record
    data = capture("tls_chrome-34-google.pcap").read_bytes()
    path = tmp_path / "cut.pcap"
    path.write_bytes(data[: len(data) - 100])

    # when
    events, stats = read_all(path)

    # then the packets before the cut are read and the flow is still summarised
    assert [e.host for e in of_kind(events, EventKind.TLS)] == ["google.de"]
    assert of_kind(events, EventKind.FLOW)
    assert stats.packets_read > 0


def test_snapped_packets_keep_wire_byte_counts(tmp_path: Path) -> None:
    # given TCP segments captured with a 60-byte snap length
    syn = Ether() / IP(src="10.0.0.1", dst="10.0.0.2") / TCP(sport=1234, dport=80, flags="S", seq=100)
    data = Ether() / IP(src="10.0.0.1", dst="10.0.0.2") / TCP(sport=1234, dport=80, flags="PA", seq=101) / (b"x" * 500)
    path = _write(tmp_path / "snap.pcap", [syn, data], 1, snaplen=60)

    # when
    events, stats = read_all(path)

    # then bytes come from the IP length, and the stream is abandoned, not misread
    (flow,) = of_kind(events, EventKind.FLOW)
    assert flow.upload_bytes == 500
    assert stats.reassembly_gaps == 1


def test_pcapng_and_nanosecond_pcap(tmp_path: Path) -> None:
    # given the same query in a pcapng and a nanosecond-resolution pcap
    packet = bytes(Ether() / DNS_IP4)
    ng = tmp_path / "x.pcapng"
    ng.write_bytes(pcapng([packet], times=[1_700_000_000.5]))
    nano = _write(tmp_path / "nano.pcap", [packet], 1, times=[1_700_000_000.5], nano=True)

    for path in (ng, nano):
        # when
        events, _ = read_all(path)

        # then
        (dns,) = of_kind(events, EventKind.DNS)
        assert dns.timestamp.timestamp() == pytest.approx(1_700_000_000.5)


# -- DNS ---------------------------------------------------------------------------------------------------------


def _dns_header(qdcount: int, flags: int = 0x0100) -> bytes:
    return struct.pack("!HHHHHH", 1, flags, qdcount, 0, 0, 0)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (_dns_header(1) + b"\x07chatgpt\x03com\x00\x00\x01\x00\x01", [("chatgpt.com", 1)]),
        # second question compressed to point at the first name (RFC 1035 4.1.4)
        (_dns_header(2) + b"\x03api\x06openai\x03com\x00\x00\x01\x00\x01\xc0\x10\x00\x1c\x00\x01",
         [("api.openai.com", 1), ("openai.com", 28)]),
        (_dns_header(1) + b"\x03a.b\x02\xff\\\x00\x00\x01\x00\x01", [("a\\.b.\\255\\\\", 1)]),
        (_dns_header(1, flags=0x8180) + b"\x00\x00\x01\x00\x01", None),  # a response
    ],
)  # fmt: skip
def test_dns_questions(message: bytes, expected: list[tuple[str, int]] | None) -> None:
    # given / when
    questions = parse_questions(message)

    # then
    assert (None if questions is None else [(q.name, q.qtype) for q in questions]) == expected


@pytest.mark.parametrize(
    "message",
    [
        b"\x00" * 5,
        _dns_header(1) + b"\x07chat",
        _dns_header(1) + b"\xc0\x0c",  # pointer to itself
        _dns_header(1) + b"\xc0",
        _dns_header(1) + b"\x80abc\x00",  # reserved label type
        _dns_header(1) + b"\x03com\x00\x00",  # truncated qtype
        _dns_header(1) + (b"\x3f" + b"a" * 63) * 5 + b"\x00\x00\x01\x00\x01",  # name above 255 octets
    ],
)
def test_malformed_dns_raises(message: bytes) -> None:
    # given / when / then
    with pytest.raises(DnsError):
        parse_questions(message)


def test_malformed_dns_in_capture_is_counted(tmp_path: Path) -> None:
    # given
    frame = Ether() / IP() / UDP(sport=5000, dport=53) / Raw(_dns_header(1) + b"\xc0\x0c")
    path = _write(tmp_path / "x.pcap", [frame], 1)

    # when
    events, stats = read_all(path)

    # then
    assert of_kind(events, EventKind.DNS) == []
    assert stats.dns_malformed == 1


def test_read_name_follows_pointer_and_returns_position_after_it() -> None:
    # given / when / then
    assert read_name(b"\x03abc\x00\xc0\x00", 5) == ("abc", 7)


# -- HTTP --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("authority", "host"),
    [
        ("Example.COM", "example.com"),
        ("example.com.:8080", "example.com"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("[::1", "::1"),
        ("2001:db8::1", "2001:db8::1"),
    ],
)
def test_normalize_host(authority: str, host: str) -> None:
    # given / when / then
    assert normalize_host(authority) == host


def _tcp_session(client_payloads: list[bytes], *, fin: bool = False, sport: int = 40000) -> list[Layer]:
    c2s = {"src": "10.0.0.1", "dst": "10.0.0.2"}
    s2c = {"src": "10.0.0.2", "dst": "10.0.0.1"}
    packets: list[Layer] = [
        Ether() / IP(**c2s) / TCP(sport=sport, dport=80, flags="S", seq=1000),
        Ether() / IP(**s2c) / TCP(sport=80, dport=sport, flags="SA", seq=5000, ack=1001),
    ]
    seq = 1001
    for payload in client_payloads:
        packets.append(Ether() / IP(**c2s) / TCP(sport=sport, dport=80, flags="PA", seq=seq, ack=5001) / payload)
        seq += len(payload)
    if fin:
        packets.append(Ether() / IP(**c2s) / TCP(sport=sport, dport=80, flags="FA", seq=seq, ack=5001))
    return packets


CHUNKED = b"POST /v1/upload HTTP/1.1\r\nHost: api.example.ai\r\nTransfer-Encoding: chunked\r\n\r\n"
HTTP_CASES = {
    "chunked body measured": (
        [CHUNKED + b"5;ext=1\r\nhello\r\n", b"b\r\n world!!!!!\r\n0\r\nX-Trailer: 1\r\n\r\n"],
        [("POST", "api.example.ai", 16, None, False)],
    ),
    "pipelined requests": (
        [b"GET /a HTTP/1.1\r\nHost: a.example\r\n\r\n"
         b"POST /b HTTP/1.1\r\nHost: b.example\r\nContent-Length: 3\r\n\r\nabc"
         b"GET /c HTTP/1.0\n\n"],
        [("GET", "a.example", 0, None, False), ("POST", "b.example", 3, 3, False), ("GET", "", 0, None, False)],
    ),
    "body cut at end of capture": (
        [b"PUT /f HTTP/1.1\r\nHost: files.example\r\nContent-Length: 1000\r\n\r\n" + b"z" * 400],
        [("PUT", "files.example", 1000, 1000, True)],
    ),
    "head split byte by byte": (
        [bytes([b]) for b in b"GET / HTTP/1.1\r\nHost: slow.example\r\n\r\n"],
        [("GET", "slow.example", 0, None, False)],
    ),
    "not http": ([b"SSH-2.0-OpenSSH_9.6\r\n"], []),
    "bad header line": ([b"GET / HTTP/1.1\r\nno colon here\r\n\r\n"], []),
    "bad content length": ([b"POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n"], []),
    "negative content length": ([b"POST / HTTP/1.1\r\nContent-Length: -5\r\n\r\n"], []),
    "bad chunk size": ([CHUNKED + b"zz\r\n"], [("POST", "api.example.ai", 0, None, True)]),
    "not tls": ([b"\x16\x01\x00\x00"], []),
    "tls alert, not a hello": ([b"\x15\x03\x01\x00\x02\x02\x28"], []),
    "tls, other handshake first": ([b"\x16\x03\x01\x00\x08\x02\x00\x00\x04abcd"], []),
    "tls, oversized record": ([b"\x16\x03\x01\xff\xff"], []),
    "tls, hello without sni": (
        [b"\x16\x03\x01\x00\x2d\x01\x00\x00\x29\x03\x03" + b"\x00" * 32 + b"\x00\x00\x02\x00\x2f\x01\x00"],
        [],
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", HTTP_CASES, ids=list(HTTP_CASES))
def test_http_streams(case: str, tmp_path: Path) -> None:
    # given a client stream
    payloads, expected = HTTP_CASES[case]
    path = _write(tmp_path / "x.pcap", _tcp_session(payloads), 1)

    # when
    events, stats = read_all(path)

    # then
    got = [
        (
            e.method,
            e.extra["host_header"] or "",
            e.upload_bytes,
            e.extra["content_length"],
            e.extra.get("incomplete", False),
        )
        for e in of_kind(events, EventKind.HTTP)
    ]
    assert got == expected
    assert of_kind(events, EventKind.TLS) == []
    if case == "tls, hello without sni":
        assert stats.tls_without_sni == 1
    if case.startswith("bad"):
        assert stats.malformed_http == 1


def test_oversized_http_head_is_dropped(tmp_path: Path) -> None:
    # given a request head that never ends
    payloads = [b"GET / HTTP/1.1\r\n"] + [b"X-Filler: " + b"a" * 1400 + b"\r\n"] * 50
    path = _write(tmp_path / "x.pcap", _tcp_session(payloads), 1)

    # when
    events, stats = read_all(path)

    # then
    assert of_kind(events, EventKind.HTTP) == []
    assert stats.buffer_overflows == 1


def test_out_of_order_buffer_is_capped(tmp_path: Path) -> None:
    # given a first segment that never arrives and 300 KB of later data
    packets = _tcp_session([])
    packets += [
        Ether() / IP(src="10.0.0.1", dst="10.0.0.2") / TCP(sport=40000, dport=80, flags="PA", seq=2001 + i * 1400)
        / (b"a" * 1400)
        for i in range(200)
    ]  # fmt: skip
    path = _write(tmp_path / "x.pcap", packets, 1)

    # when
    events, stats = read_all(path)

    # then
    assert stats.reassembly_gaps == 1
    assert of_kind(events, EventKind.FLOW)[0].upload_bytes == 200 * 1400


# -- flow lifecycle ----------------------------------------------------------------------------------------------


def test_flow_cap_evicts_oldest(tmp_path: Path) -> None:
    # given five DNS flows and room for two
    frames = [Ether() / IP(src="10.0.0.1", dst="10.0.0.53") / UDP(sport=1000 + i, dport=53) / b"x" for i in range(5)]
    path = _write(tmp_path / "x.pcap", frames, 1)

    # when
    events, stats = read_all(path, CaptureOptions(max_flows=2))

    # then all flows are still reported, oldest first
    assert [e.extra["src_port"] for e in of_kind(events, EventKind.FLOW)] == [1000, 1001, 1002, 1003, 1004]
    assert stats.flows_evicted == 3


def test_idle_udp_flow_times_out_and_restarts(tmp_path: Path) -> None:
    # given the same 5-tuple used twice, ten minutes apart
    frame = Ether() / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=5000, dport=9999) / b"abcd"
    path = _write(tmp_path / "x.pcap", [frame, frame, frame], 1, times=[0.0, 1.0, 601.0])

    # when
    events, stats = read_all(path)

    # then
    assert [e.upload_bytes for e in of_kind(events, EventKind.FLOW)] == [8, 4]
    assert stats.flows == 2


def test_port_reuse_after_close_starts_a_new_flow(tmp_path: Path) -> None:
    # given two connections on the same 5-tuple, the first closed with FIN
    first = _tcp_session([b"GET / HTTP/1.1\r\nHost: one.example\r\n\r\n"], fin=True)
    second = _tcp_session([b"GET / HTTP/1.1\r\nHost: two.example\r\n\r\n"])
    path = _write(tmp_path / "x.pcap", first + second, 1)

    # when
    events, _ = read_all(path, CaptureOptions(emit_flows=True))

    # then
    assert [e.host for e in of_kind(events, EventKind.FLOW)] == ["one.example", "two.example"]


def test_flow_records_can_be_disabled() -> None:
    # given / when
    events, stats = read_all(capture("web.pcap"), CaptureOptions(emit_flows=False))

    # then
    assert of_kind(events, EventKind.FLOW) == []
    assert stats.flows == 2
