"""Shared paths and helpers for the pcap reader tests."""

from __future__ import annotations

import csv
from pathlib import Path

from discovery.parsers.base import EventKind, ProxyEvent
from discovery.parsers.pcap import CaptureOptions, CaptureStats, read_capture

REPO = Path(__file__).resolve().parents[3]
SAMPLES = REPO.parent / "shared" / "samples"
ZEEK_PCAPS = SAMPLES / "zeek" / "pcaps"
PLASO = SAMPLES / "pcap" / "plaso_test.pcap"
FIXTURES = REPO / "tests" / "fixtures" / "pcap"
PCAPNG = FIXTURES / "merged-quic-rawdns.pcapng"

ZEEK_NAMES = [
    "dns-https.pcap",
    "dns_ech.pcap",
    "http_connect-with-header.pcap",
    "http_http-post-large.pcap",
    "http_multipart-form-data.pcap",
    "http_proxy.pcap",
    "quic_chromium-115.0.5790.110-api-cirrus-com.pcap",
    "quic_curl-8.1.2-dev-http3-www-google-de.pcap",
    "tls_chrome-1250-tls-x25519-kyber.pcap",
    "tls_chrome-34-google.pcap",
    "tls_tls13-ech.pcap",
    "web.pcap",
    "wikipedia.pcap",
]
CAPTURES: dict[str, Path] = {name: ZEEK_PCAPS / name for name in ZEEK_NAMES}
CAPTURES[PLASO.name] = PLASO
CAPTURES[PCAPNG.name] = PCAPNG


def capture(name: str) -> Path:
    """Path of a sample capture; fails (never skips) when the sample is missing."""
    path = CAPTURES[name]
    assert path.is_file(), f"sample capture missing: {path}"
    return path


def expected(table: str, name: str) -> list[dict[str, str]]:
    """Rows of ``tests/fixtures/pcap/<table>.tsv`` (tshark output) for one capture."""
    with (FIXTURES / f"{table}.tsv").open(newline="") as handle:
        return [row for row in csv.DictReader(handle, delimiter="\t") if row["capture"] == name]


def read_all(source: object, options: CaptureOptions | None = None) -> tuple[list[ProxyEvent], CaptureStats]:
    stats = CaptureStats()
    events = list(read_capture(source, stats, options=options))  # type: ignore[arg-type]
    return events, stats


def of_kind(events: list[ProxyEvent], kind: EventKind) -> list[ProxyEvent]:
    return [event for event in events if event.kind is kind]
