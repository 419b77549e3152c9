"""End-to-end ingestion benchmark as a user sees it: ``manage.py ingest_logs FILE`` timed as a fresh process (Python
and Django start-up, hashing and planning, storing the file, parse + match + aggregate, commits, the batch-finished
alert task), next to a naive loop run as its own process the same way on the same file (a plain Python script: for
each line ``split()``, take the host of the URL, look it up in a set of catalogue domains, count per (user, host)).

Usage: ``.venv/bin/python bench/bench_ingest.py [--lines N] [--rounds R] [--unique F] [--malformed F] [--odd F]
[--errors F] [--seed S] [--profile FILE]``. Runs on the embedded default (SQLite in a temporary ``DATA_DIR``, removed
afterwards); with ``DATABASE_URL=postgres://...`` it creates and drops a ``bench_ingest_<pid>`` database (the command
runs on it through its own ``DATABASE_URL``). ``--lines 100000 --rounds 1`` is a quick run.

The file is shaped like a real Squid native access.log (``logformat squid``: ``%ts.%03tu %6tr %>a %Ss/%03>Hs %<st
%rm %ru %[un %Sh/%<a %mt``, the elapsed time right-aligned in six columns): 1,000,000 lines by default over one day
and a bit (a UTC midnight inside), a few hundred users and clients (a fifth of the lines without a user name),
thousands of ordinary hosts and the common AI services, CONNECT tunnels and absolute-form GET/POST/...; ``--unique``
(default 0.33) of the lines carry a URL seen nowhere else (``/path/<n>?q=<m>``, also on AI hosts with url rules of the
catalogue, as an SSL-bumping proxy logs them), ``--malformed`` (0.001) are broken (cut short, a field missing, a
number that is not one, garbage), ``--odd`` (0.01) are readable but unusual (a non-ASCII user name, an IDN host, a
Latin-1 byte, a URL with user info or an IPv6 literal, an ftp:// URL), and ``--errors`` (0.003) are the entries Squid
writes for a broken transaction (``NONE_NONE/000 ... error:transaction-end-before-headers``, ``error:invalid-request``
in the URL column), which the parser counts as malformed (no destination host).

Each round ingests the file as a new batch (the previous rounds' batches deleted first, so it is not a duplicate)
with ``manage.py ingest_logs FILE --json`` in a new process, and runs the naive loop script in another; both are
timed from the outside (wall time, start-up included) and with the CPU seconds the child used. Printed: per round
the two times, the ratio (the headline; issue target <= 2x), the batch's counts; then the median ratio and the
command's peak RSS; then a second line from this process: the parse + match + aggregate of the same chunks
(``ingest.run_chunk``, Django and the catalog already loaded) next to the naive loop as a function here, with their
ratio. ``--profile FILE`` runs the command once more under cProfile (``python -m cProfile``, which sees every thread
from Python 3.12 on) into FILE and prints its top entries.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from _django import ROOT, bench_database  # also puts the repository on sys.path

MIDNIGHT = 1_772_409_600  # 2026-03-02 00:00 UTC
#: share of the good lines that go to an AI service
AI_SHARE = 0.18
#: (method, URL template, share of the AI lines); ``{n}`` is a unique number, ``{m}`` a random one
AI = [
    ("CONNECT", "chatgpt.com:443", 0.20),
    ("POST", "https://chatgpt.com/backend-api/conversation?id={n}", 0.05),
    ("GET", "https://chatgpt.com/backend-api/conversations/{n}?offset={m}", 0.04),
    ("POST", "https://chatgpt.com/backend-api/files/{n}/uploaded", 0.01),
    ("CONNECT", "claude.ai:443", 0.12),
    ("POST", "https://claude.ai/api/organizations/{m}/chat_conversations/{n}/completion", 0.03),
    ("GET", "https://claude.ai/api/organizations/{m}/chat_conversations/{n}?tree=True", 0.03),
    ("CONNECT", "gemini.google.com:443", 0.08),
    ("CONNECT", "copilot.microsoft.com:443", 0.08),
    ("CONNECT", "www.perplexity.ai:443", 0.05),
    ("POST", "https://chat.deepseek.com/api/v0/file/upload_file?n={n}", 0.02),
    ("CONNECT", "chat.deepseek.com:443", 0.05),
    ("GET", "https://huggingface.co/api/models/acme/m{n}?full={m}", 0.04),
    ("POST", "https://huggingface.co/api/datasets/acme/upload", 0.02),
    ("CONNECT", "api.openai.com:443", 0.08),
    ("POST", "https://api.openai.com/v1/chat/completions?r={n}", 0.04),
    ("CONNECT", "github.com:443", 0.06),
]
RESULTS = ["TCP_MISS/200", "TCP_MISS/200", "TCP_HIT/200", "TCP_MISS/304", "TCP_DENIED/403"]
MIMES = ["text/html", "application/json", "image/png", "text/css", "application/javascript", "-"]
#: the two Squid error entries: no host in the URL column (method NONE)
ERRORS = [
    "{ts}      0 {ip} NONE_NONE/000 0 NONE error:transaction-end-before-headers - HIER_NONE/- -",
    "{ts}      1 {ip} NONE/400 3885 NONE error:invalid-request - HIER_NONE/- text/html",
]
#: readable lines of an unusual shape, which the simplest reading of the format does not cover
ODD = [
    "{ts} {el:6d} {ip} TCP_MISS/200 {size} GET http://www.bücher.example/straße/{n} {user} HIER_DIRECT/198.51.100.7 "
    "text/html",
    "{ts} {el:6d} {ip} TCP_TUNNEL/200 {size} CONNECT chatgpt.com:443 jürgen.müller HIER_DIRECT/104.18.32.47 -",
    "{ts} {el:6d} {ip} TCP_MISS/200 {size} POST https://claude.ai/api/x/{n} josé.garcía HIER_DIRECT/160.79.104.10 -",
    "{ts} {el:6d} {ip} TCP_TUNNEL/200 {size} CONNECT claude.ai:443 CORP\\björn HIER_DIRECT/160.79.104.10 -",
    "{ts} {el:6d} {ip} TCP_MISS/200 {size} GET http://user@www.site{m}.org/login?n={n} {user} HIER_DIRECT/1.2.3.4 -",
    "{ts} {el:6d} {ip} TCP_MISS/200 {size} GET http://[2001:db8::{m:x}]/x/{n} {user} HIER_DIRECT/2001:db8::1 -",
    "{ts} {el:6d} {ip} TCP_MISS/200 {size} GET ftp://ftp.site{m}.org/pub/{n} {user} HIER_DIRECT/1.2.3.4 -",
    "{ts} {el:6d} {ip} TCP_MISS/200 {size} GET https://www.site{m}.org:8443/a/{n} {user} HIER_DIRECT/1.2.3.4 text/html",
]
#: the Latin-1 byte of an old log (the user name "jos\xe9"): not UTF-8, read with a replacement character
LATIN1 = "{ts} {el:6d} {ip} TCP_TUNNEL/200 {size} CONNECT chatgpt.com:443 jos\udce9 HIER_DIRECT/104.18.32.47 -"
NAIVE_LOOP = '''\
"""The naive loop: split each line, take the host of the URL, look it up in a set of domains, count per (user, host)."""
import sys
from collections import Counter

domains = set(open(sys.argv[2]).read().split())
counts = Counter()
with open(sys.argv[1], encoding="utf-8", errors="replace") as handle:
    for line in handle:
        parts = line.split()
        if len(parts) < 10:
            continue
        url = parts[6]
        authority = (url.partition("://")[2] or url).partition("/")[0]
        host = authority.rpartition(":")[0] if ":" in authority else authority
        if host in domains:
            counts[(parts[7], host)] += 1
print(sum(counts.values()), len(counts))
'''


def write_log(path: Path, lines: int, *, unique: float, malformed: float, odd: float, errors: float, seed: int) -> None:
    """``lines`` Squid native lines shaped like a real log (see the module's docstring), written as bytes."""
    rng = random.Random(seed)
    users = [f"user{i:03d}" for i in range(400)] + [f"CORP\\u{i:03d}" for i in range(100)]
    clients = [f"10.{i // 250 % 250}.{i % 250}.{(i * 7) % 250 + 1}" for i in range(600)]
    hosts = [f"www.site{i}.org" for i in range(3000)] + [f"cdn{i}.example{i % 70}.net" for i in range(7000)]
    common = [f"http://{hosts[i % len(hosts)]}/static/{i % 97}.js" for i in range(2500)]
    ai_weights = [share for _, _, share in AI]
    # the AI lines with a unique URL make up a part of `unique`; the ordinary non-CONNECT lines the rest
    ai_unique = AI_SHARE * sum(share for _, template, share in AI if "{n}" in template)
    unique_share = min(1.0, max(0.0, (unique - ai_unique) / ((1 - AI_SHARE) * 0.6)))
    step = 90_000 / lines  # about a day and a bit, over one UTC midnight
    start = MIDNIGHT - 8 * 3600
    n = 0
    with path.open("wb") as out:
        batch: list[str] = []
        for i in range(lines):
            ts = f"{start + i * step:.3f}"
            ip = rng.choice(clients)
            user = "-" if rng.random() < 0.2 else rng.choice(users)
            el, size = rng.randint(0, 120_000), rng.randint(0, 250_000)
            draw = rng.random()
            n += 1
            m = rng.randint(0, 9999)
            if draw < malformed:
                line = rng.choice(
                    [
                        f"{ts} {el:6d} {ip} TCP_MISS/200 {size} GET http://www.site{m}.org/x",  # cut short
                        f"{ts} {el:6d} {ip} TCP_MISS/200 - GET http://www.site{m}.org/ {user} HIER_DIRECT/1.2.3.4 -",
                        f"{ts} {el:6d} {ip} TCP_MISS 200 GET http://www.site{m}.org/ {user} HIER_DIRECT/1.2.3.4 -",
                        f"{ts[:-4]}:{ts[-3:]} {el} {ip} TCP_MISS/200 {size} GET http://a.org/ - HIER_NONE/- -",
                        "\x00\x00\x00\x00" + f"{ip} garbage after a crash {m}",
                    ]
                )
            elif draw < malformed + errors:
                line = rng.choice(ERRORS).format(ts=ts, ip=ip)
            elif draw < malformed + errors + odd:
                template = LATIN1 if rng.random() < 0.05 else rng.choice(ODD)
                line = template.format(ts=ts, el=el, ip=ip, size=size, user=user, n=n, m=m)
            else:
                if rng.random() < AI_SHARE:
                    method, template, _ = rng.choices(AI, ai_weights)[0]
                    url = template.format(n=n, m=m)
                    result = "TCP_TUNNEL/200" if method == "CONNECT" else "TCP_MISS/200"
                elif rng.random() < 0.4:
                    method, url, result = "CONNECT", f"{rng.choice(hosts)}:443", "TCP_TUNNEL/200"
                else:
                    method = rng.choices(["GET", "POST", "HEAD", "PUT", "OPTIONS"], [80, 12, 4, 2, 2])[0]
                    if rng.random() < unique_share:
                        url = f"http://{rng.choice(hosts)}/path/{n}?q={m}"
                    else:
                        url = rng.choice(common)
                    result = rng.choice(RESULTS)
                line = (
                    f"{ts} {el:6d} {ip} {result} {size} {method} {url} {user} "
                    f"HIER_DIRECT/203.0.113.{m % 250} {rng.choice(MIMES)}"
                )
            batch.append(line)
            if len(batch) >= 10_000:
                out.write(("\n".join(batch) + "\n").encode("utf-8", "surrogateescape"))
                batch = []
        if batch:
            out.write(("\n".join(batch) + "\n").encode("utf-8", "surrogateescape"))


def naive_counts(path: Path, domains: set[str]) -> tuple[int, int]:
    """The naive loop as a function of this process (the second line's baseline): what ``NAIVE_LOOP`` does."""
    counts: Counter[tuple[str, str]] = Counter()
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            parts = line.split()
            if len(parts) < 10:
                continue
            url = parts[6]
            authority = (url.partition("://")[2] or url).partition("/")[0]
            host = authority.rpartition(":")[0] if ":" in authority else authority
            if host in domains:
                counts[(parts[7], host)] += 1
    return sum(counts.values()), len(counts)


def timed_process(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run ``command`` to its end: wall seconds, CPU seconds of the child (user + system), its standard output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--unique", type=float, default=0.33, help="share of lines with a URL seen once")
    parser.add_argument("--malformed", type=float, default=0.001, help="share of broken lines")
    parser.add_argument("--odd", type=float, default=0.01, help="share of non-ASCII or unusual-URL lines")
    parser.add_argument("--errors", type=float, default=0.003, help="share of Squid error: entries")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", type=Path, default=None, help="also profile one command run into this file")
    args = parser.parse_args()
    with bench_database("ingest") as (engine, tmp):
        run(args, engine, tmp)


def _command_env(engine: str, tmp: Path) -> dict[str, str]:
    """The environment of the timed command: this database, a DATA_DIR of its own for the stored files."""
    from django.conf import settings

    env = dict(os.environ)
    env.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789abcdefghijklmnop")
    env["DATA_DIR"] = str(tmp)
    env.pop("DJANGO_SETTINGS_MODULE", None)  # manage.py's own default, as a user runs it
    if engine == "postgresql":
        db = settings.DATABASES["default"]
        user, host, port = db.get("USER") or "postgres", db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
        password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
        env["DATABASE_URL"] = f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"
    return env


def run(args: argparse.Namespace, engine: str, tmp: Path) -> None:
    from discovery import ingest
    from discovery.models import AIServiceRule, LogBatch, LogSource, UsageRecord

    log = tmp / "access.log"
    started = time.perf_counter()
    write_log(
        log, args.lines, unique=args.unique, malformed=args.malformed, odd=args.odd, errors=args.errors, seed=args.seed
    )
    generated = time.perf_counter() - started
    size = log.stat().st_size
    domains = tmp / "domains.txt"
    names = set(AIServiceRule.objects.filter(rule_type__in=["exact", "suffix"]).values_list("value", flat=True))
    # the set lookup has no suffix logic: give it the exact names of the AI hosts of the file too
    names |= {url.partition("://")[2].partition("/")[0].partition(":")[0] or url.partition(":")[0] for _, url, _ in AI}
    domains.write_text("\n".join(sorted(names)))
    naive = tmp / "naive_loop.py"
    naive.write_text(NAIVE_LOOP)
    env = _command_env(engine, tmp)
    python = sys.executable
    command = [python, "manage.py", "ingest_logs", str(log), "--json"]
    print(
        f"database: {engine}; file: {args.lines:,} lines, {size / 1e6:.1f} MB (generated in {generated:.1f} s; "
        f"unique URLs {args.unique:.0%}, malformed {args.malformed:.1%}, odd {args.odd:.1%}, "
        f"error entries {args.errors:.1%})"
    )
    print(f"  command: {' '.join(command[1:])}   baseline: python naive_loop.py FILE domains.txt")
    ratios: list[float] = []
    summary: dict[str, Any] = {}
    for round_number in range(1, args.rounds + 1):
        LogBatch.objects.all().delete()  # every round ingests a new batch, not a duplicate
        base_wall, base_cpu, base_out = timed_process([python, str(naive), str(log), str(domains)], env)
        wall, cpu, out = timed_process([*command, "--source", f"bench-{round_number}"], env)
        summary = json.loads(out.strip().splitlines()[-1])
        ratios.append(wall / base_wall)
        hits, pairs = base_out.split()
        print(f"round {round_number}:")
        print(
            f"  naive loop process     {base_wall:7.2f} s  (cpu {base_cpu:5.2f} s)  "
            f"{args.lines / base_wall:>10,.0f} lines/s  hits {int(hits):,} in {int(pairs):,} (user, host) pairs"
        )
        print(
            f"  manage.py ingest_logs  {wall:7.2f} s  (cpu {cpu:5.2f} s)  {args.lines / wall:>10,.0f} lines/s  "
            f"{summary['status']}, chunks {summary['chunks_total']}, matched {summary['records_matched']:,}, "
            f"malformed {summary['records_malformed']:,}, usage rows "
            f"{UsageRecord.objects.filter(batch_id=summary['batch_id']).count():,}"
        )
        print(f"  ratio (ingest_logs / naive loop): {ratios[-1]:.2f}x   cpu ratio {cpu / base_cpu:.2f}x")
    print(
        f"ratio (ingest_logs / naive loop process), median of {len(ratios)} rounds: {statistics.median(ratios):.2f}x"
        f"   (rounds: {', '.join(f'{r:.2f}x' for r in ratios)}; target <= 2x)"
    )
    # the largest child so far is the command (the naive loop holds a set and a counter)
    print(f"peak RSS of the command process: {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MiB")

    # the second line: parse + match + aggregate in this process, next to the naive loop as a function
    batch = LogBatch.objects.get(pk=summary["batch_id"])
    snapshot = ingest.catalog_snapshot()
    hosts = set(domains.read_text().split())
    in_base = min(_seconds(lambda: naive_counts(log, hosts)) for _ in range(2))
    chunks = list(batch.chunks.order_by("index"))

    def parse_all() -> None:
        with log.open("rb") as handle:
            for chunk in chunks:
                ingest.run_chunk(batch, chunk, handle, snapshot=snapshot)

    in_ours = min(_seconds(parse_all) for _ in range(2))
    print(
        f"in process: parse + match + aggregate {in_ours:.2f} s, naive loop function {in_base:.2f} s: "
        f"{in_ours / in_base:.2f}x"
    )
    if args.profile is not None:
        LogBatch.objects.all().delete()
        LogSource.objects.filter(name="bench-profile").delete()
        profiled = [python, "-m", "cProfile", "-o", str(args.profile.resolve()), *command[1:], "--source", "profile"]
        wall, _, _ = timed_process(profiled, env)
        import pstats

        print(f"profile of one more run ({wall:.2f} s under cProfile, every thread) in {args.profile}:")
        pstats.Stats(str(args.profile)).sort_stats("tottime").print_stats(30)


def _seconds(function: Any) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
