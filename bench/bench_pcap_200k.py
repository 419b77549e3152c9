"""Name extraction from a synthesized 200,000-packet capture: ``discovery.parsers.pcap`` vs ``tshark -T fields``.

Usage: ``.venv/bin/python bench/bench_pcap_200k.py [--packets N]``. Packets are built with scapy once per template
(DNS query, TCP SYN + TLS ClientHello with SNI, TCP SYN + HTTP GET with Host) and written with varied addresses,
ports and timestamps by a plain pcap writer. Both tools read the same file once; the script prints both times, the
ratio (issue target: ours at least 3x faster) and whether the extracted names agree (as multisets per kind).

Ours is ``read_names`` (DNS questions, TLS/QUIC SNI, HTTP hosts; no FLOW records), tshark is ``-Y <filter> -T fields``
with its start-up included in its time, as a user running it pays it. ``--full`` also times ``read_capture``.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from discovery.parsers.pcap import CaptureStats, read_capture, read_names  # noqa: E402

NAMES = ["chatgpt.com", "claude.ai", "chat.deepseek.com", "huggingface.co", "www.example.com", "intranet.corp.example"]


def templates() -> list[list[bytes]]:
    """Per flow kind, the packets (as bytes) of one flow, with placeholder addresses rewritten later by scapy."""
    logging.getLogger("scapy").setLevel(logging.ERROR)
    from scapy.layers.dns import DNS, DNSQR
    from scapy.layers.inet import IP, TCP, UDP
    from scapy.layers.l2 import Ether
    from scapy.layers.tls.extensions import ServerName, TLS_Ext_ServerName
    from scapy.layers.tls.handshake import TLSClientHello
    from scapy.layers.tls.record import TLS

    flows: list[list[bytes]] = []
    for i, name in enumerate(NAMES):
        src, dst, sport = f"10.1.{i}.2", f"198.51.100.{i + 1}", 40000 + i
        eth = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
        flows.append(
            [bytes(eth / IP(src=src, dst="10.0.0.53") / UDP(sport=sport, dport=53) / DNS(rd=1, qd=DNSQR(qname=name)))]
        )
        hello = TLS(msg=[TLSClientHello(ext=[TLS_Ext_ServerName(servernames=[ServerName(servername=name.encode())])])])
        flows.append(
            [
                bytes(eth / IP(src=src, dst=dst) / TCP(sport=sport, dport=443, flags="S", seq=1000)),
                bytes(
                    eth / IP(src=src, dst=dst) / TCP(sport=sport, dport=443, flags="PA", seq=1001, ack=1) / bytes(hello)
                ),
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


def ours(path: Path) -> tuple[float, Counter[tuple[str, str]]]:
    """``read_names``: the names-only reader (what tshark is asked for here: no flow records)."""
    start = time.perf_counter()
    names: Counter[tuple[str, str]] = Counter()
    for _frame, _ts, kind, host in read_names(path, CaptureStats()):
        if kind in ("dns", "tls", "http"):
            names[(kind, host)] += 1
    return time.perf_counter() - start, names


def ours_full(path: Path) -> tuple[float, Counter[tuple[str, str]]]:
    """``read_capture``: every event (names and FLOW records), for reference."""
    start = time.perf_counter()
    names: Counter[tuple[str, str]] = Counter()
    for event in read_capture(path, CaptureStats()):
        if event.kind.value in ("dns", "tls", "http"):
            names[(event.kind.value, event.host)] += 1
    return time.perf_counter() - start, names


def tshark(path: Path) -> tuple[float, Counter[tuple[str, str]]]:
    command = [
        "tshark", "-n", "-r", str(path), "-Y",
        "(dns.flags.response == 0) or (tls.handshake.type == 1) or http.request",
        "-T", "fields", "-e", "dns.qry.name", "-e", "tls.handshake.extensions_server_name", "-e", "http.host",
    ]  # fmt: skip
    start = time.perf_counter()
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    elapsed = time.perf_counter() - start
    names: Counter[tuple[str, str]] = Counter()
    for line in output.splitlines():
        dns, sni, host = [*line.split("\t"), "", "", ""][:3]
        for kind, value in (("dns", dns), ("tls", sni), ("http", host)):
            if value:
                names[(kind, value.lower())] += 1
    return elapsed, names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packets", type=int, default=200_000)
    parser.add_argument("--full", action="store_true", help="also time read_capture (names + FLOW records)")
    args = parser.parse_args()
    path = Path(tempfile.mkdtemp(prefix="bench-pcap-")) / "synth.pcap"
    write_capture(path, args.packets)
    print(f"capture: {args.packets:,} packets, {path.stat().st_size / 1e6:.1f} MB")
    ours_seconds, ours_names = ours(path)
    print(f"pcap.read_names          {ours_seconds:8.2f} s  names {sum(ours_names.values()):,}")
    if args.full:
        full_seconds, full_names = ours_full(path)
        same_full = full_names == ours_names
        print(f"pcap.read_capture (all)  {full_seconds:8.2f} s  names {sum(full_names.values()):,}  same: {same_full}")
    if not shutil.which("tshark"):
        print("tshark not installed: no comparison")
        return
    tshark_seconds, tshark_names = tshark(path)
    print(f"tshark -Y ... -T fields  {tshark_seconds:8.2f} s  names {sum(tshark_names.values()):,}")
    print(f"ratio (tshark / ours): {tshark_seconds / ours_seconds:.2f}x   (target >= 3x)")
    same = ours_names == tshark_names
    print(f"same names: {same}")
    if not same:
        print("  only ours:", (ours_names - tshark_names).most_common(5))
        print("  only tshark:", (tshark_names - ours_names).most_common(5))


if __name__ == "__main__":
    main()
