"""QUIC Initial packet decryption to read the ClientHello (and its SNI) of HTTP/3 connections.

Decoder of the :mod:`discovery.parsers.pcap` package. Pure Python plus the ``cryptography`` package; no Django imports.

* Long header and Initial packet layout, variable-length integers: RFC 9000 sections 16, 17.2 and 17.2.2.
* Frames found in Initial packets (PADDING, PING, ACK, CRYPTO, CONNECTION_CLOSE): RFC 9000 sections 12.4 and 19.
* Initial secrets: RFC 9001 section 5.2 (HKDF-Extract with the version's initial salt over the client's
  Destination Connection ID, then HKDF-Expand-Label "client in"; "quic key"/"quic iv"/"quic hp").
* HKDF-Expand-Label: RFC 8446 section 7.1; HKDF: RFC 5869.
* Header protection (AES-ECB mask over a 16-byte sample taken 4 bytes after the packet-number offset):
  RFC 9001 section 5.4; payload protection AEAD_AES_128_GCM with nonce = iv XOR packet number: RFC 9001 section 5.3.
* QUIC v2 (RFC 9369) uses another salt, other labels and another Initial type code; both are supported.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .tls import MAX_HELLO, ClientHello, NotClientHello, handshake_message, parse_client_hello

QUIC_V1 = 0x00000001
QUIC_V2 = 0x6B3343CF

#: RFC 9001 section 5.2
INITIAL_SALT_V1 = bytes.fromhex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a")
#: RFC 9369 section 3.3.1
INITIAL_SALT_V2 = bytes.fromhex("0dede3def700a6db819381be6e269dcbf9bd2ed9")

_VERSIONS: dict[int, tuple[bytes, bytes, int]] = {
    # version: (salt, label prefix, long-header type code of Initial packets)
    QUIC_V1: (INITIAL_SALT_V1, b"quic ", 0),
    QUIC_V2: (INITIAL_SALT_V2, b"quicv2 ", 1),
}

FRAME_PADDING = 0x00
FRAME_PING = 0x01
FRAME_ACK = 0x02
FRAME_ACK_ECN = 0x03
FRAME_CRYPTO = 0x06
FRAME_CLOSE = 0x1C
FRAME_CLOSE_APP = 0x1D


class QuicError(ValueError):
    """A datagram that is not a decryptable QUIC client Initial (or carries frames not allowed in one)."""


@dataclass(frozen=True, slots=True)
class InitialKeys:
    """Client Initial packet-protection keys for one Destination Connection ID."""

    key: bytes
    iv: bytes
    hp: bytes


def hkdf_extract(salt: bytes, ikm: bytes) -> bytes:
    """HKDF-Extract with SHA-256 (RFC 5869 section 2.2)."""
    return hmac.new(salt, ikm, hashlib.sha256).digest()


def hkdf_expand_label(secret: bytes, label: bytes, length: int, context: bytes = b"") -> bytes:
    """HKDF-Expand-Label (RFC 8446 section 7.1) over HKDF-Expand with SHA-256 (RFC 5869 section 2.3)."""
    full_label = b"tls13 " + label
    info = length.to_bytes(2, "big") + bytes([len(full_label)]) + full_label + bytes([len(context)]) + context
    output, block, counter = b"", b"", 1
    while len(output) < length:
        block = hmac.new(secret, block + info + bytes([counter]), hashlib.sha256).digest()
        output += block
        counter += 1
    return output[:length]


@lru_cache(maxsize=1024)
def client_initial_keys(dcid: bytes, version: int = QUIC_V1) -> InitialKeys:
    """Derive the client's Initial keys from the original Destination Connection ID (RFC 9001 section 5.2)."""
    salt, prefix, _ = _VERSIONS[version]
    initial_secret = hkdf_extract(salt, dcid)
    client_secret = hkdf_expand_label(initial_secret, b"client in", 32)
    return InitialKeys(
        key=hkdf_expand_label(client_secret, prefix + b"key", 16),
        iv=hkdf_expand_label(client_secret, prefix + b"iv", 12),
        hp=hkdf_expand_label(client_secret, prefix + b"hp", 16),
    )


def read_varint(data: bytes, pos: int) -> tuple[int, int]:
    """Read a QUIC variable-length integer (RFC 9000 section 16); return ``(value, new_pos)``."""
    if pos >= len(data):
        raise QuicError("truncated varint")
    first = data[pos]
    size = 1 << (first >> 6)
    if pos + size > len(data):
        raise QuicError("truncated varint")
    value = first & 0x3F
    for i in range(1, size):
        value = (value << 8) | data[pos + i]
    return value, pos + size


@dataclass(slots=True)
class LongHeader:
    """One long-header packet inside a UDP datagram (RFC 9000 section 17.2)."""

    version: int
    packet_type: int  # version-independent: 0 Initial, 1 0-RTT, 2 Handshake, 3 Retry (v1 numbering)
    dcid: bytes
    scid: bytes
    pn_offset: int  # offset of the packet number (still protected)
    end: int  # offset just past this packet inside the datagram


def parse_long_header(data: bytes, start: int) -> LongHeader | None:
    """Parse the long header at ``start``; ``None`` if it is a short header, an unknown version or not long enough."""
    if len(data) < start + 7 or not data[start] & 0x80:
        return None
    version = int.from_bytes(data[start + 1 : start + 5], "big")
    if version not in _VERSIONS:
        return None
    raw_type = (data[start] & 0x30) >> 4
    # RFC 9369 section 3.2 rotates the type codes by one: v2 Initial=1, 0-RTT=2, Handshake=3, Retry=0
    packet_type = raw_type if version == QUIC_V1 else (raw_type - 1) % 4
    pos = start + 5
    dcid_len = data[pos]
    if dcid_len > 20 or pos + 1 + dcid_len >= len(data):
        raise QuicError("bad destination connection id")
    dcid = data[pos + 1 : pos + 1 + dcid_len]
    pos += 1 + dcid_len
    scid_len = data[pos]
    if scid_len > 20 or pos + 1 + scid_len > len(data):
        raise QuicError("bad source connection id")
    scid = data[pos + 1 : pos + 1 + scid_len]
    pos += 1 + scid_len
    if packet_type == 3:  # Retry: no length field, fills the datagram
        return LongHeader(version, packet_type, dcid, scid, pos, len(data))
    if packet_type == 0:
        token_len, pos = read_varint(data, pos)
        pos += token_len
    length, pos = read_varint(data, pos)
    end = pos + length
    if end > len(data):
        raise QuicError("packet length beyond datagram")
    return LongHeader(version, packet_type, dcid, scid, pos, end)


def iter_crypto_frames(plaintext: bytes) -> list[tuple[int, bytes]]:
    """Return the ``(offset, data)`` of every CRYPTO frame in a decrypted Initial payload (RFC 9000 section 19)."""
    frames: list[tuple[int, bytes]] = []
    pos, n = 0, len(plaintext)
    while pos < n:
        frame_type = plaintext[pos]
        if frame_type == FRAME_PADDING:
            pos += 1
            while pos < n and plaintext[pos] == 0:
                pos += 1
            continue
        frame_type, pos = read_varint(plaintext, pos)
        if frame_type == FRAME_PING:
            continue
        if frame_type in (FRAME_ACK, FRAME_ACK_ECN):  # RFC 9000 section 19.3
            _largest, pos = read_varint(plaintext, pos)
            _delay, pos = read_varint(plaintext, pos)
            ranges, pos = read_varint(plaintext, pos)
            _first, pos = read_varint(plaintext, pos)
            for _ in range(ranges * 2 + (3 if frame_type == FRAME_ACK_ECN else 0)):
                _value, pos = read_varint(plaintext, pos)
        elif frame_type == FRAME_CRYPTO:  # RFC 9000 section 19.6
            offset, pos = read_varint(plaintext, pos)
            length, pos = read_varint(plaintext, pos)
            if pos + length > n:
                raise QuicError("truncated CRYPTO frame")
            frames.append((offset, plaintext[pos : pos + length]))
            pos += length
        elif frame_type in (FRAME_CLOSE, FRAME_CLOSE_APP):  # RFC 9000 section 19.19
            _code, pos = read_varint(plaintext, pos)
            if frame_type == FRAME_CLOSE:
                _frame, pos = read_varint(plaintext, pos)
            reason_len, pos = read_varint(plaintext, pos)
            pos += reason_len
        else:
            raise QuicError(f"frame type {frame_type:#x} not allowed in an Initial packet")
    return frames


class CryptoStream:
    """Reassemble the Initial CRYPTO stream (frames may arrive out of order, over several packets)."""

    __slots__ = ("_data", "_pending")

    def __init__(self) -> None:
        self._data = bytearray()
        self._pending: dict[int, bytes] = {}

    def add(self, offset: int, chunk: bytes) -> None:
        if offset + len(chunk) > MAX_HELLO + 4:
            raise QuicError("CRYPTO data beyond the reassembly cap")
        self._pending[offset] = max(chunk, self._pending.get(offset, b""), key=len)
        progressed = True
        while progressed and self._pending:
            progressed = False
            for off in sorted(self._pending):
                end = len(self._data)
                if off > end:
                    break
                piece = self._pending.pop(off)
                if off + len(piece) > end:
                    self._data += piece[end - off :]
                progressed = True

    def client_hello(self) -> ClientHello | None:
        """The ClientHello once its handshake length is satisfied, else ``None`` (raises if not a ClientHello)."""
        body = handshake_message(self._data)
        return None if body is None else parse_client_hello(body)


class QuicInitialState:
    """Per-flow state: decrypt client Initial datagrams until the ClientHello is complete.

    Keys come from the DCID of the first client Initial; after a Retry the client switches to a new DCID (RFC 9001
    section 5.2), so a packet that fails with the original keys is retried with keys from its own DCID.
    """

    __slots__ = ("crypto", "decrypted", "failures", "original_dcid", "version")

    def __init__(self) -> None:
        self.crypto = CryptoStream()
        self.original_dcid: bytes | None = None
        self.version = QUIC_V1
        self.decrypted = 0
        self.failures = 0

    def feed(self, datagram: bytes) -> ClientHello | None:
        """Process one client→server datagram (possibly several coalesced packets, RFC 9000 section 12.2)."""
        start = 0
        while start < len(datagram):
            header = parse_long_header(datagram, start)
            if header is None:
                break
            if header.packet_type == 0:
                if self.original_dcid is None:
                    self.original_dcid, self.version = header.dcid, header.version
                plaintext = self._decrypt(datagram, start, header)
                for offset, chunk in iter_crypto_frames(plaintext):
                    self.crypto.add(offset, chunk)
                try:
                    hello = self.crypto.client_hello()
                except NotClientHello as exc:
                    raise QuicError(str(exc)) from exc
                if hello is not None:
                    return hello
            if header.packet_type == 3:
                break
            start = header.end
        return None

    def _decrypt(self, datagram: bytes, start: int, header: LongHeader) -> bytes:
        candidates = [self.original_dcid] if self.original_dcid is not None else []
        if header.dcid not in candidates:
            candidates.append(header.dcid)
        error: QuicError | None = None
        for dcid in candidates:
            try:
                plaintext = decrypt_packet(datagram, start, header, client_initial_keys(bytes(dcid), header.version))
            except QuicError as exc:
                error = exc
                continue
            self.decrypted += 1
            return plaintext
        self.failures += 1
        raise error or QuicError("no keys")


def decrypt_packet(datagram: bytes, start: int, header: LongHeader, keys: InitialKeys) -> bytes:
    """Remove header protection and decrypt the Initial packet at ``start`` (RFC 9001 sections 5.3 and 5.4)."""
    pn_offset = header.pn_offset
    sample = datagram[pn_offset + 4 : pn_offset + 20]
    if len(sample) < 16:
        raise QuicError("packet too short for the header-protection sample")
    encryptor = Cipher(algorithms.AES(keys.hp), modes.ECB()).encryptor()
    mask = encryptor.update(sample) + encryptor.finalize()
    first = datagram[start] ^ (mask[0] & 0x0F)  # long header: the 4 low bits are protected
    pn_len = (first & 0x03) + 1
    if pn_offset + pn_len > header.end:
        raise QuicError("packet number beyond packet")
    pn_bytes = bytes(b ^ m for b, m in zip(datagram[pn_offset : pn_offset + pn_len], mask[1 : 1 + pn_len], strict=True))
    aad = bytes([first]) + datagram[start + 1 : pn_offset] + pn_bytes
    # the full packet number equals the truncated one for the first packets of a connection (RFC 9000 A.3)
    nonce = (int.from_bytes(keys.iv, "big") ^ int.from_bytes(pn_bytes, "big")).to_bytes(12, "big")
    try:
        return AESGCM(keys.key).decrypt(nonce, datagram[pn_offset + pn_len : header.end], aad)
    except InvalidTag as exc:
        raise QuicError("AEAD authentication failed") from exc
