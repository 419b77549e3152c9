"""The reader's events match tshark's field extraction on every sample capture (tests/fixtures/pcap/*.tsv)."""

from __future__ import annotations

from collections import Counter

import pytest

from discovery.parsers.base import EventKind
from discovery.parsers.pcap import CaptureOptions

from ._support import CAPTURES, ZEEK_PCAPS, capture, expected, of_kind, read_all

ALL = sorted(CAPTURES)


def test_every_zeek_sample_capture_is_covered() -> None:
    # given the captures shipped in the shared samples folder
    shipped = {path.name for path in ZEEK_PCAPS.glob("*.pcap")}

    # when / then: each one is in the parity table (and the folder is not empty)
    assert shipped
    assert shipped <= set(CAPTURES)


@pytest.mark.parametrize("name", ALL)
def test_tls_client_hello_sni_matches_tshark(name: str) -> None:
    # given
    rows = expected("tls", name)

    # when
    events, stats = read_all(capture(name))

    # then: every ClientHello with SNI at tshark's frame, ECH flag = extension 0xfe0d present
    got = [(e.extra["frame"], e.host, e.extra["ech"]) for e in of_kind(events, EventKind.TLS)]
    want = [(int(r["frame"]), r["sni"].lower(), r["ech"] == "1") for r in rows if r["sni"]]
    assert got == want
    assert stats.tls_without_sni == sum(1 for r in rows if not r["sni"])


@pytest.mark.parametrize("name", ALL)
def test_quic_initial_sni_matches_tshark(name: str) -> None:
    # given
    rows = expected("quic", name)

    # when
    events, _ = read_all(capture(name))

    # then
    got = [(e.extra["frame"], e.host) for e in of_kind(events, EventKind.QUIC)]
    assert got == [(int(r["frame"]), r["sni"].lower()) for r in rows]


@pytest.mark.parametrize("name", ALL)
def test_dns_query_names_match_tshark(name: str) -> None:
    # given: tshark aggregates several questions of one query with commas
    want = [
        (int(r["frame"]), qname, int(qtype))
        for r in expected("dns", name)
        for qname, qtype in zip(r["qname"].split(","), r["qtype"].split(","), strict=True)
    ]

    # when
    events, _ = read_all(capture(name))

    # then
    assert [(e.extra["frame"], e.extra["qname"], e.extra["qtype"]) for e in of_kind(events, EventKind.DNS)] == want


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("include_local_names", [False, True])
def test_mdns_and_llmnr_are_kept_apart_from_dns(name: str, include_local_names: bool) -> None:
    # given
    rows = expected("local_names", name)

    # when
    events, stats = read_all(capture(name), CaptureOptions(include_local_names=include_local_names))

    # then: skipped (but counted) by default, tagged with their resolution protocol on request
    local = [e for e in of_kind(events, EventKind.DNS) if e.extra["resolution"] != "dns"]
    assert stats.local_name_queries == len(rows)
    if include_local_names:
        resolution = {"5353": "mdns", "5355": "llmnr"}
        want = [(int(r["frame"]), r["qname"], resolution[r["udp_port"]]) for r in rows]
        assert [(e.extra["frame"], e.extra["qname"], e.extra["resolution"]) for e in local] == want
    else:
        assert local == []


@pytest.mark.parametrize("name", ALL)
def test_http_requests_match_tshark(name: str) -> None:
    # given
    rows = expected("http", name)

    # when
    events, _ = read_all(capture(name))

    # then: frame = the frame completing the body, like tshark's reassembled request
    got = [
        (e.extra["frame"], e.method, e.extra["host_header"] or "", e.extra["uri"], e.extra["content_length"])
        for e in of_kind(events, EventKind.HTTP)
    ]
    want = [
        (
            int(r["frame"]),
            r["method"],
            r["host_header"],
            r["uri"],
            int(r["content_length"]) if r["content_length"] else None,
        )
        for r in rows
    ]
    assert got == want


def _endpoint(ip: str | None, port: object) -> str:
    return f"{ip}:{port}"


@pytest.mark.parametrize("name", ALL)
def test_flow_bytes_match_tshark(name: str) -> None:
    # given: per-stream payload bytes from tshark; several streams may share a 5-tuple, so compare sums per tuple
    want: Counter[tuple[str, str, str, str]] = Counter()
    for r in expected("flows", name):
        want[(r["transport"], r["client"], r["server"], "up")] += int(r["upload_bytes"])
        want[(r["transport"], r["client"], r["server"], "down")] += int(r["download_bytes"])

    # when
    events, _ = read_all(capture(name))

    # then
    got: Counter[tuple[str, str, str, str]] = Counter()
    for e in of_kind(events, EventKind.FLOW):
        key = (e.extra["transport"], _endpoint(e.src_ip, e.extra["src_port"]), _endpoint(e.dest_ip, e.dest_port))
        got[(*key, "up")] += e.upload_bytes or 0
        got[(*key, "down")] += e.download_bytes or 0
    assert +got == +want
