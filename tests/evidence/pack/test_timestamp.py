"""RFC 3161 timestamps: the request (rfc3161-client), every check on a real TSA's answer (openssl ts -reply), and
the token and chain stored in packs and re-verified offline (verify_pack, verify.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509

from evidence.pack import (
    TimestampVerificationError,
    VerifiedTimestamp,
    build_manifest,
    build_pack,
    build_timestamp_request,
    verify_pack,
    verify_standalone,
    verify_timestamp_response,
)
from evidence.pack.keys import SigningKey
from evidence.pack.timestamp import GEN_TIME_MAX_SKEW

from .support import (
    CREATED_AT,
    FILES,
    METADATA,
    FakeTsa,
    flip_byte,
    needs_tools,
    rezip,
    unzip,
    with_other_imprint,
    with_other_nonce,
)

pytestmark = needs_tools

MANIFEST = b'{"example": "manifest"}\n'


@pytest.fixture(scope="module")
def other_tsa(tmp_path_factory: pytest.TempPathFactory) -> FakeTsa:
    """A working TSA whose CA nobody configured: its tokens are validly signed, by an untrusted key."""
    return FakeTsa(tmp_path_factory.mktemp("other-tsa"), name="Other")


def anchors(tsa: FakeTsa) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(tsa.ca_file.read_bytes())


def verify(tsa: FakeTsa, response: bytes, nonce: int, **overrides: object) -> VerifiedTimestamp:
    arguments: dict[str, object] = {
        "manifest_bytes": MANIFEST,
        "nonce": nonce,
        "anchors": anchors(tsa),
        "now": datetime.now(UTC),
    }
    arguments.update(overrides)
    return verify_timestamp_response(response, **arguments)  # type: ignore[arg-type]


def test_the_request_carries_a_sha256_imprint_a_nonce_and_asks_for_the_certificate(tmp_path: Path) -> None:
    # given
    request = build_timestamp_request(MANIFEST)
    (tmp_path / "request.tsq").write_bytes(request.der)

    # when: openssl reads it back
    text = subprocess.run(
        ["openssl", "ts", "-query", "-in", "request.tsq", "-text"], cwd=tmp_path, capture_output=True, text=True
    ).stdout

    # then
    assert "Hash Algorithm: sha256" in text
    assert f"Nonce: 0x{request.nonce:016X}" in text.replace("Nonce: 0x0", "Nonce: 0x")
    assert "Certificate required: yes" in text


def test_every_request_has_a_fresh_random_nonce() -> None:
    # when
    nonces = {build_timestamp_request(MANIFEST).nonce for _ in range(5)}

    # then
    assert len(nonces) == 5
    assert all(nonce.bit_length() > 32 for nonce in nonces)


def test_a_good_answer_verifies_and_gives_gen_time_and_the_chain(tsa: FakeTsa) -> None:
    # given
    request = build_timestamp_request(MANIFEST)
    before = datetime.now(UTC).replace(microsecond=0)

    # when
    verified = verify(tsa, tsa.reply(request.der), request.nonce, not_before=before - timedelta(minutes=1))

    # then
    assert before - timedelta(seconds=2) <= verified.gen_time <= datetime.now(UTC) + timedelta(seconds=2)
    assert verified.tsa_name == "CN=TestTSA"
    chain = x509.load_pem_x509_certificates(verified.chain_pem)
    assert [cert.subject.rfc4514_string() for cert in chain] == ["CN=TestTSA", "CN=TestCA"]


def test_the_tsa_certificate_alone_is_no_trust_anchor(tsa: FakeTsa) -> None:
    # given: the operator configured the TSA certificate rather than its CA (openssl ts -verify refuses it too)
    request = build_timestamp_request(MANIFEST)
    leaf = x509.load_pem_x509_certificates(tsa.cert_file.read_bytes())

    # when / then
    with pytest.raises(TimestampVerificationError, match="'chain' failed: no trusted TSA root CA certificate"):
        verify(tsa, tsa.reply(request.der), request.nonce, anchors=leaf)


Forgery = Callable[[FakeTsa, FakeTsa, bytes], bytes]


def _sign_elsewhere(tsa: FakeTsa, other: FakeTsa, request: bytes) -> bytes:
    return other.reply(request)


def _flip_signature(tsa: FakeTsa, other: FakeTsa, request: bytes) -> bytes:
    response = tsa.reply(request)
    return response[:-3] + bytes([response[-3] ^ 0x01]) + response[-2:]  # the SignerInfo's signature ends the token


def _alter_tst_info(tsa: FakeTsa, other: FakeTsa, request: bytes) -> bytes:
    response = tsa.reply(request)
    gen_time_year = datetime.now(UTC).strftime("%Y").encode()
    return response.replace(b"\x18\x0f" + gen_time_year, b"\x18\x0f" + str(int(gen_time_year) - 1).encode(), 1)


@pytest.mark.parametrize(
    ("forge", "check", "message"),
    [
        (lambda tsa, other, request: tsa.reply(with_other_imprint(request)), "imprint", "not SHA-256 "),
        (lambda tsa, other, request: tsa.reply(with_other_nonce(request)), "nonce", "the request sent"),
        (_sign_elsewhere, "chain", "CN=OtherTSA (issuer CN=OtherCA) does not chain to a trusted TSA CA"),
        (_flip_signature, "signature", "the TSA signature does not verify with CN=TestTSA's key"),
        (_alter_tst_info, "signature", "the TSTInfo was altered after the TSA signed it"),
        (lambda tsa, other, request: tsa.sign_without_eku(tsa.reply(request)), "certificate", "timeStamping"),
        (
            lambda tsa, other, request: tsa.reject(),
            "status",
            "PKIStatus 2 (rejection): Message digest algorithm is not supported.",
        ),
        (lambda tsa, other, request: b"<html>502 Bad Gateway</html>", "response", "not a DER TimeStampResp"),
        (lambda tsa, other, request: tsa.reply(request)[:-20], "response", "not a DER TimeStampResp"),
    ],
    ids=[
        "wrong-imprint",
        "wrong-nonce",
        "untrusted-tsa",
        "bad-signature",
        "altered-tst-info",
        "no-timestamping-eku",
        "rejected",
        "garbage",
        "truncated",
    ],
)
def test_a_forged_or_failed_answer_is_refused_naming_the_check(
    tsa: FakeTsa, other_tsa: FakeTsa, forge: Forgery, check: str, message: str
) -> None:
    # given
    request = build_timestamp_request(MANIFEST)
    response = forge(tsa, other_tsa, request.der)

    # when / then
    with pytest.raises(TimestampVerificationError, match=f"timestamp check '{check}' failed") as raised:
        verify(tsa, response, request.nonce)
    assert raised.value.check == check
    assert message in str(raised.value)


def test_a_gen_time_in_the_future_is_refused(tsa: FakeTsa) -> None:
    # given: our clock is an hour behind the TSA's
    request = build_timestamp_request(MANIFEST)
    response = tsa.reply(request.der)

    # when / then
    with pytest.raises(TimestampVerificationError, match=r"'gen_time' failed: genTime .* is in the future"):
        verify(tsa, response, request.nonce, now=datetime.now(UTC) - timedelta(hours=1))


def test_a_gen_time_within_the_skew_is_accepted(tsa: FakeTsa) -> None:
    # given: our clock is a little behind the TSA's
    request = build_timestamp_request(MANIFEST)

    # when / then
    verify(tsa, tsa.reply(request.der), request.nonce, now=datetime.now(UTC) - GEN_TIME_MAX_SKEW / 2)


def test_a_gen_time_before_the_pack_was_cut_off_is_refused(tsa: FakeTsa) -> None:
    # given
    request = build_timestamp_request(MANIFEST)
    response = tsa.reply(request.der)

    # when / then
    with pytest.raises(TimestampVerificationError, match=r"'gen_time' failed: .* is before the pack's created-at"):
        verify(tsa, response, request.nonce, not_before=datetime.now(UTC) + timedelta(hours=1))


def test_without_a_configured_ca_nothing_is_trusted(tsa: FakeTsa) -> None:
    # given
    request = build_timestamp_request(MANIFEST)

    # when / then
    with pytest.raises(TimestampVerificationError, match="'chain' failed: no TSA CA certificate is configured"):
        verify(tsa, tsa.reply(request.der), request.nonce, anchors=[])


def _timestamp_for(tsa: FakeTsa, manifest: bytes) -> VerifiedTimestamp:
    request = build_timestamp_request(manifest)
    return verify_timestamp_response(
        tsa.reply(request.der),
        manifest_bytes=manifest,
        nonce=request.nonce,
        anchors=anchors(tsa),
        now=datetime.now(UTC),
    )


def test_a_timestamped_pack_stores_the_token_and_its_chain(timestamped_pack: bytes, tsa: FakeTsa) -> None:
    # when
    entries = unzip(timestamped_pack)
    manifest = json.loads(entries["manifest.json"])

    # then
    assert manifest["timestamp"]["status"] == "rfc3161"
    assert manifest["timestamp"]["file"] == "manifest.tsr"
    assert manifest["timestamp"]["chain_file"] == "tsa_chain.pem"
    assert {"manifest.tsr", "tsa_chain.pem"}.isdisjoint(item["path"] for item in manifest["files"])
    chain = x509.load_pem_x509_certificates(entries["tsa_chain.pem"])
    assert chain[-1] == anchors(tsa)[0]
    info = verify_standalone.verify_timestamp_token(entries["manifest.tsr"], entries["manifest.json"], anchors=chain)
    assert info.tsa_name == "CN=TestTSA"


def test_a_timestamp_for_another_manifest_is_not_put_in_a_pack(signing_key: SigningKey, tsa: FakeTsa) -> None:
    # given: a token over the manifest *without* the timestamp announcement
    inputs = {"files": FILES, "metadata": METADATA, "signing_key": signing_key, "created_at": CREATED_AT}
    timestamp = _timestamp_for(tsa, build_manifest(**inputs))

    # when / then
    with pytest.raises(TimestampVerificationError, match="'imprint' failed"):
        build_pack(**inputs, timestamp=timestamp)


def test_verify_pack_anchors_the_token_on_the_tsa_ca_given(timestamped_pack: bytes, tsa: FakeTsa) -> None:
    # when
    report = verify_pack(timestamped_pack, tsa_anchors=anchors(tsa))

    # then
    assert report.ok, report.errors
    assert report.timestamp_anchored is True
    assert report.timestamp_gen_time is not None
    assert report.timestamp_tsa == "CN=TestTSA"


def test_verify_pack_refuses_a_token_from_another_tsa_than_the_one_trusted(
    timestamped_pack: bytes, other_tsa: FakeTsa
) -> None:
    # when
    report = verify_pack(timestamped_pack, tsa_anchors=anchors(other_tsa))

    # then
    assert not report.ok
    assert report.errors == (
        "manifest.tsr: timestamp check 'chain' failed: CN=TestCA (issuer CN=TestCA) does not chain to a trusted TSA CA",
    )


def test_a_pack_whose_token_and_chain_were_replaced_by_another_tsa_fails_against_the_real_ca(
    timestamped_pack: bytes, tsa: FakeTsa, other_tsa: FakeTsa
) -> None:
    # given: a forger stamps the manifest at their own TSA and ships its chain
    entries = unzip(timestamped_pack)
    forged = _timestamp_for(other_tsa, entries["manifest.json"])
    entries["manifest.tsr"], entries["tsa_chain.pem"] = forged.response, forged.chain_pem
    pack = rezip(entries)

    # when
    consistent, anchored = verify_pack(pack), verify_pack(pack, tsa_anchors=anchors(tsa))

    # then: consistent with itself, refused against the TSA CA the auditor trusts
    assert consistent.ok and not consistent.timestamp_anchored
    assert anchored.failed_files == ("manifest.tsr",)
    assert "'chain' failed: CN=OtherCA (issuer CN=OtherCA) does not chain to a trusted TSA CA" in anchored.errors[0]


def test_a_stray_certificate_in_the_chain_file_fails(timestamped_pack: bytes, other_tsa: FakeTsa) -> None:
    # given
    entries = unzip(timestamped_pack)
    entries["tsa_chain.pem"] += other_tsa.ca_file.read_bytes()

    # when
    report = verify_pack(rezip(entries))

    # then
    assert report.errors == ("tsa_chain.pem: holds certificates that are not on the token's chain: CN=OtherCA",)


@pytest.mark.parametrize(
    ("which", "status", "expected"),
    [
        ("trusted", 0, "TSA signature valid, chains to the trusted TSA certificate CN=TestCA"),
        ("other", 1, "FAILED manifest.tsr: timestamp check 'chain' failed: CN=TestCA (issuer CN=TestCA)"),
    ],
)
def test_verify_py_checks_the_token_against_the_tsa_ca_given(
    tmp_path: Path,
    timestamped_pack: bytes,
    tsa: FakeTsa,
    other_tsa: FakeTsa,
    capsys: pytest.CaptureFixture[str],
    which: str,
    status: int,
    expected: str,
) -> None:
    # given
    (tmp_path / "pack.zip").write_bytes(timestamped_pack)
    ca = tsa.ca_file if which == "trusted" else other_tsa.ca_file
    key_id = json.loads(unzip(timestamped_pack)["manifest.json"])["signature"]["key_id"]

    # when
    exit_status = verify_standalone.main([str(tmp_path / "pack.zip"), "--key-id", key_id, "--tsa-ca", str(ca)])

    # then
    output = capsys.readouterr().out
    assert exit_status == status
    assert expected in output
    if status == 0:
        assert "timestamp: genTime 20" in output and "NOT ANCHORED" not in output


def test_verify_py_refuses_an_unreadable_tsa_ca(tmp_path: Path, timestamped_pack: bytes) -> None:
    # given
    (tmp_path / "pack.zip").write_bytes(timestamped_pack)
    (tmp_path / "ca.pem").write_bytes(flip_byte(b"not a certificate"))

    # when
    exit_status = verify_standalone.main([str(tmp_path / "pack.zip"), "--tsa-ca", str(tmp_path / "ca.pem")])

    # then
    assert exit_status == 1


#: run verify.py with every import outside the standard library and cryptography refused (rfc3161-client, Django
#: and the rest of this venv stay invisible), so the "only cryptography" promise to auditors is what is tested
ONLY_CRYPTOGRAPHY = """\
import runpy, sys
ALLOWED = set(sys.stdlib_module_names) | {"cryptography", "_cffi_backend", "cffi"}

class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] not in ALLOWED:
            raise ImportError(f"verify.py may not import {name}")
        return None

sys.meta_path.insert(0, Refuse())
sys.argv = ["verify.py", *sys.argv[1:]]
runpy.run_path("verify.py", run_name="__main__")
"""


def test_verify_py_checks_the_timestamp_with_only_the_standard_library_and_cryptography(
    tmp_path: Path, timestamped_pack: bytes, tsa: FakeTsa
) -> None:
    # given
    entries = unzip(timestamped_pack)
    (tmp_path / "pack.zip").write_bytes(timestamped_pack)
    (tmp_path / "verify.py").write_bytes(entries["verify.py"])
    (tmp_path / "run.py").write_text(ONLY_CRYPTOGRAPHY)
    key_id = json.loads(entries["manifest.json"])["signature"]["key_id"]

    # when
    completed = subprocess.run(
        [sys.executable, "run.py", "pack.zip", "--key-id", key_id, "--tsa-ca", str(tsa.ca_file)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )

    # then
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "TSA signature valid, chains to the trusted TSA certificate CN=TestCA" in completed.stdout
