"""Offline verification is anchored outside the pack (issue 12, item 8).

A forger re-builds a pack with their own key: it is internally consistent and carries the forger's
``public_key.pem`` (and VERIFY.txt, verify.py). It must fail the pack's own ``verify.py`` (run as a subprocess
from the forged pack's files) and the openssl steps of its VERIFY.txt (run with /usr/bin/openssl) once the
auditor anchors them on the organisation's key; and an unanchored run must say NOT VERIFIED.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from evidence.pack import build_pack
from evidence.pack.keys import SigningKey

from .support import CREATED_AT, FILES, METADATA, fixed_key, needs_tools, run_verify_txt, shell_commands, unzip

pytestmark = needs_tools

OPENSSL = "/usr/bin/openssl"
FORGED_FILES = {**FILES, "report.pdf": b"%PDF-1.7\n% everything was fine, honest\n"}


@pytest.fixture(scope="module")
def forger() -> SigningKey:
    return fixed_key(66)


@pytest.fixture(scope="module")
def forged_pack(forger: SigningKey) -> bytes:
    """What a forger ships: the same software, different content, their own key (and its public key inside)."""
    return build_pack(files=FORGED_FILES, metadata=METADATA, signing_key=forger, created_at=CREATED_AT)


def _unpack(pack: bytes, directory: Path) -> Path:
    for name, data in unzip(pack).items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_bytes(data)
    return directory


def _pem(directory: Path, key: SigningKey) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"aigov-evidence-{key.key_id}.pem"
    path.write_bytes(key.public_key_pem)
    return path.resolve()


def _pack_verify_py(pack: bytes, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The verify.py shipped in ``pack``, run from the unzipped pack on the pack itself."""
    target = _unpack(pack, tmp_path / "pack")
    return subprocess.run(
        [sys.executable, str(target / "verify.py"), str(target), *args],
        cwd=target,
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )


def _openssl_env(trusted_key: Path, fingerprint: str) -> dict[str, str]:
    # /usr/bin first, so the steps run the system OpenSSL the way an auditor's shell would
    path = f"/usr/bin:/bin:{os.environ.get('PATH', '')}"
    return {**os.environ, "PATH": path, "TRUSTED_KEY": str(trusted_key), "TRUSTED_FINGERPRINT": fingerprint}


# --- verify.py ------------------------------------------------------------------------------------------------


def test_the_forged_pack_is_internally_consistent_but_not_verified_without_an_anchor(
    forged_pack: bytes, tmp_path: Path, forger: SigningKey
) -> None:
    # when
    completed = _pack_verify_py(forged_pack, tmp_path)
    # then
    assert completed.returncode == 2, completed.stdout
    assert "NOT VERIFIED: key not anchored" in completed.stdout
    assert "FAILED" not in completed.stdout
    assert "OK:" not in completed.stdout


def test_an_unanchored_genuine_pack_is_not_verified_either(pack: bytes, tmp_path: Path) -> None:
    completed = _pack_verify_py(pack, tmp_path)
    assert completed.returncode == 2
    assert "NOT VERIFIED: key not anchored" in completed.stdout


@pytest.mark.parametrize("anchor", ["--trusted-key", "--fingerprint", "--key-id"])
def test_the_forged_pack_fails_verify_py_anchored_on_the_organisations_key(
    forged_pack: bytes, tmp_path: Path, signing_key: SigningKey, forger: SigningKey, anchor: str
) -> None:
    # given
    value = {
        "--trusted-key": str(_pem(tmp_path / "downloads", signing_key)),
        "--fingerprint": signing_key.fingerprint,
        "--key-id": signing_key.key_id,
    }[anchor]
    # when
    completed = _pack_verify_py(forged_pack, tmp_path, anchor, value)
    # then
    assert completed.returncode == 1, completed.stdout
    assert "FAILED public_key.pem: signed by" in completed.stdout
    assert "VERIFICATION FAILED" in completed.stdout
    assert "OK:" not in completed.stdout


@pytest.mark.parametrize("anchor", ["--trusted-key", "--fingerprint", "--key-id"])
def test_the_genuine_pack_passes_verify_py_with_the_right_anchor(
    pack: bytes, tmp_path: Path, signing_key: SigningKey, anchor: str
) -> None:
    value = {
        "--trusted-key": str(_pem(tmp_path / "downloads", signing_key)),
        "--fingerprint": signing_key.fingerprint,
        "--key-id": signing_key.key_id,
    }[anchor]
    completed = _pack_verify_py(pack, tmp_path, anchor, value)
    assert completed.returncode == 0, completed.stdout
    assert f"OK: signed by the {'trusted' if anchor == '--trusted-key' else 'expected'} key {signing_key.key_id}" in (
        completed.stdout
    )


def test_trusted_keys_cover_retired_keys(tmp_path: Path, signing_key: SigningKey, old_signing_key: SigningKey) -> None:
    # given: a pack signed before a rotation; the auditor downloaded the current and the retired key
    old_pack = build_pack(files=FILES, metadata=METADATA, signing_key=old_signing_key, created_at=CREATED_AT)
    current, retired = _pem(tmp_path / "k", signing_key), _pem(tmp_path / "k", old_signing_key)
    # when
    completed = _pack_verify_py(old_pack, tmp_path, "--trusted-key", str(current), "--trusted-key", str(retired))
    # then
    assert completed.returncode == 0, completed.stdout


def test_the_pack_key_swapped_for_the_trusted_one_still_fails(
    forged_pack: bytes, tmp_path: Path, signing_key: SigningKey
) -> None:
    # given: the forger ships the organisation's public key (so the key id looks right) but signed with theirs
    target = _unpack(forged_pack, tmp_path / "pack")
    (target / "public_key.pem").write_bytes(signing_key.public_key_pem)
    trusted = _pem(tmp_path / "downloads", signing_key)
    # when
    completed = subprocess.run(
        [sys.executable, str(target / "verify.py"), str(target), "--trusted-key", str(trusted)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    # then
    assert completed.returncode == 1
    assert "FAILED manifest.sig: signature does not match manifest.json" in completed.stdout


# --- VERIFY.txt and openssl -----------------------------------------------------------------------------------


def test_the_forged_verify_txt_does_not_print_the_forgers_fingerprint(forged_pack: bytes, forger: SigningKey) -> None:
    text = unzip(forged_pack)["VERIFY.txt"].decode()
    assert forger.fingerprint not in text
    assert forger.key_id not in text


def test_the_forged_pack_fails_the_openssl_steps_with_the_organisations_key(
    forged_pack: bytes, tmp_path: Path, signing_key: SigningKey
) -> None:
    # given: the steps from the forged pack's own VERIFY.txt, anchored as it tells the auditor to
    commands = shell_commands(unzip(forged_pack)["VERIFY.txt"])
    env = _openssl_env(_pem(tmp_path / "downloads", signing_key), signing_key.fingerprint)
    # when / then
    with pytest.raises(subprocess.CalledProcessError) as failure:
        run_verify_txt(tmp_path / "auditor", forged_pack, commands, env=env)
    assert "Signature Verified Successfully" not in failure.value.stdout
    assert signing_key.fingerprint in failure.value.stdout  # the anchor itself checked out; the signature did not


def test_the_forgers_key_from_the_pack_fails_the_fingerprint_step(
    forged_pack: bytes, tmp_path: Path, signing_key: SigningKey
) -> None:
    # given: an auditor who (wrongly) points TRUSTED_KEY at the pack's public_key.pem but holds the real fingerprint
    commands = shell_commands(unzip(forged_pack)["VERIFY.txt"])
    forged_key = tmp_path / "from-the-pack.pem"
    forged_key.write_bytes(unzip(forged_pack)["public_key.pem"])
    env = _openssl_env(forged_key.resolve(), signing_key.fingerprint)
    # when / then
    with pytest.raises(subprocess.CalledProcessError) as failure:
        run_verify_txt(tmp_path / "auditor", forged_pack, commands, env=env)
    assert "Signature Verified Successfully" not in failure.value.stdout


def test_the_openssl_steps_fail_without_an_anchor(forged_pack: bytes, tmp_path: Path) -> None:
    commands = shell_commands(unzip(forged_pack)["VERIFY.txt"])
    env = {k: v for k, v in os.environ.items() if k not in ("TRUSTED_KEY", "TRUSTED_FINGERPRINT")}
    with pytest.raises(subprocess.CalledProcessError):
        run_verify_txt(tmp_path / "auditor", forged_pack, commands, env=env)


def test_the_genuine_pack_passes_the_openssl_steps_with_the_right_anchor(
    pack: bytes, tmp_path: Path, signing_key: SigningKey
) -> None:
    # given
    commands = shell_commands(unzip(pack)["VERIFY.txt"])
    env = _openssl_env(_pem(tmp_path / "downloads", signing_key), signing_key.fingerprint)
    # when
    output = run_verify_txt(tmp_path / "auditor", pack, commands, env=env)
    # then
    assert output.count("Signature Verified Successfully") == 2
    assert f"{signing_key.fingerprint}  -" in output
    assert all(f"{name}: OK" in output for name in FILES)
    assert Path(OPENSSL).exists()
