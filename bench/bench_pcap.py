"""Benchmark the pcap reader against tshark on the same capture, side by side.

Usage: ``.venv/bin/python bench/bench_pcap.py [--file CAPTURE] [-n REPEATS]`` (default: the plaso sample capture,
5 repeats). Every contender reads the whole file each repeat; the best and median wall time are reported.

* ``discovery.parsers.pcap``: ``read_capture`` (this project): ``struct`` block readers for classic pcap and pcapng
  and ``struct`` header decoding; every event, FLOW records included.
* ``discovery.parsers.pcap names``: ``read_names``, the names-only reader (no FLOW records, no event objects).
* ``tshark``: field extraction of SNI, DNS and HTTP (only if tshark is installed); includes process start-up.

Full scapy dissection was a contender too until issue 18 removed scapy (GPL-2.0-only) from the project.
"""

from __future__ import annotations

import argparse
import functools
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from discovery.parsers.pcap import CaptureStats, read_capture, read_names  # noqa: E402

DEFAULT = ROOT / "tests" / "fixtures" / "pcap" / "plaso" / "plaso_test.pcap"


def ours(path: Path) -> int:
    stats = CaptureStats()
    for _event in read_capture(path, stats):
        pass
    return stats.packets_read


def ours_names(path: Path) -> int:
    stats = CaptureStats()
    for _name in read_names(path, stats):
        pass
    return stats.packets_read


def tshark(path: Path) -> int:
    fields = ["frame.number", "tls.handshake.extensions_server_name", "dns.qry.name", "http.host", "http.request.uri"]
    command = ["tshark", "-n", "-r", str(path), "-T", "fields"]
    for field in fields:
        command += ["-e", field]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return _packet_count(path)


@functools.cache
def _packet_count(path: Path) -> int:
    """Frame count for tshark's rate (capinfos runs once, outside the timed loop after the first call)."""
    count = subprocess.run(["capinfos", "-c", "-M", str(path)], check=True, capture_output=True, text=True).stdout
    return int(count.strip().split()[-1])


def measure(function: Callable[[Path], int], path: Path, repeats: int) -> tuple[int, list[float]]:
    times = []
    packets = 0
    for _ in range(repeats):
        start = time.perf_counter()
        packets = function(path)
        times.append(time.perf_counter() - start)
    return packets, times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=DEFAULT)
    parser.add_argument("-n", "--repeats", type=int, default=5)
    args = parser.parse_args()
    path: Path = args.file
    contenders: list[tuple[str, Callable[[Path], int]]] = [
        ("discovery.parsers.pcap", ours),
        ("discovery.parsers.pcap names", ours_names),
    ]
    if shutil.which("tshark") and shutil.which("capinfos"):
        _packet_count(path)
        contenders.append(("tshark -T fields", tshark))
    else:
        print("tshark not installed: skipped")
    print(
        f"capture: {path} ({path.stat().st_size:,} bytes), {args.repeats} repeats each, Python {sys.version.split()[0]}"
    )
    print(f"{'reader':<28}{'packets':>9}{'best s':>10}{'median s':>10}{'packets/s':>12}{'x ours':>9}")
    baseline: float | None = None
    for name, function in contenders:
        packets, times = measure(function, path, args.repeats)
        best = min(times)
        rate = packets / best
        baseline = baseline or rate
        ratio = baseline / rate
        print(f"{name:<28}{packets:>9,}{best:>10.4f}{statistics.median(times):>10.4f}{rate:>12,.0f}{ratio:>8.1f}x")
    print("'x ours' = how many times slower than discovery.parsers.pcap (best run, packets/s)")


if __name__ == "__main__":
    main()
