"""verify_pack and the verifier shipped as verify.py, run in-process: tampering, keyrings, hostile archives."""

from __future__ import annotations

import io
import json
import runpy
import stat
import zipfile
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from evidence.pack import InvalidSigningKeyError, build_keyring, verify_pack, verify_standalone
from evidence.pack.keys import SigningKey

from .support import CREATED_AT, FILES, METADATA, fixed_key, flip_byte, resign, rezip, unzip

KEY_ID_1 = fixed_key(1).key_id  # the ``signing_key`` fixture
FINGERPRINT_1 = fixed_key(1).fingerprint
EC_PUBLIC_PEM = (
    ec.generate_private_key(ec.SECP256R1())
    .public_key()
    .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
)
SIGNED_FILES = sorted([*FILES, "SHA256SUMS", "SHA256SUMS.sig", "VERIFY.txt", "manifest.json", "manifest.sig",
                       "public_key.pem", "verify.py"])  # fmt: skip


def test_an_untouched_pack_verifies(pack: bytes, signing_key: SigningKey) -> None:
    # when
    report = verify_pack(pack)

    # then
    assert report.ok, report.errors
    assert report.errors == ()
    assert report.key_id == signing_key.key_id
    assert report.key_trusted is None
    assert report.timestamp_status == "none"
    assert report.manifest is not None and report.manifest["pack"] == METADATA


@pytest.mark.parametrize("name", SIGNED_FILES)
def test_flipping_one_byte_in_any_file_fails_and_names_the_file(pack: bytes, name: str) -> None:
    # given
    entries = unzip(pack)
    entries[name] = flip_byte(entries[name])

    # when
    report = verify_pack(rezip(entries))

    # then
    assert not report.ok
    culprit = "manifest.sig" if name == "manifest.json" else "SHA256SUMS.sig" if name == "SHA256SUMS" else name
    assert culprit in report.failed_files, report.errors


@pytest.mark.parametrize("name", SIGNED_FILES)
def test_removing_any_file_fails_and_names_the_file(pack: bytes, name: str) -> None:
    # given
    entries = unzip(pack)
    del entries[name]

    # when
    report = verify_pack(rezip(entries))

    # then
    assert not report.ok
    assert name in report.failed_files, report.errors


@pytest.mark.parametrize("name", ["extra.csv", "data/extra.json", "manifest.tsr"])
def test_adding_a_file_not_in_the_manifest_fails_and_names_it(pack: bytes, name: str) -> None:
    # given
    entries = {**unzip(pack), name: b"smuggled"}

    # when
    report = verify_pack(rezip(entries))

    # then
    assert report.failed_files == (name,)
    assert report.errors == (f"{name}: present in the pack but not listed in manifest.json",)


def test_a_pack_signed_with_a_retired_key_verifies_while_its_key_is_in_the_keyring(
    signing_key: SigningKey, old_signing_key: SigningKey
) -> None:
    # given: a pack signed before rotation, and the keyring after rotation
    old_pack = build_pack_with(old_signing_key)
    keyring = build_keyring([signing_key.public_key_pem, old_signing_key.public_key_pem])

    # when
    report = verify_pack(old_pack, trusted_keys=keyring)

    # then
    assert report.ok, report.errors
    assert report.key_trusted is True
    assert report.key_id == old_signing_key.key_id


def test_a_pack_signed_with_a_key_missing_from_the_keyring_fails_as_untrusted(
    signing_key: SigningKey, old_signing_key: SigningKey
) -> None:
    # given
    old_pack = build_pack_with(old_signing_key)

    # when
    report = verify_pack(old_pack, trusted_keys=build_keyring([signing_key.public_key_pem]))

    # then
    assert not report.ok
    assert report.key_trusted is False
    assert report.errors == (f"public_key.pem: key id {old_signing_key.key_id} is not in the trusted keyring",)


def test_a_forged_pack_carrying_its_own_key_is_intact_but_untrusted(pack: bytes, signing_key: SigningKey) -> None:
    # given: an attacker edits a file and re-signs everything with a key of their own
    forger = fixed_key(66)
    entries = {**unzip(pack), "report.pdf": b"%PDF forged", "public_key.pem": forger.public_key_pem}
    sums = verify_standalone.render_sha256sums(
        {n: verify_standalone.sha256_hex(d) for n, d in entries.items() if n != "SHA256SUMS"}
    )
    entries |= {"SHA256SUMS": sums, "SHA256SUMS.sig": forger.sign(sums)}
    forged = rezip(resign(entries, forger, edit=lambda m: m["signature"].update(key_id=forger.key_id)))

    # when
    without_keyring = verify_pack(forged)
    with_keyring = verify_pack(forged, trusted_keys=build_keyring([signing_key.public_key_pem]))

    # then: only the keyring (or comparing the published key id) exposes the forgery
    assert without_keyring.ok and without_keyring.key_id == forger.key_id
    assert not with_keyring.ok and with_keyring.key_trusted is False


def test_a_public_key_swapped_under_a_trusted_key_id_fails_the_signature(pack: bytes, signing_key: SigningKey) -> None:
    # given: the shipped key is replaced, but we check against our own copy of the trusted key
    forger = fixed_key(66)
    entries = {**unzip(pack), "public_key.pem": forger.public_key_pem}

    # when
    report = verify_pack(rezip(entries), trusted_keys={forger.key_id: forger.public_key_pem})

    # then
    assert not report.ok
    assert {"manifest.sig", "SHA256SUMS.sig", "public_key.pem"} <= set(report.failed_files)


def test_a_misfiled_keyring_raises_instead_of_trusting_the_wrong_key(pack: bytes, signing_key: SigningKey) -> None:
    # when / then
    with pytest.raises(InvalidSigningKeyError):
        verify_pack(pack, trusted_keys={signing_key.key_id: fixed_key(3).public_key_pem})


def build_pack_with(key: SigningKey) -> bytes:
    """A pack with the standard inputs signed by ``key``."""
    from evidence.pack import build_pack

    return build_pack(files=FILES, metadata=METADATA, signing_key=key, created_at=CREATED_AT)


def _zip_with(*members: tuple[zipfile.ZipInfo | str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for info, data in members:
            archive.writestr(info, data)
    return buffer.getvalue()


def _symlink(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def _corrupt_crc(pack: bytes) -> bytes:
    # Flip a byte of report.pdf's compressed data inside the archive, so the CRC check fails while reading.
    with zipfile.ZipFile(io.BytesIO(pack)) as archive:
        info = archive.getinfo("report.pdf")
    data_start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    position = data_start + info.compress_size // 2
    return pack[:position] + bytes([pack[position] ^ 0x01]) + pack[position + 1 :]


@pytest.mark.parametrize(
    ("archive", "message"),
    [
        (b"not a zip", "cannot open archive"),
        (_zip_with(("../evil.txt", b"x")), "unsafe archive entry"),
        (_zip_with(("/abs.txt", b"x")), "unsafe archive entry"),
        (_zip_with(("a\\b.txt", b"x")), "unsafe archive entry"),
        (_zip_with(("data/", b"")), "unsafe archive entry"),
        (_zip_with((_symlink("link"), b"/etc/passwd")), "unsafe archive entry"),
    ],
    ids=["not-a-zip", "dot-dot", "absolute", "backslash", "directory", "symlink"],
)
def test_hostile_archives_are_refused_before_checking_content(archive: bytes, message: str) -> None:
    # when
    report = verify_pack(archive)

    # then
    assert not report.ok
    assert message in report.errors[0]
    assert report.key_trusted is None


def test_a_corrupt_archive_entry_is_reported(pack: bytes) -> None:
    # when
    report = verify_pack(_corrupt_crc(pack), trusted_keys={})

    # then
    assert not report.ok and report.key_trusted is False
    assert report.errors[0].startswith("report.pdf: corrupt archive entry")


def test_duplicate_archive_entries_are_refused() -> None:
    # given
    with pytest.warns(UserWarning, match="Duplicate name"):
        archive = _zip_with(("a.txt", b"1"), ("a.txt", b"2"))

    # when
    report = verify_pack(archive)

    # then
    assert report.errors == ("a.txt: duplicate archive entry",)


@pytest.mark.parametrize(
    ("limit", "value", "message"), [("MAX_ENTRIES", 3, "entries"), ("MAX_TOTAL_BYTES", 100, "bytes")]
)
def test_archives_over_the_size_limits_are_refused(
    pack: bytes, monkeypatch: pytest.MonkeyPatch, limit: str, value: int, message: str
) -> None:
    # given
    monkeypatch.setattr(verify_standalone, limit, value)

    # when
    report = verify_pack(pack)

    # then
    assert not report.ok
    assert f"more than {value}" in report.errors[0]
    assert message in report.errors[0]


def _edit(path: list[str], value: Any) -> Any:
    def apply(manifest: dict[str, Any]) -> None:
        target = manifest
        for key in path[:-1]:
            target = target[key]
        if value is KeyError:
            del target[path[-1]]
        else:
            target[path[-1]] = value

    return apply


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (_edit(["format"], "something-else"), "not a aigov-evidence-pack manifest"),
        (_edit(["format_version"], 2), "unsupported format_version 2"),
        (_edit(["files"], [{"path": "report.pdf"}]), "malformed manifest"),
        (_edit(["timestamp"], KeyError), "malformed manifest"),
    ],
    ids=["format", "version", "file-entry", "no-timestamp"],
)
def test_a_signed_but_malformed_manifest_fails(pack: bytes, signing_key: SigningKey, edit: Any, message: str) -> None:
    # given
    entries = resign(unzip(pack), signing_key, edit=edit)

    # when
    report = verify_pack(rezip(entries))

    # then
    assert not report.ok
    assert report.failed_files[0] == "manifest.json"
    assert message in report.errors[0]


def test_a_manifest_that_is_not_json_fails(pack: bytes, signing_key: SigningKey) -> None:
    # given
    entries = unzip(pack)
    entries |= {"manifest.json": b"\xff not json", "manifest.sig": signing_key.sign(b"\xff not json")}

    # when
    report = verify_pack(rezip(entries))

    # then
    assert report.failed_files == ("manifest.json",)


def test_a_manifest_naming_another_key_id_fails(pack: bytes, signing_key: SigningKey) -> None:
    # given
    entries = resign(unzip(pack), signing_key, edit=_edit(["signature", "key_id"], "0000000000000000"))

    # when
    report = verify_pack(rezip(entries))

    # then
    assert report.errors == (
        f"public_key.pem: key id {signing_key.key_id} does not match the manifest's key id 0000000000000000",
    )


def test_sha256sums_that_disagrees_with_the_manifest_fails(pack: bytes, signing_key: SigningKey) -> None:
    # given: a consistently re-signed SHA256SUMS that drops a line
    entries = unzip(pack)
    sums = b"".join(entries["SHA256SUMS"].splitlines(keepends=True)[1:])
    entries |= {"SHA256SUMS": sums, "SHA256SUMS.sig": signing_key.sign(sums)}

    # when
    report = verify_pack(rezip(resign(entries, signing_key)))

    # then
    assert report.errors == ("SHA256SUMS: does not agree with manifest.json",)


@pytest.mark.parametrize(
    ("pem", "message"),
    [
        (b"garbage", "not a usable Ed25519 public key PEM"),
        (EC_PUBLIC_PEM, "expected an Ed25519 public key"),
    ],
    ids=["garbage", "ec-key"],
)
def test_a_shipped_key_that_is_not_ed25519_fails(pack: bytes, pem: bytes, message: str) -> None:
    # given
    entries = {**unzip(pack), "public_key.pem": pem}

    # when
    report = verify_pack(rezip(entries))

    # then
    assert report.key_id is None
    assert message in report.errors[0]


def test_an_announced_timestamp_token_must_be_present(timestamped_pack: bytes) -> None:
    # given
    entries = unzip(timestamped_pack)
    del entries["manifest.tsr"]

    # when
    report = verify_pack(rezip(entries))

    # then
    assert report.errors == ("manifest.tsr: announced by manifest.json but missing from the pack",)


def test_a_timestamp_token_over_other_data_fails(timestamped_pack: bytes) -> None:
    # given: the imprint (SHA-256 of manifest.json) inside the token is altered
    entries = unzip(timestamped_pack)
    digest = verify_standalone.hashlib.sha256(entries["manifest.json"]).digest()
    entries["manifest.tsr"] = entries["manifest.tsr"].replace(digest, flip_byte(digest))

    # when
    report = verify_pack(rezip(entries))

    # then
    assert len(report.errors) == 1
    assert report.errors[0].startswith("manifest.tsr: timestamp check 'imprint' failed: the token covers SHA-256")


def test_a_timestamped_pack_verifies(timestamped_pack: bytes) -> None:
    # when
    report = verify_pack(timestamped_pack)

    # then
    assert report.ok, report.errors
    assert report.timestamp_status == "rfc3161"
    assert report.timestamp_gen_time is not None
    assert report.timestamp_tsa == "CN=TestTSA"
    assert report.timestamp_anchored is False  # checked on the CA copy the pack carries only


@pytest.mark.parametrize(
    ("args", "status", "expected"),
    [
        ([], 2, "NOT VERIFIED: key not anchored"),
        (["--expect-key-id", KEY_ID_1], 0, "signature valid and all 14 files intact"),
        (["--key-id", KEY_ID_1], 0, "signature valid and all 14 files intact"),
        (["--fingerprint", FINGERPRINT_1.upper()], 0, "signature valid and all 14 files intact"),
        (["--expect-key-id", "0000000000000000"], 1, "FAILED public_key.pem: signed by key id"),
        (["--fingerprint", "00" * 32], 1, "FAILED public_key.pem: signed by the key with fingerprint"),
    ],
    ids=["unanchored", "expected-key-id", "key-id", "fingerprint", "other-key-id", "other-fingerprint"],
)
def test_verify_py_main_reports_and_returns_the_exit_status(
    tmp_path: Path, timestamped_pack: bytes, capsys: pytest.CaptureFixture[str], args: list[str], status: int,
    expected: str,
) -> None:  # fmt: skip
    # given
    (tmp_path / "pack.zip").write_bytes(timestamped_pack)

    # when
    exit_status = verify_standalone.main([str(tmp_path / "pack.zip"), *args])

    # then
    output = capsys.readouterr().out
    assert exit_status == status
    assert expected in output
    assert "timestamp: genTime 20" in output
    assert "by CN=TestTSA (serial " in output
    assert "chains to CN=TestCA from the pack's own tsa_chain.pem (TIMESTAMP NOT ANCHORED" in output


def test_verify_py_reports_an_unreadable_pack(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # given
    (tmp_path / "pack.zip").write_bytes(b"not a zip")

    # when
    exit_status = verify_standalone.main([str(tmp_path / "pack.zip")])

    # then
    assert exit_status == 1
    assert capsys.readouterr().out.startswith("FAILED cannot open archive")


def test_verify_py_refuses_symlinks_in_an_unpacked_directory(tmp_path: Path, pack: bytes) -> None:
    # given
    for name, data in unzip(pack).items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    (tmp_path / "link").symlink_to(tmp_path / "report.pdf")

    # when / then
    with pytest.raises(verify_standalone.PackReadError, match="symlinks are not allowed"):
        verify_standalone.read_directory(tmp_path)


def test_verify_py_runs_as_a_script(
    tmp_path: Path, pack: bytes, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # given
    (tmp_path / "pack.zip").write_bytes(pack)
    monkeypatch.setattr("sys.argv", ["verify.py", str(tmp_path / "pack.zip")])

    # when
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(verify_standalone.__file__, run_name="__main__")

    # then: consistent, but nothing outside the pack vouches for the key
    assert exit_info.value.code == 2
    assert "NOT VERIFIED: key not anchored" in capsys.readouterr().out


def test_manifest_json_is_the_object_the_report_returns(pack: bytes) -> None:
    # when
    report = verify_pack(pack)

    # then
    assert report.manifest == json.loads(unzip(pack)["manifest.json"])
