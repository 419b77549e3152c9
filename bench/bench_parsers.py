"""Throughput of the native Squid parser against a naive ``str.split`` baseline, in the same process.

Run: ``.venv/bin/python bench/bench_parsers.py [lines]``. The synthetic input is generated in memory (no files);
the baseline only splits each line and builds a tuple, so the ratio is the cost of real parsing (timestamps, URL
host extraction, normalisation, event objects) over the bare minimum of touching every field.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable

from discovery.parsers.base import ParseStats, parse_lines
from discovery.parsers.squid import SquidParser

_HOSTS = ("chatgpt.com", "claude.ai", "gemini.google.com", "www.example.com", "cdn.example.net")


def synthetic_squid_lines(count: int) -> list[str]:
    """``count`` native access.log lines mixing CONNECT and absolute-form GET/POST, as squid writes them."""
    lines = []
    for i in range(count):
        host = _HOSTS[i % len(_HOSTS)]
        if i % 3 == 0:
            method, url, code = "CONNECT", f"{host}:443", "TCP_TUNNEL/200"
        else:
            method, url, code = ("POST" if i % 7 == 0 else "GET"), f"http://{host}/api/{i % 97}", "TCP_MISS/200"
        lines.append(
            f"{1714641164 + i // 100}.{i % 1000:03d} {i % 5000:6d} 10.0.{i % 250}.{i % 200} {code} {i % 65536} "
            f"{method} {url} user{i % 50} HIER_DIRECT/104.18.32.{i % 250} -\n"
        )
    return lines


def _baseline(lines: Iterable[str]) -> int:
    count = 0
    for line in lines:
        parts = line.split()
        if len(parts) >= 10:
            _ = (parts[0], parts[2], parts[3], parts[4], parts[6], parts[7])
            count += 1
    return count


def _ours(lines: Iterable[str]) -> int:
    stats = ParseStats()
    for _ in parse_lines(SquidParser(), lines, stats):
        pass
    return stats.records_parsed


def _rate(func: Callable[[Iterable[str]], int], lines: list[str], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        parsed = func(lines)
        best = min(best, time.perf_counter() - start)
        assert parsed == len(lines), f"{func.__name__} parsed {parsed} of {len(lines)}"
    return len(lines) / best


def main(count: int = 200_000) -> None:
    lines = synthetic_squid_lines(count)
    baseline = _rate(_baseline, lines)
    ours = _rate(_ours, lines)
    print(f"lines: {count}")
    print(f"naive str.split baseline: {baseline:12,.0f} lines/s")
    print(f"SquidParser (parse_lines): {ours:11,.0f} lines/s")
    print(f"ratio baseline/ours: {baseline / ours:.1f}x slower than a bare split")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000)
