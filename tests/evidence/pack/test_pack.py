"""Building packs: layout, manifest, reproducibility and input validation."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from evidence.pack import (
    EvidencePackError,
    InvalidMetadataError,
    UnsafeFileNameError,
    build_manifest,
    build_pack,
    verify_standalone,
)
from evidence.pack.archive import canonical_json, render_verify_txt, verification_commands, zip_date_time
from evidence.pack.keys import SigningKey

from .support import CREATED_AT, FILES, METADATA, fixed_key, unzip

KIT = ["SHA256SUMS", "SHA256SUMS.sig", "VERIFY.txt", "manifest.json", "manifest.sig", "public_key.pem", "verify.py"]


def test_pack_holds_the_content_files_and_the_verification_kit_in_sorted_order(pack: bytes) -> None:
    # when
    with zipfile.ZipFile(io.BytesIO(pack)) as archive:
        names = archive.namelist()

    # then
    assert names == sorted([*FILES, *KIT])


def test_manifest_lists_every_file_except_the_manifest_family_with_sha256_and_size(pack: bytes) -> None:
    # given
    entries = unzip(pack)

    # when
    manifest = json.loads(entries["manifest.json"])

    # then
    listed = {item["path"]: (item["sha256"], item["size"]) for item in manifest["files"]}
    expected = {
        n: (verify_standalone.sha256_hex(d), len(d)) for n, d in entries.items() if not n.startswith("manifest")
    }
    assert listed == expected
    assert [item["path"] for item in manifest["files"]] == sorted(listed)


def test_manifest_records_pack_metadata_key_id_and_that_there_is_no_timestamp(
    pack: bytes, signing_key: SigningKey
) -> None:
    # when
    manifest = json.loads(unzip(pack)["manifest.json"])

    # then
    assert manifest["format"] == "aigov-evidence-pack"
    assert manifest["format_version"] == 1
    assert manifest["created_at"] == "2025-04-01T12:30:15Z"
    assert manifest["pack"] == METADATA
    assert manifest["signature"]["algorithm"] == "Ed25519"
    assert manifest["signature"]["key_id"] == signing_key.key_id
    assert manifest["timestamp"] == {"status": "none", "reason": "no TSA configured"}


def test_manifest_bytes_are_canonical_json_and_signed_as_is(pack: bytes, signing_key: SigningKey) -> None:
    # given
    entries = unzip(pack)

    # when
    manifest = entries["manifest.json"]

    # then
    assert manifest == canonical_json(json.loads(manifest))
    assert manifest.endswith(b"}\n") and not manifest.endswith(b"\n\n")
    signing_key.private_key.public_key().verify(entries["manifest.sig"], manifest)


def test_canonical_json_sorts_keys_indents_by_two_and_keeps_utf8() -> None:
    # when
    encoded = canonical_json({"b": [1, 2.5], "a": "Ärzte"})

    # then
    assert encoded == '{\n  "a": "Ärzte",\n  "b": [\n    1,\n    2.5\n  ]\n}\n'.encode()


def test_sha256sums_lists_every_file_sha256sum_can_check_and_is_signed(pack: bytes, signing_key: SigningKey) -> None:
    # given
    entries = unzip(pack)

    # when
    lines = entries["SHA256SUMS"].decode().splitlines()

    # then
    names = sorted([*FILES, "VERIFY.txt", "public_key.pem", "verify.py"])
    assert lines == [f"{verify_standalone.sha256_hex(entries[name])}  {name}" for name in names]
    signing_key.private_key.public_key().verify(entries["SHA256SUMS.sig"], entries["SHA256SUMS"])


def test_shipped_verify_py_is_the_standalone_verifier_module(pack: bytes) -> None:
    # when
    shipped = unzip(pack)["verify.py"]

    # then
    assert shipped == Path(verify_standalone.__file__).read_bytes()


def test_verify_txt_lists_the_commands_and_names_no_key_to_expect(pack: bytes, signing_key: SigningKey) -> None:
    # when
    text = unzip(pack)["VERIFY.txt"].decode()

    # then: the pack does not vouch for its own key (a forger's VERIFY.txt would print the forger's)
    for command in verification_commands(timestamped=False):
        assert f"  $ {command}\n" in text
    assert signing_key.fingerprint not in text
    assert signing_key.key_id not in text
    assert "public_key.pem -" not in text and "-inkey public_key.pem" not in text
    assert '-inkey "$TRUSTED_KEY"' in text and "$TRUSTED_FINGERPRINT" in text
    assert "/evidence/keys/" in text  # where to get the key
    assert "second channel" in text  # and that its fingerprint is confirmed out-of-band
    assert "openssl ts -verify" not in text
    assert "no trusted timestamp" in text


def test_verify_txt_names_the_configured_key_page() -> None:
    text = render_verify_txt(timestamped=False, key_page_url="https://aigov.example.org/evidence/keys/").decode()
    assert "Download the public key (PEM) from https://aigov.example.org/evidence/keys/." in text


def test_verify_txt_of_a_timestamped_pack_adds_the_openssl_ts_command() -> None:
    # when
    text = render_verify_txt(timestamped=True).decode()

    # then
    assert (
        '  $ openssl ts -verify -data manifest.json -in manifest.tsr -CAfile "$TSA_CA_FILE" -untrusted tsa_chain.pem\n'
    ) in text
    assert '  $ openssl ts -reply -in manifest.tsr -text | grep -E "^(Status|Time stamp|Nonce):"\n' in text
    assert '--tsa-ca "$TSA_CA_FILE"' in text


def test_building_twice_from_the_same_inputs_gives_byte_identical_packs(signing_key: SigningKey) -> None:
    # given
    inputs: dict[str, Any] = {"metadata": METADATA, "signing_key": signing_key, "created_at": CREATED_AT}

    # when
    first = build_pack(files=FILES, **inputs)
    second = build_pack(files=dict(reversed(list(FILES.items()))), **inputs)

    # then
    assert first == second


def test_zip_entries_have_fixed_time_permissions_and_compression(pack: bytes) -> None:
    # when
    with zipfile.ZipFile(io.BytesIO(pack)) as archive:
        infos = archive.infolist()

    # then
    assert {info.date_time for info in infos} == {(2025, 4, 1, 12, 30, 14)}
    assert {info.external_attr >> 16 for info in infos} == {0o100644}
    assert {(info.compress_type, info.create_system, info.extra) for info in infos} == {(zipfile.ZIP_DEFLATED, 3, b"")}


@pytest.mark.parametrize(
    ("created_at", "expected"),
    [
        (datetime(2025, 4, 1, 12, 30, 15, tzinfo=UTC), (2025, 4, 1, 12, 30, 14)),
        (datetime(2025, 4, 1, 14, 30, 16, tzinfo=timezone(timedelta(hours=2))), (2025, 4, 1, 12, 30, 16)),
        (datetime(1970, 1, 1, tzinfo=UTC), (1980, 1, 1, 0, 0, 0)),
        (datetime(2200, 1, 1, tzinfo=UTC), (2107, 12, 31, 23, 59, 58)),
    ],
    ids=["odd-second-rounds-down", "converted-to-utc", "before-1980-clamped", "after-2107-clamped"],
)
def test_zip_time_is_utc_with_even_seconds_within_the_zip_range(
    created_at: datetime, expected: tuple[int, ...]
) -> None:
    # when / then
    assert zip_date_time(created_at) == expected


def test_a_different_creation_time_or_key_changes_the_pack(pack: bytes, signing_key: SigningKey) -> None:
    # when
    later = build_pack(
        files=FILES, metadata=METADATA, signing_key=signing_key, created_at=CREATED_AT + timedelta(seconds=2)
    )
    other_key = build_pack(files=FILES, metadata=METADATA, signing_key=fixed_key(9), created_at=CREATED_AT)

    # then
    assert len({pack, later, other_key}) == 3


def test_build_manifest_returns_the_manifest_build_pack_signs(pack: bytes, signing_key: SigningKey) -> None:
    # when
    manifest = build_manifest(files=FILES, metadata=METADATA, signing_key=signing_key, created_at=CREATED_AT)

    # then
    assert manifest == unzip(pack)["manifest.json"]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "must be 1 to 200 characters"),
        ("a" * 201, "must be 1 to 200 characters"),
        ("/etc/passwd", "absolute path"),
        ("data\\evil.csv", "backslash"),
        ("../escape.csv", "'..' path segment"),
        ("data/../../escape.csv", "'..' path segment"),
        ("data/./x.csv", "'..' path segment"),
        ("data//x.csv", "'..' path segment"),
        ("data/", "'..' path segment"),
        ("C:/x.csv", "only letters, digits"),
        (".hidden", "only letters, digits"),
        ("-rf", "only letters, digits"),
        ("with space.csv", "only letters, digits"),
        ("naïve.csv", "only letters, digits"),
        ("manifest.json", "collides with 'manifest.json'"),
        ("MANIFEST.JSON", "collides with 'manifest.json'"),
        ("verify.py", "collides with 'verify.py'"),
        ("sha256sums", "collides with 'SHA256SUMS'"),
        ("public_key.pem", "collides with 'public_key.pem'"),
        ("manifest.json/inner.csv", "folder 'manifest.json' is also a file"),
    ],
)
def test_unsafe_file_names_are_rejected(signing_key: SigningKey, name: str, reason: str) -> None:
    # given
    files = {**FILES, name: b"x"}

    # when / then
    with pytest.raises(UnsafeFileNameError, match=reason.replace(".", r"\.")):
        build_pack(files=files, metadata=METADATA, signing_key=signing_key, created_at=CREATED_AT)


@pytest.mark.parametrize(
    ("files", "reason"),
    [
        ({"Report.pdf": b"x", "report.pdf": b"y"}, "collides with 'Report.pdf'"),
        ({"data": b"x", "data/metrics.csv": b"y"}, "folder 'data' is also a file"),
        ({"Data": b"x", "data/metrics.csv": b"y"}, "folder 'Data' is also a file"),
    ],
    ids=["case-insensitive-duplicate", "file-and-folder", "file-and-folder-ignoring-case"],
)
def test_names_that_collide_when_unpacked_are_rejected(
    signing_key: SigningKey, files: dict[str, bytes], reason: str
) -> None:
    # when / then
    with pytest.raises(UnsafeFileNameError, match=reason):
        build_pack(files=files, metadata=METADATA, signing_key=signing_key, created_at=CREATED_AT)


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"files": {}}, EvidencePackError, "at least one content file"),
        ({"files": {"report.pdf": "text"}}, EvidencePackError, "must be bytes"),
        ({"created_at": datetime(2025, 4, 1)}, EvidencePackError, "timezone-aware"),
        ({"metadata": {"pack_id": "p"}}, InvalidMetadataError, "missing subject, period"),
        ({"metadata": {**METADATA, "score": float("nan")}}, InvalidMetadataError, "not canonical-JSON"),
        ({"metadata": {**METADATA, "when": datetime(2025, 1, 1)}}, InvalidMetadataError, "not canonical-JSON"),
    ],
    ids=["no-files", "str-content", "naive-created-at", "missing-metadata", "nan-metadata", "datetime-metadata"],
)
def test_invalid_inputs_are_rejected(
    signing_key: SigningKey, change: dict[str, Any], error: type[Exception], message: str
) -> None:
    # given
    inputs: dict[str, Any] = {
        "files": FILES,
        "metadata": METADATA,
        "signing_key": signing_key,
        "created_at": CREATED_AT,
    }

    # when / then
    with pytest.raises(error, match=message):
        build_pack(**{**inputs, **change})
