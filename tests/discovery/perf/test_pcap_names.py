"""``read_names`` (the names-only capture reader) gives exactly the names of ``read_capture``: same frames, times,
kinds and hosts in the same order, the same packet counters and malformed samples; and the lean classic-pcap record
reader frames files exactly like a plain record-by-record reader (``_packets.read_pcap``)."""

from __future__ import annotations

import importlib.util
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from discovery.parsers.pcap import CaptureOptions, CaptureStats, _pcap_records, read_capture, read_names
from tests.discovery.pcap._packets import read_pcap
from tests.discovery.pcap._support import CAPTURES, FIXTURES, REPO, ZEEK_PCAPS

ALL_CAPTURES = sorted({*CAPTURES.values(), *ZEEK_PCAPS.glob("*.pcap*"), *FIXTURES.glob("*.pcap*")})
COUNTERS = (
    "packets_read",
    "packets_decoded",
    "packets_skipped",
    "packets_truncated",
    "packets_undecodable",
    "local_name_queries",
    "tls_without_sni",
    "quic_decrypted",
    "quic_failures",
    "dns_malformed",
    "reassembly_gaps",
    "buffer_overflows",
    "malformed_http",
    "not_client_hello",
    "linktypes",
    "read_error",
)


def _general(source: object, options: CaptureOptions) -> tuple[list[tuple[object, ...]], CaptureStats]:
    stats = CaptureStats()
    names = [
        (event.extra["frame"], event.timestamp, event.kind.value, event.host)
        for event in read_capture(source, stats, options=options)  # type: ignore[arg-type]
        if event.kind.value != "flow"
    ]
    return names, stats


def _names(source: object, options: CaptureOptions) -> tuple[list[tuple[object, ...]], CaptureStats]:
    stats = CaptureStats()
    names = [
        (frame, datetime.fromtimestamp(ts, UTC), kind, host)
        for frame, ts, kind, host in read_names(source, stats, options=options)  # type: ignore[arg-type]
    ]
    return names, stats


def _assert_same(source_a: object, source_b: object, options: CaptureOptions) -> None:
    general, general_stats = _general(source_a, options)
    names, names_stats = _names(source_b, options)
    assert names == general
    for counter in COUNTERS:
        assert getattr(names_stats, counter) == getattr(general_stats, counter), counter
    assert names_stats.malformed_samples == general_stats.malformed_samples
    assert names_stats.events == {k: v for k, v in general_stats.events.items() if k != "flow"}


@pytest.mark.parametrize("include_local_names", [False, True])
@pytest.mark.parametrize("path", ALL_CAPTURES, ids=lambda p: p.name)
def test_names_equal_those_of_read_capture(path: Path, include_local_names: bool) -> None:
    # given a sample capture (pcap or pcapng)
    options = CaptureOptions(include_local_names=include_local_names)
    # when / then
    _assert_same(path, path, options)


def test_there_are_samples_of_every_kind() -> None:
    # given / when
    kinds = {kind for path in ALL_CAPTURES for _, _, kind, _ in read_names(path)}
    # then: the equality above is not vacuous
    assert {"dns", "tls", "quic", "http"} <= kinds


@pytest.mark.parametrize("cut", [1, 7, 20, 100, 1000])
def test_a_capture_cut_anywhere_gives_the_same_names(cut: int) -> None:
    # given a capture whose last record (or record header) is cut off, given as a file object
    data = (ZEEK_PCAPS / "web.pcap").read_bytes()
    content = data[: len(data) - cut]
    # when / then
    _assert_same(io.BytesIO(content), io.BytesIO(content), CaptureOptions())


def test_small_flow_cap_and_timeouts_give_the_same_names() -> None:
    # given options that make flows time out and get evicted (DNS flows open none in read_names, so a cap is only
    # comparable on a capture without DNS: the HTTP sample)
    options = CaptureOptions(max_flows=2, tcp_timeout=0.5, tcp_closed_timeout=0.1, udp_timeout=0.2)
    path = ZEEK_PCAPS / "http_multipart-form-data.pcap"
    # when / then
    _assert_same(path, path, options)


@pytest.mark.parametrize("path", [p for p in ALL_CAPTURES if p.suffix == ".pcap"], ids=lambda p: p.name)
def test_lean_record_reader_frames_like_the_plain_reader(path: Path) -> None:
    # given a classic pcap
    expected = read_pcap(path)
    # when
    with path.open("rb") as handle:
        records = _pcap_records(handle, CaptureStats())
        assert records is not None
        got = list(records)
    # then
    assert got == expected


def test_synthetic_bench_capture_gives_the_same_names(tmp_path: Path) -> None:
    # given the benchmark's capture generator (DNS, TLS and HTTP flows with varied addresses), 3,000 packets
    spec = importlib.util.spec_from_file_location("bench_pcap_200k", REPO / "bench" / "bench_pcap_200k.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    path = tmp_path / "synth.pcap"
    bench.write_capture(path, 3000)
    # when / then
    _assert_same(path, path, CaptureOptions())
    assert len(list(read_names(path))) == 1800
