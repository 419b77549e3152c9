"""TCP and QUIC CRYPTO reassembly: ClientHellos split across segments, records and Initial packets."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from discovery.parsers.base import EventKind
from discovery.parsers.pcap.quic import client_initial_keys, decrypt_packet, iter_crypto_frames, parse_long_header

from ._packets import read_pcap, replace_payload, transport_payload
from ._support import capture, of_kind, read_all, write_pcap

KYBER = "tls_chrome-1250-tls-x25519-kyber.pcap"
CHROMIUM = "quic_chromium-115.0.5790.110-api-cirrus-com.pcap"


Frame = tuple[float, bytes]  # capture time, Ethernet frame


def _kyber_handshake() -> tuple[list[Frame], Frame, bytes]:
    """The three-way handshake, the ClientHello frame and its 1,756-byte TCP payload."""
    frames = [(ts, data) for _, ts, data in read_pcap(capture(KYBER))]
    hello = frames[3]
    return frames[:3], hello, transport_payload(hello[1])


def _segment(template: Frame, payload: bytes, offset: int) -> Frame:
    # keep capture time: a jump of years would (rightly) expire the flow
    return template[0], replace_payload(template[1], payload, seq_offset=offset)


def _write(path: Path, frames: list[Frame]) -> Path:
    return write_pcap(path, [data for _, data in frames], 1, times=[ts for ts, _ in frames])


def _two_records(payload: bytes, cut: int) -> bytes:
    """Re-frame one handshake record as two TLS records (RFC 8446 5.1: a message may span records)."""
    header, handshake = payload[:5], payload[5:]
    first, second = handshake[:cut], handshake[cut:]
    return header[:3] + len(first).to_bytes(2, "big") + first + header[:3] + len(second).to_bytes(2, "big") + second


# each plan: list of (start, end) slices of the payload, in wire order; the expected frame completes the hello
SEGMENT_PLANS = {
    "one offloaded segment": ([(0, None)], 4),
    "two 1460-MSS segments": ([(0, 1460), (1460, None)], 5),
    "reordered segments": ([(1000, None), (0, 1000)], 5),
    "retransmission with overlap": ([(0, 800), (0, 1200), (600, None)], 6),
    "duplicate after completion": ([(0, 1460), (1460, None), (1460, None)], 5),
    "three segments, middle lost then resent": ([(0, 500), (900, None), (500, 900)], 6),
}


@pytest.mark.parametrize("plan", SEGMENT_PLANS, ids=list(SEGMENT_PLANS))
@pytest.mark.parametrize("records", [1, 2], ids=["one-record", "two-records"])
def test_client_hello_split_across_tcp_segments(plan: str, records: int, tmp_path: Path) -> None:
    # given the 1,747-byte post-quantum ClientHello re-segmented as on a 1500-MTU wire
    handshake, template, payload = _kyber_handshake()
    if records == 2:
        payload = _two_records(payload, 700)
    slices, frame = SEGMENT_PLANS[plan]
    segments = [_segment(template, payload[start:end], start) for start, end in slices]
    path = _write(tmp_path / "split.pcap", handshake + segments)

    # when
    events, stats = read_all(path)

    # then exactly one hello, reported at the frame that completed it
    (hello,) = of_kind(events, EventKind.TLS)
    assert (hello.host, hello.extra["hello_length"], hello.extra["frame"]) == ("lh3.google.com", 1747, frame)
    assert stats.reassembly_gaps == 0


def test_lost_segment_gives_up_without_failing(tmp_path: Path) -> None:
    # given a ClientHello whose first segment never arrives
    handshake, template, payload = _kyber_handshake()
    path = _write(tmp_path / "lost.pcap", [*handshake, _segment(template, payload[1460:], 1460)])

    # when
    events, _ = read_all(path)

    # then no TLS event, but the flow is still reported
    assert of_kind(events, EventKind.TLS) == []
    (flow,) = of_kind(events, EventKind.FLOW)
    assert flow.upload_bytes == len(payload) - 1460


# -- QUIC: build client Initial packets with the RFC 9001 keys ---------------------------------------------------


def _chromium_crypto_stream() -> tuple[bytes, bytes, Frame]:
    """The CRYPTO stream (ClientHello) of the chromium capture's first Initial, its DCID and the datagram's frame."""
    _, ts, frame = read_pcap(capture(CHROMIUM))[0]
    datagram = transport_payload(frame)
    header = parse_long_header(datagram, 0)
    assert header is not None
    plaintext = decrypt_packet(datagram, 0, header, client_initial_keys(header.dcid))
    stream = bytearray()
    for offset, chunk in sorted(iter_crypto_frames(plaintext)):
        stream[offset : offset + len(chunk)] = chunk
    return bytes(stream), header.dcid, (ts, frame)


def _varint(value: int) -> bytes:
    return (0x4000 | value).to_bytes(2, "big") if value < 0x4000 else (0x80000000 | value).to_bytes(4, "big")


def _initial(dcid: bytes, packet_number: int, frames: bytes) -> bytes:
    """Protect one client Initial packet (RFC 9001 sections 5.3 and 5.4), 2-byte packet number."""
    keys = client_initial_keys(dcid)
    frames = frames + bytes(max(0, 1100 - len(frames)))  # PADDING keeps the datagram >= 1200 bytes
    pn = packet_number.to_bytes(2, "big")
    length = _varint(len(pn) + len(frames) + 16)
    header = bytes([0xC1]) + (1).to_bytes(4, "big") + bytes([len(dcid)]) + dcid + b"\x00" + b"\x00" + length + pn
    nonce = (int.from_bytes(keys.iv, "big") ^ packet_number).to_bytes(12, "big")
    ciphertext = AESGCM(keys.key).encrypt(nonce, frames, header)
    pn_offset = len(header) - 2
    sample = ciphertext[2:18]  # 4 bytes after the start of the 2-byte packet number
    encryptor = Cipher(algorithms.AES(keys.hp), modes.ECB()).encryptor()
    mask = encryptor.update(sample) + encryptor.finalize()
    protected = bytearray(header + ciphertext)
    protected[0] ^= mask[0] & 0x0F
    protected[pn_offset] ^= mask[1]
    protected[pn_offset + 1] ^= mask[2]
    return bytes(protected)


def _crypto_frame(offset: int, data: bytes) -> bytes:
    return b"\x06" + _varint(offset) + _varint(len(data)) + data


QUIC_PLANS = {
    # datagrams, each a list of packets, each a list of (start, end) CRYPTO slices; expected completing frame
    "two Initial packets in two datagrams": ([[[(0, 300)]], [[(300, None)]]], 2),
    "reversed datagrams": ([[[(300, None)]], [[(0, 300)]]], 2),
    "two packets coalesced in one datagram": ([[[(0, 300)], [(300, None)]]], 1),
    "three packets, frames out of order": ([[[(200, 400), (0, 100)]], [[(100, 200)]], [[(400, None)]]], 3),
}


@pytest.mark.parametrize("plan", QUIC_PLANS, ids=list(QUIC_PLANS))
def test_quic_client_hello_over_several_initial_packets(plan: str, tmp_path: Path) -> None:
    # given the chromium ClientHello re-sent as CRYPTO frames spread over several Initial packets
    stream, dcid, template = _chromium_crypto_stream()
    datagrams, frame = QUIC_PLANS[plan]
    packets = []
    number = 0
    for datagram in datagrams:
        payload = b""
        for slices in datagram:
            frames = b"".join(_crypto_frame(start, stream[start:end]) for start, end in slices)
            payload += _initial(dcid, number, frames)
            number += 1
        packets.append(_segment(template, payload, 0))
    path = _write(tmp_path / "quic.pcap", packets)

    # when
    events, stats = read_all(path)

    # then
    (hello,) = of_kind(events, EventKind.QUIC)
    assert (hello.host, hello.extra["frame"]) == ("api.cirrus-ci.com", frame)
    assert stats.quic_failures == 0
    assert stats.quic_decrypted == number


def test_quic_with_wrong_keys_is_counted_not_fatal(tmp_path: Path) -> None:
    # given Initial packets protected with keys of another connection ID than the one in their header
    stream, dcid, template = _chromium_crypto_stream()
    good = _initial(dcid, 0, _crypto_frame(0, stream))
    forged = bytearray(good)
    forged[-1] ^= 0xFF  # break the AEAD tag
    packets = []
    for _ in range(4):
        packets.append(_segment(template, bytes(forged), 0))
    path = _write(tmp_path / "bad.pcap", packets)

    # when
    events, stats = read_all(path)

    # then: three failures, then the flow is given up; the flow record is still emitted
    assert of_kind(events, EventKind.QUIC) == []
    assert stats.quic_failures == 3
    assert stats.malformed_samples[0]["error"].startswith("quic: AEAD")
    assert len(of_kind(events, EventKind.FLOW)) == 1
