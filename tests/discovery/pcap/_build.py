"""Captures built connection by connection (many packets each), for the request-counting tests."""

from __future__ import annotations

from pathlib import Path

from ._packets import DNS, DNSQR, DNSRR, IP, TCP, UDP, Ether, Layer, client_hello
from ._support import write_pcap

CLIENT, SERVER, RESOLVER, PROXY = "10.0.0.5", "198.51.100.7", "10.0.0.53", "10.0.0.80"
ETHER = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
T0 = 1772445600.0  # 2026-03-02 10:00 UTC


class Capture:
    """Frames of a capture built connection by connection, with increasing times."""

    def __init__(self) -> None:
        self.frames: list[bytes] = []
        self.times: list[float] = []
        self.port = 40000

    def add(self, packet: Layer) -> None:
        self.frames.append(bytes(packet))
        self.times.append(T0 + len(self.frames) * 0.01)

    def tcp(
        self, messages: list[bytes], *, server: str = SERVER, dport: int = 443, replies: int = 4, fin: bool = True
    ) -> None:
        """A TCP connection: handshake, each client message followed by ``replies`` server segments and one more
        client segment of data (many packets per connection), then FIN both ways unless ``fin`` is false."""
        self.port += 1
        sport, cseq, sseq = self.port, 1000, 9000

        def up(flags: str, payload: bytes = b"") -> None:
            nonlocal cseq
            self.add(
                ETHER / IP(src=CLIENT, dst=server) / TCP(sport=sport, dport=dport, flags=flags, seq=cseq) / payload
            )
            cseq += len(payload) + (1 if "S" in flags or "F" in flags else 0)

        def down(flags: str, payload: bytes = b"") -> None:
            nonlocal sseq
            self.add(
                ETHER / IP(src=server, dst=CLIENT) / TCP(sport=dport, dport=sport, flags=flags, seq=sseq) / payload
            )
            sseq += len(payload) + (1 if "S" in flags or "F" in flags else 0)

        up("S")
        down("SA")
        up("A")
        for message in messages:
            up("PA", message)
            for _ in range(replies):
                down("PA", b"x" * 1200)
            up("A")
        if fin:
            up("FA")
            down("FA")
            up("A")

    def dns(self, name: str) -> None:
        """A lookup of ``name`` (A query and its answer): one DNS question."""
        self.port += 1
        query = DNS(id=self.port, rd=1, qd=DNSQR(qname=name))
        self.add(ETHER / IP(src=CLIENT, dst=RESOLVER) / UDP(sport=self.port, dport=53) / query)
        answer = DNS(id=self.port, qr=1, qd=DNSQR(qname=name), an=DNSRR(rrname=name, rdata=SERVER))
        self.add(ETHER / IP(src=RESOLVER, dst=CLIENT) / UDP(sport=53, dport=self.port) / answer)

    def write(self, path: Path) -> bytes:
        return write_pcap(path, self.frames, 1, times=self.times).read_bytes()


def hello(name: str) -> bytes:
    return client_hello(name)


def get(path: str, host: str = "chatgpt.com") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: t\r\n\r\n".encode()


POST = b"POST /api/chat HTTP/1.1\r\nHost: chatgpt.com\r\nContent-Length: 10\r\n\r\n0123456789"
