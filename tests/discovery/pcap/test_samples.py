"""Requirement-level checks on specific sample captures (link types, upload sizes, ECH, the mDNS trap)."""

from __future__ import annotations

import io

import pytest

from discovery.parsers.base import EventKind
from discovery.parsers.pcap import CaptureOptions
from discovery.parsers.pcap.net import LINKTYPE_ETHERNET, LINKTYPE_NULL, LINKTYPE_RAW

from ._support import capture, of_kind, read_all


@pytest.mark.parametrize(
    ("name", "linktypes"),
    [
        ("http_connect-with-header.pcap", {LINKTYPE_NULL}),
        ("dns_ech.pcap", {LINKTYPE_RAW}),
        ("web.pcap", {LINKTYPE_ETHERNET}),
        ("merged-quic-rawdns.pcapng", {LINKTYPE_ETHERNET, LINKTYPE_RAW}),
    ],
)
def test_link_types_are_decoded(name: str, linktypes: set[int]) -> None:
    # given a DLT_NULL, a LINKTYPE_RAW, an Ethernet capture and a two-interface pcapng

    # when
    _, stats = read_all(capture(name))

    # then every packet is read and none is undecodable
    assert set(stats.linktypes) == linktypes
    assert stats.packets_read == sum(stats.linktypes.values()) > 0
    assert stats.packets_undecodable == stats.packets_truncated == 0
    assert stats.packets_decoded + stats.packets_skipped == stats.packets_read


@pytest.mark.parametrize(
    ("name", "kind", "host", "extra"),
    [
        ("tls_chrome-1250-tls-x25519-kyber.pcap", EventKind.TLS, "lh3.google.com", {"hello_length": 1747}),
        ("tls_chrome-34-google.pcap", EventKind.TLS, "google.de", {"ech": False}),
        ("quic_chromium-115.0.5790.110-api-cirrus-com.pcap", EventKind.QUIC, "api.cirrus-ci.com", {"alpn": ["h3"]}),
        ("quic_curl-8.1.2-dev-http3-www-google-de.pcap", EventKind.QUIC, "www.google.de", {"transport": "udp"}),
        ("http_connect-with-header.pcap", EventKind.TLS, "secure.newegg.com", {"dest_port": 80}),
    ],
)
def test_client_hello_sni(name: str, kind: EventKind, host: str, extra: dict[str, object]) -> None:
    # given a TLS or QUIC capture

    # when
    events, _ = read_all(capture(name))

    # then
    (hello,) = of_kind(events, kind)
    assert hello.host == host
    for key, value in extra.items():
        assert (hello.dest_port if key == "dest_port" else hello.extra[key]) == value


def test_ech_outer_sni_is_flagged() -> None:
    # given the TLS 1.3 ECH trace whose visible SNI is only the public name

    # when
    events, _ = read_all(capture("tls_tls13-ech.pcap"))

    # then detection can tell the SNI is not the real destination
    hellos = of_kind(events, EventKind.TLS)
    assert [e.host for e in hellos] == ["cloudflare-ech.com", "cloudflare-ech.com"]
    assert all(e.extra["ech"] and e.extra["ech_public_name"] for e in hellos)
    flows = [e for e in of_kind(events, EventKind.FLOW) if e.extra["host_source"] == "sni"]
    assert {e.host for e in flows} == {"cloudflare-ech.com"}


@pytest.mark.parametrize(
    ("name", "method", "host", "url", "upload", "flow_upload"),
    [
        ("http_http-post-large.pcap", "POST", "127.0.0.1", "http://127.0.0.1/hello", 61484, 61907),
        ("http_multipart-form-data.pcap", "POST", "localhost", "http://localhost:8000/", 767, 1429),
        ("http_proxy.pcap", "GET", "bro.org", "HTTP://bro.org/", 0, 115),
        ("http_connect-with-header.pcap", "CONNECT", "secure.newegg.com", "secure.newegg.com:443", 0, 3644),
    ],
)
def test_http_request_and_upload_bytes(
    name: str, method: str, host: str, url: str, upload: int, flow_upload: int
) -> None:
    # given an HTTP capture

    # when
    events, _ = read_all(capture(name))

    # then the first request and its flow carry the body / client→server byte counts
    request = of_kind(events, EventKind.HTTP)[0]
    assert (request.method, request.host, request.url, request.upload_bytes) == (method, host, url, upload)
    assert request.extra["body_bytes"] == upload
    flow = next(e for e in of_kind(events, EventKind.FLOW) if e.extra["src_port"] == request.extra["src_port"])
    assert flow.upload_bytes == flow_upload
    assert flow.host == host


@pytest.mark.parametrize("include_local_names", [False, True])
def test_mdns_gemini_trap_is_not_a_dns_lookup(include_local_names: bool) -> None:
    # given wikipedia.pcap, whose first packet is an mDNS query for gemini._sftp-ssh._tcp.local

    # when
    events, stats = read_all(capture("wikipedia.pcap"), CaptureOptions(include_local_names=include_local_names))

    # then no plain DNS lookup, HTTP or TLS event names "gemini"
    lookups = [e for e in events if e.kind is not EventKind.DNS or e.extra["resolution"] == "dns"]
    assert not [e for e in lookups if "gemini" in e.host]
    gemini = [e for e in of_kind(events, EventKind.DNS) if "gemini" in e.host]
    assert [e.extra["resolution"] for e in gemini] == (["mdns"] if include_local_names else [])
    assert stats.local_name_queries == 10


def test_reads_from_a_binary_file_object() -> None:
    # given the capture as an in-memory file object
    data = capture("tls_chrome-34-google.pcap").read_bytes()
    handle = io.BytesIO(data)

    # when
    events, _ = read_all(handle)

    # then it is read like the path and the caller's file is left open
    assert [e.host for e in of_kind(events, EventKind.TLS)] == ["google.de"]
    assert not handle.closed


def test_event_fields_are_normalised() -> None:
    # given / when
    events, _ = read_all(capture("tls_chrome-34-google.pcap"))

    # then
    hello = of_kind(events, EventKind.TLS)[0]
    assert hello.timestamp.tzinfo is not None
    assert (hello.src_ip, hello.dest_ip, hello.dest_port) == ("192.168.4.149", "74.125.239.152", 443)
    (flow,) = of_kind(events, EventKind.FLOW)
    assert (flow.host, flow.upload_bytes, flow.download_bytes) == ("google.de", 1220, 6874)
    assert flow.extra["packets_up"] + flow.extra["packets_down"] > 0
