"""Name extraction from a synthesized 200,000-packet capture: ``discovery.parsers.pcap`` vs ``tshark -T fields``.

Usage: ``.venv/bin/python bench/bench_pcap_200k.py [--packets N]``. Packets are built once per template (DNS query,
TCP SYN + TLS ClientHello with SNI, TCP SYN + HTTP GET with Host) with the tests' packet builder
(``tests/discovery/pcap/_packets.py``) and written with varied addresses, ports and timestamps by a plain pcap
writer. Both tools read the same file once; the script prints both times, the
ratio (issue target: ours at least 3x faster) and whether the extracted names agree (as multisets per kind).

Ours is ``read_names`` (DNS questions, TLS/QUIC SNI, HTTP hosts; no FLOW records), called in this process as the
service does (module already imported); tshark is ``-Y <filter> -T fields`` with its start-up included in its time,
as a user running it pays it. For a like-for-like reading the script also prints: CPU seconds (user + system) of
both, which another busy process on the machine disturbs less than wall time; tshark's start-up alone (the same
command on an empty capture); and ours as a fresh process too (interpreter start-up and imports included).
``--full`` also times ``read_capture``; ``--repeat N`` runs every measurement N times and reports the best.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from discovery.parsers.pcap import CaptureStats, read_capture, read_names  # noqa: E402

NAMES = ["chatgpt.com", "claude.ai", "chat.deepseek.com", "huggingface.co", "www.example.com", "intranet.corp.example"]


def templates() -> list[list[bytes]]:
    """Per flow kind, the packets (as bytes) of one flow, with placeholder addresses rewritten later."""
    from tests.discovery.pcap._packets import DNS, DNSQR, IP, TCP, UDP, Ether, client_hello

    flows: list[list[bytes]] = []
    for i, name in enumerate(NAMES):
        src, dst, sport = f"10.1.{i}.2", f"198.51.100.{i + 1}", 40000 + i
        eth = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
        flows.append(
            [bytes(eth / IP(src=src, dst="10.0.0.53") / UDP(sport=sport, dport=53) / DNS(rd=1, qd=DNSQR(qname=name)))]
        )
        hello = client_hello(name)
        flows.append(
            [
                bytes(eth / IP(src=src, dst=dst) / TCP(sport=sport, dport=443, flags="S", seq=1000)),
                bytes(eth / IP(src=src, dst=dst) / TCP(sport=sport, dport=443, flags="PA", seq=1001, ack=1) / hello),
            ]
        )
        request = f"GET /index.html HTTP/1.1\r\nHost: {name}\r\nUser-Agent: bench\r\n\r\n".encode()
        flows.append(
            [
                bytes(eth / IP(src=src, dst=dst) / TCP(sport=sport, dport=80, flags="S", seq=5000)),
                bytes(eth / IP(src=src, dst=dst) / TCP(sport=sport, dport=80, flags="PA", seq=5001, ack=1) / request),
            ]
        )
    return flows


def _ip_checksum(header: bytes) -> int:
    total = sum(struct.unpack(f"!{len(header) // 2}H", header))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def retarget(packet: bytes, flow: int) -> bytes:
    """Give flow number ``flow`` its own client address and port (IPv4 header checksum fixed; L4 checksums are
    left as built, which neither reader validates)."""
    data = bytearray(packet)
    ip = 14
    data[ip + 12 : ip + 16] = bytes([10, (flow >> 16) & 0xFF, (flow >> 8) & 0xFF, flow & 0xFF or 1])
    data[ip + 10 : ip + 12] = b"\0\0"
    data[ip + 10 : ip + 12] = struct.pack("!H", _ip_checksum(bytes(data[ip : ip + 20])))
    l4 = ip + (data[ip] & 0x0F) * 4
    data[l4 : l4 + 2] = struct.pack("!H", 1024 + flow % 60000)
    return bytes(data)


def write_capture(path: Path, packets: int) -> None:
    flows = templates()
    with path.open("wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        written = flow = 0
        ts = 1_772_409_600.0
        while written < packets:
            for packet in flows[flow % len(flows)]:
                if written >= packets:
                    break
                data = retarget(packet, flow)
                ts += 0.0005
                out.write(struct.pack("<IIII", int(ts), int((ts % 1) * 1e6), len(data), len(data)))
                out.write(data)
                written += 1
            flow += 1


Timing = tuple[float, float]  # wall seconds, CPU seconds


def ours(path: Path) -> tuple[Timing, Counter[tuple[str, str]]]:
    """``read_names``: the names-only reader (what tshark is asked for here: no flow records)."""
    start, cpu = time.perf_counter(), time.process_time()
    names: Counter[tuple[str, str]] = Counter()
    for _frame, _ts, kind, host in read_names(path, CaptureStats()):
        if kind in ("dns", "tls", "http"):
            names[(kind, host)] += 1
    return (time.perf_counter() - start, time.process_time() - cpu), names


def ours_process(path: Path) -> Timing:
    """``read_names`` in a fresh interpreter: start-up and imports included, like tshark's."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[2]); from discovery.parsers.pcap import read_names; "
        "print(sum(1 for _ in read_names(sys.argv[1])))"
    )
    return _child([sys.executable, "-c", code, str(path), str(ROOT)])[0]


def _child(command: list[str]) -> tuple[Timing, str]:
    """Run a command; its wall time, its CPU time (user + system, from the children's resource usage) and output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return (elapsed, cpu), output


def ours_full(path: Path) -> tuple[float, Counter[tuple[str, str]]]:
    """``read_capture``: every event (names and FLOW records), for reference."""
    start = time.perf_counter()
    names: Counter[tuple[str, str]] = Counter()
    for event in read_capture(path, CaptureStats()):
        if event.kind.value in ("dns", "tls", "http"):
            names[(event.kind.value, event.host)] += 1
    return time.perf_counter() - start, names


def tshark(path: Path) -> tuple[Timing, Counter[tuple[str, str]]]:
    command = [
        "tshark", "-n", "-r", str(path), "-Y",
        "(dns.flags.response == 0) or (tls.handshake.type == 1) or http.request",
        "-T", "fields", "-e", "dns.qry.name", "-e", "tls.handshake.extensions_server_name", "-e", "http.host",
    ]  # fmt: skip
    elapsed, output = _child(command)
    names: Counter[tuple[str, str]] = Counter()
    for line in output.splitlines():
        dns, sni, host = [*line.split("\t"), "", "", ""][:3]
        for kind, value in (("dns", dns), ("tls", sni), ("http", host)):
            if value:
                names[(kind, value.lower())] += 1
    return elapsed, names


def _best[T](measure: Callable[[], tuple[Timing, T]], repeat: int) -> tuple[Timing, T]:
    """The run with the least wall time of ``repeat`` (and its result)."""
    runs = [measure() for _ in range(repeat)]
    return min(runs, key=lambda run: run[0][0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packets", type=int, default=200_000)
    parser.add_argument("--full", action="store_true", help="also time read_capture (names + FLOW records)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of every measurement; the best is reported")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-pcap-") as folder:
        run(args, Path(folder))


def run(args: argparse.Namespace, folder: Path) -> None:
    path = folder / "synth.pcap"
    write_capture(path, args.packets)
    print(f"capture: {args.packets:,} packets, {path.stat().st_size / 1e6:.1f} MB")
    (ours_wall, ours_cpu), ours_names = _best(lambda: ours(path), args.repeat)
    print(f"pcap.read_names          {ours_wall:8.2f} s  (CPU {ours_cpu:5.2f} s)  names {sum(ours_names.values()):,}")
    if args.full:
        full_seconds, full_names = ours_full(path)
        same_full = full_names == ours_names
        print(f"pcap.read_capture (all)  {full_seconds:8.2f} s  names {sum(full_names.values()):,}  same: {same_full}")
    if not shutil.which("tshark"):
        print("tshark not installed: no comparison")
        return
    (tshark_wall, tshark_cpu), tshark_names = _best(lambda: tshark(path), args.repeat)
    print(
        f"tshark -Y ... -T fields  {tshark_wall:8.2f} s  (CPU {tshark_cpu:5.2f} s)  "
        f"names {sum(tshark_names.values()):,}"
    )
    print(
        f"ratio (tshark / ours): {tshark_wall / ours_wall:.2f}x wall, {tshark_cpu / ours_cpu:.2f}x CPU   (target >= 3x)"
    )
    same = ours_names == tshark_names
    print(f"same names: {same}")
    if not same:
        print("  only ours:", (ours_names - tshark_names).most_common(5))
        print("  only tshark:", (tshark_names - ours_names).most_common(5))
    empty = folder / "empty.pcap"
    write_capture(empty, 0)
    (startup_wall, _), _ = _best(lambda: tshark(empty), args.repeat)
    process_wall, process_cpu = _best(lambda: (ours_process(path), None), args.repeat)[0]
    print(
        f"for reference: tshark start-up alone {startup_wall:.2f} s; ours as a fresh process (interpreter start-up "
        f"and imports included) {process_wall:.2f} s (CPU {process_cpu:.2f} s): {tshark_wall / process_wall:.2f}x wall"
    )


if __name__ == "__main__":
    main()
