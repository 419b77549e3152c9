"""Reliability benchmark (issue 12's "done when"): a multi-million-line Squid log whose malformed lines carry NUL
bytes, bare ``\\r``, invalid UTF-8 and over-long fields, ingested on PostgreSQL by real Celery workers through the
user's command (``manage.py ingest_logs --queue``, a fresh process), optionally with ``kill -9`` of the whole worker
in the middle; the batch must end ``done`` with EXACT counts (lines read, malformed, matched, requests per service),
nothing lost and nothing counted twice.

Usage (PostgreSQL and Redis)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/aigov CELERY_BROKER_URL=redis://127.0.0.1:6379/9 \\
        .venv/bin/python bench/reliability_ingest.py [--lines 3000000] [--chunk-mb 16] [--workers 2] [--kill]

It creates and drops its own database (``bench_reliability_<pid>``, see ``bench/_django.py``); the workers and the
command run as their own processes against it. With ``--kill`` the worker's whole process group gets SIGKILL once a
third of the chunks are done, and a new worker is started: what the dead worker held comes back by the broker's
redelivery (``CELERY_VISIBILITY_TIMEOUT``, set to 15 s here) and, for a message that died with it, by the reaper
(``reap_stuck_chunks_task``, run here as beat would once a chunk is past its time limit: ``CELERY_TASK_TIME_LIMIT``
is set to 120 s for the run). Exits 1 when any count differs.

Printed: the command's wall time (upload to ``done``, start-up included), lines/s, and beside it a naive
``split()`` loop over the same file run as its own process (the floor any ingestion pays to read the lines).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from _django import ROOT, bench_database

AI_TARGETS = [
    ("CONNECT", "chatgpt.com:443", "chatgpt.com"),
    ("POST", "https://chat.deepseek.com/api/v0/file/upload_file?session={n}", "chat.deepseek.com"),
    ("CONNECT", "claude.ai:443", "claude.ai"),
    ("GET", "https://gemini.google.com/app/{n}?hl=en", "gemini.google.com"),
    ("CONNECT", "copilot.microsoft.com:443", "copilot.microsoft.com"),
    ("GET", "https://www.perplexity.ai/search/{n}?q={m}", "www.perplexity.ai"),
]
#: garbage a real proxy log holds now and then: a torn write with NULs, a stray CR, Latin-1 bytes, a binary blob,
#: an over-long line, a half line
GARBAGE = [
    b"\x00\x00\x00\x00 torn write \x00 1772445600.000",
    b"1772445600.000 12 10.0.0.5 TCP_MISS/200 12\r34 GET http://x.example/ - HIER_NONE/- -",
    b"caf\xe9 cr\xe8me \xff\xfe not squid at all",
    bytes(range(1, 32)).replace(b"\n", b"") + b"\x80\x81\x82",
    b"1772445600.000 " + b"9" * 5000 + b" 10.0.0.5 broken",
    b"1772445600.000 70 10.0.0.7 TCP_TUNNEL/200",
    b"1772445600.000 EIGHT 10.0.0.6 TCP_MISS/200 1 GET http://a\x00b.example/ - HIER_NONE/- -",
]
BASELINE = """
import sys
n = 0
with open(sys.argv[1], "rb") as fh:
    for line in fh:
        parts = line.split()
        if len(parts) >= 7:
            n += 1
print(n)
"""


def write_log(path: Path, lines: int, malformed_every: int, seed: int = 7) -> dict[str, Any]:
    """The log and what any exact ingestion of it must count (the generator knows every line it wrote)."""
    rng = random.Random(seed)
    users = [f"CORP\\user{i}" for i in range(800)] + ["-", "jdoe@corp.example"]
    ts = 1_772_409_600.0
    per_host: Counter[str] = Counter()
    malformed = 0
    with path.open("wb") as out:
        buffer: list[bytes] = []
        for i in range(lines):
            if malformed_every and i % malformed_every == malformed_every - 1:
                buffer.append(GARBAGE[(i // malformed_every) % len(GARBAGE)] + b"\n")
                malformed += 1
            elif rng.random() < 0.15:
                method, url, host = rng.choice(AI_TARGETS)
                per_host[host] += 1
                url = url.format(n=rng.randrange(10**6), m=rng.randrange(10**4))
                buffer.append(
                    f"{ts + i * 0.01:.3f} {rng.randint(1, 99_999):6d} 10.{i % 7}.{i % 251}.{i % 13} TCP_MISS/200 "
                    f"{rng.randint(200, 90_000)} {method} {url} {rng.choice(users)} HIER_DIRECT/203.0.113.9 "
                    "application/json\n".encode()
                )
            else:
                # ~30 % of the other URLs unique, as real proxy logs are
                host = f"www.site{rng.randrange(3000)}.org"
                path_part = f"/p/{i}?q={rng.randrange(1000)}" if rng.random() < 0.3 else "/index.html"
                buffer.append(
                    f"{ts + i * 0.01:.3f} {rng.randint(1, 99_999):6d} 10.{i % 7}.{i % 251}.{i % 13} TCP_MISS/200 "
                    f"{rng.randint(200, 90_000)} GET http://{host}{path_part} {rng.choice(users)} "
                    "HIER_DIRECT/203.0.113.9 text/html\n".encode()
                )
            if len(buffer) >= 50_000:
                out.writelines(buffer)
                buffer.clear()
        out.writelines(buffer)
    return {"lines": lines, "malformed": malformed, "per_host": per_host}


class Worker:
    """``celery worker`` on the ingest queue in its own process group (SIGKILL reaches the pool children)."""

    def __init__(self, name: str, env: dict[str, str], concurrency: int, log_dir: Path) -> None:
        self.log = (log_dir / f"worker-{name}.log").open("wb")
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "ingest", "-c", str(concurrency)]
        command += ["-n", f"{name}@%h", "--without-gossip", "--without-mingle", "-l", "WARNING"]
        self.process = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)
        self.log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=3_000_000)
    parser.add_argument("--malformed-every", type=int, default=1000, help="one garbage line per N (default 1000)")
    parser.add_argument("--chunk-mb", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="worker pool processes (default 2)")
    parser.add_argument("--kill", action="store_true", help="SIGKILL the whole worker once a third of chunks are done")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("set DATABASE_URL=postgres://...: the workers and the command are processes of their own")
    os.environ["DISCOVERY_CHUNK_BYTES"] = str(args.chunk_mb * 1024 * 1024)
    os.environ["CELERY_TASK_TIME_LIMIT"] = "120"
    os.environ["CELERY_TASK_SOFT_TIME_LIMIT"] = "110"
    os.environ["CELERY_VISIBILITY_TIMEOUT"] = "15"
    with bench_database("reliability") as (_engine, tmp):
        sys.exit(run(args, tmp))


def run(args: argparse.Namespace, tmp: Path) -> int:
    from django.db import connection, connections
    from django.db.models import Sum
    from django.utils import timezone

    from discovery.catalog import CatalogMatcher
    from discovery.ingest import catalog_snapshot
    from discovery.models import LogBatch, LogChunk, UsageRecord
    from discovery.services import log_chunks_reap

    db = connection.settings_dict
    env = dict(os.environ)
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    env["DATABASE_URL"] = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{host}/{db['NAME']}"
    env["DATA_DIR"] = str(tmp)
    env.setdefault("SECRET_KEY", "bench-" + "x" * 50)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.test"

    log = tmp / "access.log"
    print(f"writing {args.lines:,} lines (one garbage line per {args.malformed_every}) ...", flush=True)
    expected = write_log(log, args.lines, args.malformed_every)
    size = log.stat().st_size
    print(f"file: {size / 1e6:.0f} MB, {expected['malformed']:,} malformed lines, chunks of {args.chunk_mb} MiB")

    start = time.perf_counter()
    base = subprocess.run([sys.executable, "-c", BASELINE, str(log)], capture_output=True, text=True, check=True)
    base_seconds = time.perf_counter() - start

    workers = [Worker("w1", env, args.workers, tmp)]
    killed: dict[str, Any] = {}
    stop = threading.Event()

    def killer() -> None:
        try:
            kill_when_a_third_is_done()
        finally:
            connections.close_all()  # this thread's connection, before the database is dropped

    def kill_when_a_third_is_done() -> None:
        while not stop.wait(0.05):
            batch = LogBatch.objects.filter(original_name=log.name).first()
            if batch is None or not batch.chunks_total:
                continue
            if batch.chunks_done >= max(1, batch.chunks_total // 3):
                workers[0].stop(signal.SIGKILL)
                killed.update(at=batch.chunks_done, of=batch.chunks_total, when=time.perf_counter() - start)
                workers.append(Worker("w2", env, args.workers, tmp))
                break

    def reaper() -> None:  # beat's reap_stuck_chunks_task (every 5 minutes in production; 30 s here)
        try:
            while not stop.wait(30):
                outcome = log_chunks_reap(now=timezone.now())
                if outcome.requeued or outcome.failed:
                    print(f"  reaper: {outcome}", flush=True)
        finally:
            connections.close_all()

    def monitor() -> None:  # progress every 10 s: where a recovery spends its time
        try:
            while not stop.wait(10):
                batch = LogBatch.objects.filter(original_name=log.name).first()
                if batch is not None:
                    chunks = LogChunk.objects.filter(batch=batch)
                    states = Counter(chunks.values_list("status", flat=True))
                    print(f"  {time.perf_counter() - start:6.1f} s: {dict(states)}", flush=True)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=reaper, daemon=True), threading.Thread(target=monitor, daemon=True)]
    if args.kill:
        threads.append(threading.Thread(target=killer, daemon=True))
    try:
        command = [sys.executable, "manage.py", "ingest_logs", "--queue", "--json", "--format", "squid"]
        command += ["--source", "bench proxy", "--timeout", "3000", str(log)]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
        ours_seconds = time.perf_counter() - start
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        for worker in workers:
            worker.stop()
    if done.returncode:
        print(f"ingest_logs exited {done.returncode}: {done.stderr[-2000:]}")
    report = json.loads(done.stdout or "{}")

    batch = LogBatch.objects.get(original_name=log.name)
    matcher: CatalogMatcher = catalog_snapshot().matcher
    want_per_service: Counter[str] = Counter()
    for host, count in expected["per_host"].items():
        match = matcher.match(host)
        want_per_service[match.service_slug if match else f"(unmatched {host})"] += count
    usage = UsageRecord.objects.filter(batch=batch)
    got_per_service = Counter(dict(usage.values_list("service__slug").annotate(total=Sum("requests"))))
    chunk_lines = sum(LogChunk.objects.filter(batch=batch).values_list("records_read", flat=True))
    checks = {
        "status": (batch.status, "done"),
        "lines read": (batch.records_read, expected["lines"]),
        "malformed": (batch.records_malformed, expected["malformed"]),
        "matched": (batch.records_matched, sum(expected["per_host"].values())),
        "requests per service": (dict(got_per_service), dict(want_per_service)),
        "chunks done": (batch.chunks_done, batch.chunks_total),
        "chunk rows read": (chunk_lines, batch.records_read),
        "samples stored": (len(batch.malformed_samples) > 0, True),
    }
    failures = [name for name, (got, want) in checks.items() if got != want]
    attempts = Counter(LogChunk.objects.filter(batch=batch).values_list("attempts", flat=True))
    print(f"workers: {args.workers} pool processes" + (f"; SIGKILL at {killed}" if args.kill else ""))
    if args.kill and not killed:
        failures.append("kill (the batch finished before a third of its chunks were seen done)")
    print(f"chunk attempts: {dict(sorted(attempts.items()))}; command report status: {report.get('status')}")
    for name, (got, want) in checks.items():
        print(f"  {'ok ' if got == want else 'BAD'} {name}: {got}" + ("" if got == want else f" (expected {want})"))
    rate = args.lines / ours_seconds
    print(f"ingest_logs --queue, upload to done (fresh process): {ours_seconds:7.1f} s  {rate:>10,.0f} lines/s")
    print(f"naive split() loop (fresh process, reads only):   {base_seconds:7.1f} s  (counted {base.stdout.strip()})")
    print(f"ratio: {ours_seconds / base_seconds:.1f}x")
    if failures:
        print("FAILED: " + ", ".join(failures))
        print(f"worker logs in {tmp} are removed; rerun to inspect")
        return 1
    print("exact counts: PASS")
    return 0


if __name__ == "__main__":
    main()
