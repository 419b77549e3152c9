"""What an auditor runs: the VERIFY.txt commands (openssl, sha256sum) and verify.py, as real subprocesses.

The commands are parsed out of the pack's own VERIFY.txt, so the instructions auditors read are what is tested.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from evidence.pack import verification_commands, verify_pack, verify_standalone
from evidence.pack.keys import SigningKey

from .support import (
    FILES,
    FakeTsa,
    flip_byte,
    needs_tools,
    rezip,
    run_verify_txt,
    shell_commands,
    trusted_env,
    unzip,
)

pytestmark = needs_tools

ALL_FILES = sorted([*FILES, "SHA256SUMS", "SHA256SUMS.sig", "VERIFY.txt", "manifest.json", "manifest.sig",
                    "manifest.tsr", "public_key.pem", "tsa_chain.pem", "verify.py"])  # fmt: skip


def tamper(entries: dict[str, bytes], name: str) -> bytes:
    """``entries[name]`` with one byte flipped; in manifest.tsr, a byte of what the TSA signed (the digest it
    stamped), since the token's embedded certificate is an unsigned copy that the chain file can stand in for."""
    if name == "manifest.tsr":
        digest = hashlib.sha256(entries["manifest.json"]).digest()
        return entries[name].replace(digest, flip_byte(digest), 1)
    return flip_byte(entries[name])


@pytest.fixture(scope="module")
def tsa_env(tsa: FakeTsa, signing_key: SigningKey, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for the VERIFY.txt commands: TSA_CA_FILE points at the TSA's CA certificate, TRUSTED_KEY and
    TRUSTED_FINGERPRINT at the organisation's key as obtained from its key page."""
    return trusted_env(tmp_path_factory.mktemp("trusted"), signing_key, TSA_CA_FILE=str(tsa.ca_file))


def _verify_py(target: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # The copy shipped in the pack, run with the venv's python (which has cryptography), outside the repo.
    return subprocess.run(
        [sys.executable, "verify.py", str(target), *args],
        cwd=target if target.is_dir() else target.parent,
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )


def _unpack(pack: bytes, directory: Path) -> Path:
    for name, data in unzip(pack).items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_bytes(data)
    return directory


def test_verify_txt_commands_are_the_documented_command_list(timestamped_pack: bytes) -> None:
    # when
    commands = shell_commands(unzip(timestamped_pack)["VERIFY.txt"])

    # then
    assert commands == verification_commands(timestamped=True)


@pytest.mark.parametrize("pack_fixture", ["pack", "timestamped_pack"])
def test_an_untouched_pack_passes_every_verify_txt_command(
    request: pytest.FixtureRequest, workdir: Path, tsa_env: dict[str, str], signing_key: SigningKey, pack_fixture: str
) -> None:
    # given
    pack: bytes = request.getfixturevalue(pack_fixture)
    commands = shell_commands(unzip(pack)["VERIFY.txt"])

    # when
    output = run_verify_txt(workdir, pack, commands, env=tsa_env)

    # then
    assert output.count("Signature Verified Successfully") == 2
    assert f"{signing_key.fingerprint}  -" in output
    assert all(f"{name}: OK" in output for name in FILES)
    assert ("Verification: OK" in output) is (pack_fixture == "timestamped_pack")
    assert ("Status: Granted." in output and "Time stamp: " in output) is (pack_fixture == "timestamped_pack")


#: tsa_chain.pem is unsigned helper material (``openssl ts -verify -untrusted``): trust comes from the auditor's TSA CA
#: and the token carries the TSA certificate, so a flipped byte there fails the commands only when it breaks a
#: certificate openssl needs or can parse (it depends on where the byte lands in certificates made per run). That a
#: chain file cannot make a forged token verify is tested in test_timestamp.py; removing it fails (below).
SIGNED_OR_NEEDED_FILES = [name for name in ALL_FILES if name != "tsa_chain.pem"]


@pytest.mark.parametrize("name", SIGNED_OR_NEEDED_FILES)
def test_flipping_one_byte_in_any_file_fails_the_verify_txt_commands(
    timestamped_pack: bytes, workdir: Path, tsa_env: dict[str, str], name: str
) -> None:
    # given
    commands = shell_commands(unzip(timestamped_pack)["VERIFY.txt"])
    entries = unzip(timestamped_pack)
    entries[name] = tamper(entries, name)

    # when / then
    with pytest.raises(subprocess.CalledProcessError):
        run_verify_txt(workdir, rezip(entries), commands, env=tsa_env)


@pytest.mark.parametrize("name", ALL_FILES)
def test_removing_any_file_fails_the_verify_txt_commands(
    timestamped_pack: bytes, workdir: Path, tsa_env: dict[str, str], name: str
) -> None:
    # given
    commands = shell_commands(unzip(timestamped_pack)["VERIFY.txt"])
    entries = unzip(timestamped_pack)
    del entries[name]

    # when / then
    with pytest.raises(subprocess.CalledProcessError):
        run_verify_txt(workdir, rezip(entries), commands, env=tsa_env)


@pytest.mark.parametrize("layout", ["zip", "directory"])
def test_verify_py_accepts_an_untouched_pack(tmp_path: Path, pack: bytes, signing_key: SigningKey, layout: str) -> None:
    # given
    target = _unpack(pack, tmp_path / "pack")
    if layout == "zip":
        (tmp_path / "pack.zip").write_bytes(pack)
        (tmp_path / "verify.py").write_bytes(unzip(pack)["verify.py"])
        target = tmp_path / "pack.zip"

    # when
    completed = _verify_py(target, "--expect-key-id", signing_key.key_id)

    # then
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert f"OK: signed by the expected key {signing_key.key_id}, signature valid and all 12 files intact" in (
        completed.stdout
    )


@pytest.mark.parametrize("name", ALL_FILES)
@pytest.mark.parametrize("change", ["flip", "remove"])
def test_verify_py_fails_and_names_the_file_when_one_is_altered_or_removed(
    tmp_path: Path, timestamped_pack: bytes, name: str, change: str
) -> None:
    # given: a pristine verify.py runs from outside the pack (a tampered verifier could lie)
    entries = unzip(timestamped_pack)
    if change == "flip":
        entries[name] = tamper(entries, name)
    else:
        del entries[name]
    target = _unpack(rezip(entries), tmp_path / "pack")
    (tmp_path / "verify.py").write_bytes(unzip(timestamped_pack)["verify.py"])

    # when
    completed = subprocess.run(
        [sys.executable, str(tmp_path / "verify.py"), str(target)], capture_output=True, text=True, timeout=60
    )

    # then
    assert completed.returncode == 1
    culprit = {"manifest.json": "manifest.sig", "SHA256SUMS": "SHA256SUMS.sig"}.get(name, name)
    if change == "remove":
        culprit = name
    assert f"FAILED {culprit}: " in completed.stdout
    assert "VERIFICATION FAILED" in completed.stdout


def test_verify_py_fails_on_a_file_added_to_the_pack(tmp_path: Path, pack: bytes) -> None:
    # given
    target = _unpack(pack, tmp_path / "pack")
    (target / "data" / "extra.csv").write_bytes(b"smuggled\n")

    # when
    completed = _verify_py(target)

    # then
    assert completed.returncode == 1
    assert "FAILED data/extra.csv: present in the pack but not listed in manifest.json" in completed.stdout


def test_verify_py_run_on_a_zip_fails_like_verify_pack(tmp_path: Path, pack: bytes) -> None:
    # given
    entries = unzip(pack)
    entries["report.pdf"] = flip_byte(entries["report.pdf"])
    tampered = rezip(entries)
    (tmp_path / "pack.zip").write_bytes(tampered)
    (tmp_path / "verify.py").write_bytes(entries["verify.py"])

    # when
    completed = _verify_py(tmp_path / "pack.zip")

    # then
    assert completed.returncode == 1
    assert [
        line.removeprefix("FAILED ") for line in completed.stdout.splitlines() if line.startswith("FAILED")
    ] == list(verify_pack(tampered).errors)


def test_directory_reading_keeps_nested_paths(tmp_path: Path, pack: bytes) -> None:
    # when
    entries = verify_standalone.read_directory(_unpack(pack, tmp_path))

    # then
    assert entries == unzip(pack)
