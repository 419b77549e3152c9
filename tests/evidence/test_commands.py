"""manage.py build_evidence_pack, verify_evidence_pack and rotate_signing_key."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from tests.evidence.pack.support import flip_byte, rezip, unzip

from .conftest import World


def build(world: World, out: Path, *args: str) -> str:
    stdout = StringIO()
    call_command("build_evidence_pack", "--system", str(world.system.pk), "--out", str(out), *args, stdout=stdout)
    return stdout.getvalue()


def verify(path: Path) -> tuple[str, str]:
    stdout, stderr = StringIO(), StringIO()
    call_command("verify_evidence_pack", str(path), stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


@pytest.fixture
def pack_file(world: World, tmp_path: Path) -> Path:
    out = tmp_path / "pack.zip"
    build(world, out, "--created-at", "2030-01-01T00:00:00Z")
    return out


def test_build_writes_a_pack_that_verify_accepts(pack_file: Path) -> None:
    # when
    stdout, _ = verify(pack_file)
    # then
    assert "OK - signature valid" in stdout
    assert "timestamp: none" in stdout


def test_building_with_the_same_created_at_twice_is_byte_identical(
    world: World, pack_file: Path, tmp_path: Path
) -> None:
    # when
    again = tmp_path / "again.zip"
    build(world, again, "--created-at", "2030-01-01T00:00:00Z")
    # then
    assert again.read_bytes() == pack_file.read_bytes()


def test_a_period_pack_defaults_its_time_to_the_period_end(world: World, tmp_path: Path) -> None:
    # when
    output = build(world, tmp_path / "q1.zip", "--period", "2026-01-01:2026-03-31")
    # then
    assert "created at 2026-03-31T23:59:58+00:00" in output


@pytest.mark.parametrize(
    ("name", "named"),
    [
        ("data/audit_runs.csv", "data/audit_runs.csv"),
        ("report.pdf", "report.pdf"),
        ("charts/trend-{}.png", "charts/trend-{}.png"),
        ("manifest.json", "manifest.sig"),  # the signature over the manifest no longer matches
    ],
)
def test_flipping_one_byte_fails_verification_naming_the_file(
    world: World, pack_file: Path, tmp_path: Path, name: str, named: str
) -> None:
    # given
    entries = unzip(pack_file.read_bytes())
    name = name.format(world.runs[0].definition_id)
    entries[name] = flip_byte(entries[name])
    tampered = tmp_path / "tampered.zip"
    tampered.write_bytes(rezip(entries))
    # when / then
    with pytest.raises(CommandError, match="verification FAILED") as failure:
        verify(tampered)
    assert named.format(world.runs[0].definition_id) in str(failure.value)


def test_a_removed_file_fails_verification_naming_it(pack_file: Path, tmp_path: Path) -> None:
    # given
    entries = unzip(pack_file.read_bytes())
    del entries["data/findings.csv"]
    tampered = tmp_path / "tampered.zip"
    tampered.write_bytes(rezip(entries))
    # when / then
    with pytest.raises(CommandError, match=r"data/findings\.csv"):
        verify(tampered)


def test_an_added_file_fails_verification_naming_it(pack_file: Path, tmp_path: Path) -> None:
    # given
    entries = unzip(pack_file.read_bytes())
    entries["data/extra.csv"] = b"a,b\n"
    tampered = tmp_path / "tampered.zip"
    tampered.write_bytes(rezip(entries))
    # when / then
    with pytest.raises(CommandError, match=r"data/extra\.csv"):
        verify(tampered)


def test_a_pack_from_an_unknown_key_is_refused_unless_trusted_explicitly(
    pack_file: Path, settings: Any, tmp_path: Path
) -> None:
    # given another installation's keys
    other = tmp_path / "other.pem"
    call_command("rotate_signing_key", "--key-file", str(other), stdout=StringIO())
    settings.EVIDENCE_SIGNING_KEY_FILE = str(other)
    settings.EVIDENCE_TRUSTED_KEYS_DIR = str(tmp_path / "empty")
    # when / then
    with pytest.raises(CommandError, match=r"public_key\.pem"):
        verify(pack_file)
    public = tmp_path / "published.pem"
    public.write_bytes(unzip(pack_file.read_bytes())["public_key.pem"])
    stdout = StringIO()
    call_command("verify_evidence_pack", str(pack_file), "--trust-key", str(public), stdout=stdout)
    assert "OK" in stdout.getvalue()


def test_rotate_then_verify_an_old_pack(pack_file: Path) -> None:
    # when
    stdout = StringIO()
    call_command("rotate_signing_key", stdout=stdout)
    # then
    assert "Retired key" in stdout.getvalue()
    assert "OK" in verify(pack_file)[0]


def test_build_needs_exactly_one_subject(tmp_path: Path, db: None) -> None:
    with pytest.raises(CommandError, match="exactly one"):
        call_command("build_evidence_pack", "--out", str(tmp_path / "x.zip"))


def test_build_for_an_unknown_system_fails(tmp_path: Path, db: None) -> None:
    with pytest.raises(CommandError, match="Not found"):
        call_command("build_evidence_pack", "--system", "999999", "--out", str(tmp_path / "x.zip"))


def test_verify_of_a_missing_file_fails(tmp_path: Path, db: None) -> None:
    with pytest.raises(CommandError, match="cannot read"):
        call_command("verify_evidence_pack", str(tmp_path / "missing.zip"))


def test_build_with_store_keeps_a_downloadable_pack(world: World, tmp_path: Path) -> None:
    # given
    from core.models import AuditLogEntry
    from evidence.models import EvidencePack

    out = tmp_path / "stored.zip"
    # when
    output = build(world, out, "--store")
    # then
    pack = EvidencePack.objects.get()
    assert pack.status == "built" and pack.sha256 in output
    assert out.read_bytes() and "OK" in verify(out)[0]
    assert AuditLogEntry.objects.get(event_type="evidence.pack.downloaded").extra_data["via"] == "command"
