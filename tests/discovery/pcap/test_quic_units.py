"""QUIC long-header and Initial frame parsing (RFC 9000 sections 17.2 and 19; RFC 9369 for v2)."""

from __future__ import annotations

import pytest

from discovery.parsers.pcap.quic import (
    QUIC_V1,
    QUIC_V2,
    QuicError,
    QuicInitialState,
    iter_crypto_frames,
    parse_long_header,
)


@pytest.mark.parametrize(
    ("plaintext", "frames"),
    [
        (b"\x00\x00\x01\x06\x00\x03abc\x00\x00", [(0, b"abc")]),  # PADDING, PING, CRYPTO, PADDING
        (b"\x02\x05\x00\x01\x00\x01\x01\x06\x04\x02hi", [(4, b"hi")]),  # ACK with one extra range
        (b"\x03\x05\x00\x00\x00\x01\x02\x03", []),  # ACK_ECN with three ECN counts
        (b"\x1c\x0a\x06\x03bye", []),  # CONNECTION_CLOSE (transport) with reason
        (b"\x1d\x0a\x00", []),  # CONNECTION_CLOSE (application)
    ],
)
def test_iter_crypto_frames(plaintext: bytes, frames: list[tuple[int, bytes]]) -> None:
    # given a decrypted Initial payload / when / then
    assert iter_crypto_frames(plaintext) == frames


@pytest.mark.parametrize(
    "plaintext",
    [
        b"\x08\x00",  # STREAM frame: not allowed in Initial packets
        b"\x06\x00\x10abc",  # CRYPTO longer than the packet
        b"\x06\x40",  # truncated varint
    ],
)
def test_iter_crypto_frames_rejects(plaintext: bytes) -> None:
    # given / when / then
    with pytest.raises(QuicError):
        iter_crypto_frames(plaintext)


def _long(first: int, version: int, rest: bytes) -> bytes:
    return bytes([first]) + version.to_bytes(4, "big") + rest


@pytest.mark.parametrize(
    ("datagram", "packet_type"),
    [
        (_long(0xC0, QUIC_V1, b"\x01a\x01b\x00\x01\x00" + b"\x00" * 8), 0),  # v1 Initial
        (_long(0xD0, QUIC_V2, b"\x01a\x01b\x00\x01\x00" + b"\x00" * 8), 0),  # v2 Initial has type bits 01
        (_long(0xE0, QUIC_V1, b"\x01a\x01b\x01\x00" + b"\x00" * 8), 2),  # Handshake
        (_long(0xF0, QUIC_V1, b"\x01a\x01b" + b"token-and-tag"), 3),  # Retry: no length field
        (_long(0xC0, 0x0A0A0A0A, b"\x01a\x01b\x00\x01\x00"), None),  # unknown (grease) version
        (b"\x40" + b"\x00" * 20, None),  # short header
    ],
)
def test_parse_long_header(datagram: bytes, packet_type: int | None) -> None:
    # given / when
    header = parse_long_header(datagram, 0)

    # then
    assert (None if header is None else header.packet_type) == packet_type


@pytest.mark.parametrize(
    "datagram",
    [
        _long(0xC0, QUIC_V1, b"\x15" + b"a" * 21 + b"\x00"),  # DCID longer than 20
        _long(0xC0, QUIC_V1, b"\x01a\x15" + b"b" * 21),  # SCID longer than 20
        _long(0xC0, QUIC_V1, b"\x01a\x01b\x00\x40\x50" + b"\x00" * 8),  # length beyond the datagram
    ],
)
def test_parse_long_header_rejects(datagram: bytes) -> None:
    # given / when / then
    with pytest.raises(QuicError):
        parse_long_header(datagram, 0)


def test_initial_too_short_for_sample_is_an_error() -> None:
    # given an Initial whose protected payload is shorter than the 16-byte header-protection sample
    datagram = _long(0xC0, QUIC_V1, b"\x08" + b"d" * 8 + b"\x00\x00\x05" + b"\x00" * 5)

    # when / then
    with pytest.raises(QuicError, match="sample"):
        QuicInitialState().feed(datagram)
