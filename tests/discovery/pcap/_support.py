"""Shared paths and helpers for the pcap reader tests."""

from __future__ import annotations

import csv
import os
import shutil
import struct
from collections.abc import Sequence
from pathlib import Path

import pytest

from discovery.parsers.base import EventKind, ProxyEvent
from discovery.parsers.pcap import CaptureOptions, CaptureStats, read_capture

from ._packets import Layer

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "tests" / "fixtures" / "pcap"
ZEEK_PCAPS = FIXTURES / "zeek"  # copies of the shared Zeek traces, with their licence (see FIXTURES / "README.md")
PLASO = FIXTURES / "plaso" / "plaso_test.pcap"
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


def write_pcap(
    path: Path,
    frames: Sequence[bytes | Layer],
    linktype: int,
    *,
    times: Sequence[float] | None = None,
    snaplen: int = 65535,
    nano: bool = False,
) -> Path:
    """Write a classic little-endian pcap (micro- or nanosecond time stamps), frames cut to ``snaplen``."""
    out = bytearray(struct.pack("<IHHiIII", 0xA1B23C4D if nano else 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype))
    for index, frame in enumerate(frames):
        data = bytes(frame)
        ts = times[index] if times else 1_700_000_000 + index
        captured = data[:snaplen]
        fraction = round((ts % 1) * (1e9 if nano else 1e6))
        out += struct.pack("<IIII", int(ts), fraction, len(captured), len(data)) + captured
    path.write_bytes(out)
    return path


def tshark() -> str:
    """The path of tshark (Debian package ``tshark``, which .ci/run installs): a peer the cross-checks need. Missing,
    it fails the test under ``CI=true`` and skips it elsewhere."""
    path = shutil.which("tshark")
    if path is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("tshark is not installed (apt-get install tshark); CI must run the tshark cross-checks")
        pytest.skip("tshark is not installed (apt-get install tshark)")
    return path
