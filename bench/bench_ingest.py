"""End-to-end ingestion benchmark: 1,000,000 Squid native lines through ``ingest_logs``' path (hash and plan, parse,
match against the catalog built from the database, aggregate, commit) versus a minimal pure-Python ``split()`` loop
over the same file that only extracts the host and looks it up in a set.

Usage: ``.venv/bin/python bench/bench_ingest.py [--lines N] [--chunk-mb M] [--rounds R]``. Runs on the embedded
default (SQLite in a temporary DATA_DIR, removed afterwards); with ``DATABASE_URL=postgres://...`` it creates and drops
a ``bench_ingest_<pid>`` database. The lines are shaped as Squid's built-in ``squid`` logformat writes them
(``%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt``: the elapsed time right-aligned in six columns).

Each round times the baseline, then the ingestion of the file by a new log source (so it is not a duplicate), side
by side in this process; with the machine's timing noise (a shared 2-core VM varies by +-20 % from one second to the
next) one round is one sample, so it runs ``--rounds`` (default 3) and prints every round's ratio and the median
(issue target: <= 2x), records/s, where the ingestion time went (hash and plan, storing the file, parse + match +
aggregate, database commit; parses run on helper threads beside the commits, so the parts add up to more than the
wall time) and the process's peak RSS.

Before the timed run a one-line file is ingested (and its time printed): it pays the process's one-off costs that a
running web or worker process has already paid (importing and connecting the Celery broker the batch-finished
alert task is sent to, building the catalog matcher), so that they are not counted as per-file ingestion time.
"""

from __future__ import annotations

import argparse
import functools
import os
import random
import resource
import statistics
import time
from pathlib import Path

from _django import bench_database  # also puts the repository on sys.path

AI = [
    "CONNECT chatgpt.com:443",
    "POST https://chat.deepseek.com/api/v0/file/upload_file",
    "CONNECT claude.ai:443",
    "POST https://huggingface.co/api/datasets/acme/upload",
    "CONNECT gemini.google.com:443",
    "CONNECT copilot.microsoft.com:443",
    "CONNECT www.perplexity.ai:443",
]
NORMAL = [f"CONNECT host{i}.example{i % 50}.com:443" for i in range(2000)] + [
    f"GET http://www.site{i}.org/index.html" for i in range(500)
]


def write_log(path: Path, lines: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    users = [f"CORP\\user{i}" for i in range(500)] + ["-"]
    ts = 1_772_409_600.0
    with path.open("w") as out:
        for i in range(lines):
            target = rng.choice(AI) if rng.random() < 0.2 else rng.choice(NORMAL)
            method, url = target.split(" ")
            out.write(
                f"{ts + i * 0.6:.3f} {rng.randint(1, 99_999):6d} 10.{i % 7}.{i % 251}.{i % 13} TCP_MISS/200 "
                f"{rng.randint(200, 90_000)} {method} {url} {rng.choice(users)} HIER_DIRECT/203.0.113.9 text/html\n"
            )


def baseline(path: Path, hosts: set[str]) -> tuple[float, int]:
    """The reference: split each line, take the URL field, cut scheme/path/port, look the host up in a set."""
    start = time.perf_counter()
    hits = 0
    with path.open() as handle:
        for line in handle:
            parts = line.split()
            if len(parts) < 7:
                continue
            url = parts[6]
            if "://" in url:
                url = url.split("://", 1)[1]
            host = url.split("/", 1)[0].rsplit(":", 1)[0]
            if host in hosts:
                hits += 1
    return time.perf_counter() - start, hits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--chunk-mb", type=int, default=None, help="default: the DISCOVERY_CHUNK_BYTES setting")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if args.chunk_mb is not None:
        os.environ["DISCOVERY_CHUNK_BYTES"] = str(args.chunk_mb * 1024 * 1024)
    with bench_database("ingest") as (engine, tmp):
        run(args, engine, tmp)


def run(args: argparse.Namespace, engine: str, tmp: Path) -> None:
    from discovery import ingest, pseudonyms, services
    from discovery.models import AIServiceRule, LogBatch, LogSource, UsageRecord
    from discovery.services import log_batch_ingest

    phases: dict[str, float] = {}

    def timed(module: object, name: str, label: str) -> None:
        function = getattr(module, name)

        @functools.wraps(function)
        def wrapper(*a: object, **k: object) -> object:
            start = time.perf_counter()
            try:
                return function(*a, **k)
            finally:
                phases[label] = phases.get(label, 0.0) + time.perf_counter() - start

        setattr(module, name, wrapper)

    timed(ingest, "plan_file", "hash + plan")
    timed(services, "_log_batch_create", "store file")
    timed(ingest, "run_chunk", "parse + match + aggregate")
    timed(services, "_log_chunk_commit", "commit")

    log = tmp / "access.log"
    write_log(log, args.lines)
    size = log.stat().st_size
    hosts = set(AIServiceRule.objects.exclude(rule_type="url").values_list("value", flat=True))
    hosts |= {"www.perplexity.ai", "chat.deepseek.com"}  # the set lookup has no suffix logic: give it the exact names
    warm = tmp / "warm-up.log"
    warm.write_text(log.open().readline())
    start = time.perf_counter()
    with warm.open("rb") as handle:
        warm_source = LogSource.objects.create(name="warm-up", log_format="squid")
        log_batch_ingest(source=warm_source, fileobj=handle, name=warm.name, synchronous=True)
    warm_seconds = time.perf_counter() - start
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    print(f"database: {engine}; file: {args.lines:,} lines, {size / 1e6:.1f} MB")
    ratios = []
    for round_number in range(1, args.rounds + 1):
        LogBatch.objects.exclude(source__name="warm-up").delete()  # every round starts from the same database
        phases.clear()
        pseudonyms._TOKENS.clear()  # each round pseudonymises and encrypts its users afresh
        source = LogSource.objects.create(name=f"bench-{round_number}", log_format="squid")
        base_seconds, base_hits = baseline(log, hosts)
        start = time.perf_counter()
        with log.open("rb") as handle:
            outcome = log_batch_ingest(source=source, fileobj=handle, name=log.name, synchronous=True)
        ours_seconds = time.perf_counter() - start
        batch = outcome.batch
        ratios.append(ours_seconds / base_seconds)
        print(f"round {round_number}: chunks {batch.chunks_total}")
        print(
            f"  split() + set lookup   {base_seconds:8.2f} s  {args.lines / base_seconds:>12,.0f} lines/s  "
            f"hits {base_hits:,}"
        )
        print(
            f"  ingest end to end      {ours_seconds:8.2f} s  {args.lines / ours_seconds:>12,.0f} lines/s  "
            f"matched {batch.records_matched:,}, malformed {batch.records_malformed}, "
            f"usage rows {UsageRecord.objects.filter(batch=batch).count():,}"
        )
        print(f"  ratio (ingest / baseline): {ratios[-1]:.2f}x")
        print(
            "  of which: "
            + ", ".join(f"{label} {seconds:.2f} s ({seconds / base_seconds:.2f}x)" for label, seconds in phases.items())
        )
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        f"ratio (ingest / baseline), median of {len(ratios)} rounds: {statistics.median(ratios):.2f}x   "
        f"(rounds: {', '.join(f'{r:.2f}x' for r in ratios)}; target <= 2x)"
    )
    print(f"warm-up (one-line file, process one-off costs, not in the figures above): {warm_seconds:.2f} s")
    print(f"peak RSS: {rss_after / 1024:.0f} MiB (before ingestion {rss_before / 1024:.0f} MiB)")


if __name__ == "__main__":
    main()
