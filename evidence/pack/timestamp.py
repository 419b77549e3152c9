"""RFC 3161 time-stamp requests, hand-encoded in DER (no ASN.1 dependency).

The core only *builds* the request and *sanity-checks* the response; sending the request to a TSA
(``POST`` with ``Content-Type: application/timestamp-query``) is the Django side's job.

The request structure (RFC 3161 section 2.4.1)::

    TimeStampReq ::= SEQUENCE {
        version        INTEGER { v1(1) },
        messageImprint MessageImprint,          -- SEQUENCE { AlgorithmIdentifier sha256, OCTET STRING digest }
        reqPolicy      TSAPolicyId OPTIONAL,    -- omitted: the TSA's default policy
        nonce          INTEGER OPTIONAL,        -- always sent, 64 random bits
        certReq        BOOLEAN DEFAULT FALSE,   -- TRUE: the token carries the TSA certificate
        extensions     [0] IMPLICIT Extensions OPTIONAL }  -- omitted

The SHA-256 AlgorithmIdentifier carries explicit NULL parameters, as ``openssl ts -query -sha256`` sends.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from evidence.pack.errors import InvalidTimestampTokenError

TAG_BOOLEAN = 0x01
TAG_INTEGER = 0x02
TAG_OCTET_STRING = 0x04
TAG_NULL = 0x05
TAG_OID = 0x06
TAG_SEQUENCE = 0x30

SHA256_OID = "2.16.840.1.101.3.4.2.1"
NONCE_BITS = 64
# PKIStatus values meaning a token is present: granted(0), grantedWithMods(1).
GRANTED_STATUSES = frozenset({0, 1})


def _der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(encoded)]) + encoded


def der_tlv(tag: int, content: bytes) -> bytes:
    """Encode one DER tag-length-value (single-byte tags only, which is all RFC 3161 requests need)."""
    return bytes([tag]) + _der_length(len(content)) + content


def der_integer(value: int) -> bytes:
    """Encode a non-negative INTEGER in minimal two's complement (a leading 0x00 keeps the high bit clear)."""
    if value < 0:
        raise ValueError("only non-negative integers are supported")
    return der_tlv(TAG_INTEGER, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def der_oid(dotted: str) -> bytes:
    """Encode an OBJECT IDENTIFIER from dotted notation (base-128 arcs, first two arcs combined)."""
    arcs = [int(arc) for arc in dotted.split(".")]
    body = bytearray([40 * arcs[0] + arcs[1]])
    for arc in arcs[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body.extend(reversed(chunk))
    return der_tlv(TAG_OID, bytes(body))


def der_sequence(*items: bytes) -> bytes:
    """Encode a SEQUENCE of already-encoded items."""
    return der_tlv(TAG_SEQUENCE, b"".join(items))


@dataclass(frozen=True)
class DerNode:
    """One decoded DER element: its tag byte, its content octets and, for constructed tags, its children."""

    tag: int
    content: bytes
    children: tuple[DerNode, ...] = ()


def der_decode(data: bytes) -> DerNode:
    """Decode exactly one DER element (single-byte tags, definite lengths), recursing into constructed ones.

    It is a minimal reader for checking our own requests and the outer shell of TSA responses, not a validator.
    """
    node, end = _decode_at(data, 0)
    if end != len(data):
        raise ValueError(f"{len(data) - end} trailing bytes after DER element")
    return node


def _decode_at(data: bytes, offset: int) -> tuple[DerNode, int]:
    if offset + 2 > len(data):
        raise ValueError("truncated DER element")
    tag, first = data[offset], data[offset + 1]
    offset += 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or offset + count > len(data):
            raise ValueError("unsupported or truncated DER length")
        length = int.from_bytes(data[offset : offset + count], "big")
        offset += count
    end = offset + length
    if end > len(data):
        raise ValueError("DER length runs past the end of the data")
    content = data[offset:end]
    children: list[DerNode] = []
    if tag & 0x20:  # constructed
        position = offset
        while position < end:
            child, position = _decode_at(data, position)
            children.append(child)
    return DerNode(tag, content, tuple(children)), end


def build_timestamp_request(manifest_bytes: bytes, *, nonce: int | None = None) -> bytes:
    """Return a DER ``TimeStampReq`` over SHA-256(``manifest_bytes``) with a nonce and ``certReq`` TRUE.

    ``nonce`` defaults to 64 random bits; pass one only in tests. Keep it to match against the response.
    """
    if nonce is None:
        nonce = secrets.randbits(NONCE_BITS)
    digest = hashlib.sha256(manifest_bytes).digest()
    algorithm = der_sequence(der_oid(SHA256_OID), der_tlv(TAG_NULL, b""))
    message_imprint = der_sequence(algorithm, der_tlv(TAG_OCTET_STRING, digest))
    return der_sequence(der_integer(1), message_imprint, der_integer(nonce), der_tlv(TAG_BOOLEAN, b"\xff"))


def check_timestamp_response(response: bytes, manifest_bytes: bytes) -> None:
    """Raise :class:`InvalidTimestampTokenError` unless ``response`` plausibly timestamps ``manifest_bytes``.

    ``response`` is the DER ``TimeStampResp`` body returned by the TSA (what ``openssl ts -verify -in`` reads).
    This checks the PKIStatus is granted and the SHA-256 of the manifest occurs in the token. It does **not**
    check the TSA signature or certificate chain; that needs the TSA's CA (``openssl ts -verify -CAfile``).
    """
    try:
        root = der_decode(response)
        status = root.children[0].children[0]
    except (ValueError, IndexError) as exc:
        raise InvalidTimestampTokenError(f"not a DER TimeStampResp: {exc}") from exc
    if root.tag != TAG_SEQUENCE or status.tag != TAG_INTEGER:
        raise InvalidTimestampTokenError("not a DER TimeStampResp (expected SEQUENCE { PKIStatusInfo, token })")
    status_value = int.from_bytes(status.content, "big", signed=True)
    if status_value not in GRANTED_STATUSES or len(root.children) < 2:
        raise InvalidTimestampTokenError(f"TSA did not grant a timestamp (PKIStatus {status_value})")
    if hashlib.sha256(manifest_bytes).digest() not in root.children[1].content:
        raise InvalidTimestampTokenError("timestamp token does not cover SHA-256(manifest.json)")
