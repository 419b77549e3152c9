"""A capture end to end: ``manage.py ingest_logs`` of the 200,000-packet capture of ``bench_pcap_200k.py`` vs
``tshark -Y ... -T fields`` on the same file.

Usage: ``.venv/bin/python bench/bench_pcap_ingest.py [--packets N] [--profile FILE]``. The database is a fresh
SQLite file, migrated before the clock starts; the command runs as a fresh process (interpreter start-up, Django
set-up, hashing, storing, parsing, matching, aggregating, committing: what a user waits for), tshark too (its
start-up included). ``--profile`` runs the command under cProfile and writes the stats to FILE.
Issue 15's target: the command at most 0.5x tshark's wall time.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from bench_pcap_200k import write_capture  # noqa: E402

TSHARK = [
    "tshark", "-n", "-Y", "(dns.flags.response == 0) or (tls.handshake.type == 1) or http.request",
    "-T", "fields", "-e", "dns.qry.name", "-e", "tls.handshake.extensions_server_name", "-e", "http.host",
]  # fmt: skip


def timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packets", type=int, default=200_000)
    parser.add_argument("--profile", help="write the command's cProfile stats here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-pcap-ingest-") as folder:
        path = Path(folder) / "synth.pcap"
        write_capture(path, args.packets)
        print(f"capture: {args.packets:,} packets, {path.stat().st_size / 1e6:.1f} MB")
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": f"sqlite:///{folder}/db.sqlite3",
        }
        python = sys.executable
        subprocess.run([python, "manage.py", "migrate", "-v0"], check=True, env=env, cwd=ROOT, capture_output=True)
        command = [python, "manage.py", "ingest_logs", str(path), "--source", "tap", "--json"]
        if args.profile:
            command[1:1] = ["-m", "cProfile", "-o", args.profile]
        ours = timed(command, env)
        print(f"manage.py ingest_logs   {ours:8.2f} s")
        if not shutil.which("tshark"):
            print("tshark not installed: no comparison")
            return
        theirs = timed([*TSHARK[:2], "-r", str(path), *TSHARK[2:]], env)
        print(f"tshark -Y ... -T fields {theirs:8.2f} s")
        print(f"ratio (ours / tshark): {ours / theirs:.2f}x   (target <= 0.5x)")


if __name__ == "__main__":
    main()
