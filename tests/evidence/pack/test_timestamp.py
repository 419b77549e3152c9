"""RFC 3161 timestamp requests (hand-encoded DER) and tokens stored in packs."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from evidence.pack import InvalidTimestampTokenError, build_pack, build_timestamp_request
from evidence.pack.keys import SigningKey
from evidence.pack.timestamp import (
    TAG_BOOLEAN,
    TAG_INTEGER,
    TAG_NULL,
    TAG_OCTET_STRING,
    TAG_OID,
    TAG_SEQUENCE,
    check_timestamp_response,
    der_decode,
    der_integer,
    der_oid,
    der_sequence,
    der_tlv,
)

from .support import CREATED_AT, FILES, METADATA, FakeTsa, needs_tools, unzip

MANIFEST = b'{"example": "manifest"}\n'
DIGEST = hashlib.sha256(MANIFEST).digest()


def test_timestamp_request_matches_the_hand_assembled_rfc3161_vector() -> None:
    # given
    expected = (
        bytes.fromhex("30400201013031300d060960864801650304020105000420")
        + DIGEST
        + bytes.fromhex("020500deadbeef0101ff")
    )

    # when
    request = build_timestamp_request(MANIFEST, nonce=0xDEADBEEF)

    # then
    assert request == expected


def test_timestamp_request_decodes_to_version_sha256_imprint_nonce_and_cert_req() -> None:
    # when
    root = der_decode(build_timestamp_request(MANIFEST, nonce=12345))

    # then
    version, imprint, nonce, cert_req = root.children
    algorithm, digest = imprint.children
    assert root.tag == TAG_SEQUENCE
    assert (version.tag, version.content) == (TAG_INTEGER, b"\x01")
    assert [child.tag for child in algorithm.children] == [TAG_OID, TAG_NULL]
    assert algorithm.children[0] == der_decode(der_oid("2.16.840.1.101.3.4.2.1"))
    assert (digest.tag, digest.content) == (TAG_OCTET_STRING, DIGEST)
    assert (nonce.tag, int.from_bytes(nonce.content, "big")) == (TAG_INTEGER, 12345)
    assert (cert_req.tag, cert_req.content) == (TAG_BOOLEAN, b"\xff")


def test_timestamp_request_nonce_is_random_by_default() -> None:
    # when
    nonces = {der_decode(build_timestamp_request(MANIFEST)).children[2].content for _ in range(5)}

    # then
    assert len(nonces) == 5


@needs_tools
def test_openssl_reads_the_timestamp_request(tmp_path: Path) -> None:
    # given
    (tmp_path / "request.tsq").write_bytes(build_timestamp_request(MANIFEST, nonce=0x0102030405060708))

    # when
    text = subprocess.run(
        ["openssl", "ts", "-query", "-in", "request.tsq", "-text"], cwd=tmp_path, capture_output=True, text=True
    ).stdout

    # then
    assert "Hash Algorithm: sha256" in text
    assert "Nonce: 0x0102030405060708" in text
    assert "Certificate required: yes" in text
    assert DIGEST[:8].hex(" ") in text.replace("-", " ")


@pytest.mark.parametrize(
    ("value", "encoded"),
    [(0, "020100"), (127, "02017f"), (128, "02020080"), (256, "02020100"), (2**64 - 1, "020900ffffffffffffffff")],
)
def test_der_integer_is_minimal_twos_complement(value: int, encoded: str) -> None:
    # when / then
    assert der_integer(value).hex() == encoded


def test_der_integer_refuses_negative_numbers() -> None:
    # when / then
    with pytest.raises(ValueError, match="non-negative"):
        der_integer(-1)


def test_der_long_lengths_round_trip() -> None:
    # given
    content = b"x" * 300

    # when
    encoded = der_tlv(TAG_OCTET_STRING, content)

    # then
    assert encoded[:4] == bytes([TAG_OCTET_STRING, 0x82, 0x01, 0x2C])
    assert der_decode(encoded).content == content


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x30", "truncated DER element"),
        (b"\x04\x80", "unsupported or truncated DER length"),
        (b"\x04\x82\x01", "unsupported or truncated DER length"),
        (b"\x04\x05abc", "runs past the end"),
        (b"\x05\x00\x05\x00", "trailing bytes"),
    ],
    ids=["no-length", "indefinite-length", "short-long-length", "short-content", "trailing"],
)
def test_der_decoder_rejects_malformed_input(data: bytes, message: str) -> None:
    # when / then
    with pytest.raises(ValueError, match=message):
        der_decode(data)


def _response(status: int, token_content: bytes = DIGEST) -> bytes:
    return der_sequence(der_sequence(der_integer(status)), der_sequence(der_tlv(TAG_OCTET_STRING, token_content)))


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (b"not der", "not a DER TimeStampResp"),
        (der_sequence(der_oid("1.2.840.113549.1.7.2")), "not a DER TimeStampResp"),
        (der_sequence(der_sequence(der_tlv(TAG_OCTET_STRING, b"\x00"))), "expected SEQUENCE"),
        (_response(2), r"did not grant a timestamp \(PKIStatus 2\)"),
        (der_sequence(der_sequence(der_integer(0))), r"did not grant a timestamp \(PKIStatus 0\)"),
        (_response(0, b"another digest"), "does not cover SHA-256"),
    ],
    ids=["garbage", "bare-token-not-response", "status-not-integer", "rejected", "granted-without-token", "other-data"],
)
def test_a_timestamp_response_that_does_not_cover_the_manifest_is_refused(response: bytes, message: str) -> None:
    # when / then
    with pytest.raises(InvalidTimestampTokenError, match=message):
        check_timestamp_response(response, MANIFEST)


@pytest.mark.parametrize("status", [0, 1], ids=["granted", "granted-with-mods"])
def test_a_granted_response_covering_the_manifest_is_accepted(status: int) -> None:
    # when / then
    check_timestamp_response(_response(status), MANIFEST)


def test_timestamped_pack_stores_the_token_and_announces_it_in_the_manifest(timestamped_pack: bytes) -> None:
    # when
    entries = unzip(timestamped_pack)
    manifest = json.loads(entries["manifest.json"])

    # then
    assert manifest["timestamp"]["status"] == "rfc3161"
    assert manifest["timestamp"]["file"] == "manifest.tsr"
    assert "manifest.tsr" not in {item["path"] for item in manifest["files"]}
    check_timestamp_response(entries["manifest.tsr"], entries["manifest.json"])


def test_a_token_for_another_manifest_is_refused(signing_key: SigningKey, tsa: FakeTsa) -> None:
    # given: a token over the manifest *without* the timestamp announcement
    token = tsa.reply(build_timestamp_request(MANIFEST))

    # when / then
    with pytest.raises(InvalidTimestampTokenError, match="does not cover"):
        build_pack(files=FILES, metadata=METADATA, signing_key=signing_key, created_at=CREATED_AT, tsa_token=token)
