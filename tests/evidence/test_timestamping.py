"""Trusted timestamps end to end: a real TSA (openssl ts -reply) over HTTP on 127.0.0.1, the pack built with the
verified token and chain, re-verified by verify_evidence_pack and by the verify.py inside the pack; every forged or
failed answer refused with the check it failed."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from core.models import AuditLogEntry
from evidence.choices import EvidencePackStatus
from evidence.events import PACK_BUILT, PACK_FAILED
from evidence.models import EvidencePack
from evidence.services import evidence_pack_build, evidence_pack_request
from evidence.signing import TimestampUnavailable, timestamp_fetch
from tests.evidence.pack.support import needs_tools, unzip, write_self_signed_ca

from .conftest import LoopbackTsa, World


def test_without_a_tsa_no_request_is_made() -> None:
    assert timestamp_fetch(b"{}\n") is None


def test_a_tsa_without_its_ca_certificate_is_a_configuration_error(settings: Any) -> None:
    # given: a TSA, but nothing to verify its tokens with
    settings.EVIDENCE_TSA_URL = "http://127.0.0.1:9/tsr"
    # when / then
    with pytest.raises(ImproperlyConfigured, match="EVIDENCE_TSA_CA_CERT must name the timestamp authority's CA"):
        timestamp_fetch(b"{}\n")


def test_an_unreadable_tsa_ca_file_is_a_configuration_error(settings: Any, tmp_path: Path) -> None:
    # given
    settings.EVIDENCE_TSA_URL = "http://127.0.0.1:9/tsr"
    (tmp_path / "ca.pem").write_text("not a certificate")
    settings.EVIDENCE_TSA_CA_CERT = str(tmp_path / "ca.pem")
    # when / then
    with pytest.raises(ImproperlyConfigured, match="is not a readable PEM certificate file"):
        timestamp_fetch(b"{}\n")


def test_an_unreachable_tsa_is_reported_as_unavailable(settings: Any, tmp_path: Path) -> None:
    # given a port nobody listens on
    settings.EVIDENCE_TSA_URL = "http://127.0.0.1:9/tsr"
    settings.EVIDENCE_TSA_CA_CERT = str(write_self_signed_ca(tmp_path / "ca.pem"))
    settings.EVIDENCE_TSA_TIMEOUT = 2
    # when / then
    with pytest.raises(TimestampUnavailable, match=re.escape("timestamp authority http://127.0.0.1:9/tsr failed")):
        timestamp_fetch(b"{}\n")


def _build(world: World, alice: Any) -> EvidencePack:
    pack = evidence_pack_request(ai_system=world.system, actor=alice, enqueue=False)
    result = evidence_pack_build(pack_id=pack.pk)
    assert result is not None
    return result


def _stored(pack: EvidencePack) -> bytes:
    with default_storage.open(pack.storage_key, "rb") as handle:
        data: bytes = handle.read()
    return data


@needs_tools
def test_a_good_answer_is_verified_stored_and_re_verified_offline(
    world: World, alice: Any, loopback_tsa: LoopbackTsa, tmp_path: Path
) -> None:
    # when
    pack = _build(world, alice)

    # then: built with the token and its chain
    assert pack.status == EvidencePackStatus.BUILT and pack.timestamped, pack.error
    entries = unzip(_stored(pack))
    assert json.loads(entries["manifest.json"])["timestamp"]["status"] == "rfc3161"
    assert {"manifest.tsr", "tsa_chain.pem"} <= set(entries)
    assert len(loopback_tsa.requests) == 1
    built = AuditLogEntry.objects.get(event_type=PACK_BUILT, target_object_id=str(pack.pk))
    assert str(built.extra_data["timestamp_gen_time"]).startswith("20")

    # and verify_evidence_pack re-verifies it against EVIDENCE_TSA_CA_CERT and reports genTime
    (tmp_path / "pack.zip").write_bytes(_stored(pack))
    stdout = StringIO()
    call_command("verify_evidence_pack", str(tmp_path / "pack.zip"), stdout=stdout)
    assert "timestamp: rfc3161, genTime 20" in stdout.getvalue()
    assert "by CN=TestTSA, TSA signature valid, chains to a trusted TSA CA" in stdout.getvalue()

    # and so does the verify.py shipped in the pack, run as an auditor would (outside the repository)
    (tmp_path / "verify.py").write_bytes(entries["verify.py"])
    completed = subprocess.run(
        [sys.executable, "verify.py", "pack.zip", "--key-id", pack.key_id, "--tsa-ca", str(loopback_tsa.tsa.ca_file)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "TSA signature valid, chains to the trusted TSA certificate CN=TestCA" in completed.stdout

    # and openssl agrees
    for name in ("manifest.json", "manifest.tsr", "tsa_chain.pem"):
        (tmp_path / name).write_bytes(entries[name])
    result = subprocess.run(
        [
            *("openssl", "ts", "-verify", "-data", "manifest.json", "-in", "manifest.tsr"),
            *("-CAfile", str(loopback_tsa.tsa.ca_file), "-untrusted", "tsa_chain.pem"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Verification: OK" in result.stdout, result.stderr


@needs_tools
def test_verify_evidence_pack_refuses_a_token_of_a_tsa_it_does_not_trust(
    world: World, alice: Any, loopback_tsa: LoopbackTsa, tmp_path: Path, settings: Any
) -> None:
    # given: a pack timestamped by the TSA, then the configured TSA CA is another one
    pack = _build(world, alice)
    (tmp_path / "pack.zip").write_bytes(_stored(pack))
    settings.EVIDENCE_TSA_CA_CERT = str(loopback_tsa.other.ca_file)
    stderr = StringIO()

    # when / then
    with pytest.raises(CommandError, match=r"verification FAILED .*: manifest\.tsr"):
        call_command("verify_evidence_pack", str(tmp_path / "pack.zip"), stdout=StringIO(), stderr=stderr)
    assert "FAILED manifest.tsr: timestamp check 'chain' failed: CN=TestCA (issuer CN=TestCA)" in stderr.getvalue()


@needs_tools
@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("wrong_imprint", "timestamp check 'imprint' failed: the token covers"),
        ("wrong_nonce", "timestamp check 'nonce' failed: the token carries nonce"),
        ("untrusted_tsa", "timestamp check 'chain' failed: CN=OtherTSA (issuer CN=OtherCA) does not chain"),
        ("rejected", "timestamp check 'status' failed: PKIStatus 2 (rejection): Message digest algorithm"),
        ("garbage", "timestamp check 'response' failed: not a DER TimeStampResp"),
    ],
)
def test_a_forged_or_refused_answer_fails_the_pack_naming_the_check(
    world: World, alice: Any, loopback_tsa: LoopbackTsa, answer: str, message: str
) -> None:
    # given
    loopback_tsa.answer = answer

    # when
    pack = _build(world, alice)

    # then: no pack is built with an unverified token
    assert pack.status == EvidencePackStatus.FAILED
    assert message in pack.error
    assert pack.error.startswith("TimestampVerificationError: ")
    assert not pack.storage_key and not pack.timestamped
    failed = AuditLogEntry.objects.get(event_type=PACK_FAILED, target_object_id=str(pack.pk))
    assert message in failed.extra_data["error"]


@needs_tools
@pytest.mark.parametrize(
    ("answer", "message"),
    [("http_500", "HTTP Error 500"), ("slow", "timed out")],
)
def test_an_http_error_or_a_timeout_leaves_the_pack_pending_for_the_retry(
    world: World, alice: Any, loopback_tsa: LoopbackTsa, answer: str, message: str
) -> None:
    # given
    loopback_tsa.answer = answer
    pack = evidence_pack_request(ai_system=world.system, actor=alice, enqueue=False)

    # when
    with pytest.raises(TimestampUnavailable, match=message):
        evidence_pack_build(pack_id=pack.pk)

    # then
    pack.refresh_from_db()
    assert pack.status == EvidencePackStatus.PENDING
    assert "timestamp authority" in pack.error and message in pack.error


def test_the_system_check_flags_a_tsa_without_its_ca_certificate(settings: Any, tmp_path: Path) -> None:
    # given
    from evidence.checks import tsa_ca_certificate_check

    settings.EVIDENCE_TSA_URL = "https://tsa.example/tsr"
    # when / then
    assert [message.id for message in tsa_ca_certificate_check()] == ["evidence.E001"]
    settings.EVIDENCE_TSA_CA_CERT = str(tmp_path / "missing.pem")
    assert "is not a readable PEM certificate file" in tsa_ca_certificate_check()[0].msg
    settings.EVIDENCE_TSA_CA_CERT = str(write_self_signed_ca(tmp_path / "ca.pem"))
    assert tsa_ca_certificate_check() == []
    settings.EVIDENCE_TSA_URL = ""
    settings.EVIDENCE_TSA_CA_CERT = ""
    assert tsa_ca_certificate_check() == []
