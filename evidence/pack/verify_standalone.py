#!/usr/bin/env python3
"""Standalone verifier for AIGov evidence packs (shipped inside every pack as ``verify.py``).

Usage::

    python3 verify.py PACK.zip --trusted-key aigov-evidence-KEYID.pem   # the organisation's public key
    python3 verify.py PACK.zip --fingerprint <64 hex chars>               # or its fingerprint
    python3 verify.py PACK.zip --key-id 0123456789abcdef                  # or its key id (weaker: 64 bits)

Needs Python 3.10+ and the ``cryptography`` package only. It checks that

* ``manifest.sig`` is a valid Ed25519 signature of the exact bytes of ``manifest.json`` and ``SHA256SUMS.sig`` of
  ``SHA256SUMS``, made with the key the manifest names (key id: first 16 hex characters of the SHA-256 of the
  raw public key);
* every file listed in the manifest is present with the listed SHA-256 and size, and no unlisted file is present;
* ``SHA256SUMS`` agrees with the manifest, and a ``manifest.tsr`` timestamp, if the manifest announces one, is
  present and covers SHA-256(manifest.json).

Trust anchor. A pack can carry any key: a forger who re-signs a pack ships their own ``public_key.pem``, and
the pack is then perfectly consistent. So a pack is only VERIFIED against a key obtained **outside the pack**,
from the organisation (its published evidence-key page, checked against a fingerprint it gave you another way):

* ``--trusted-key PEM`` (repeatable, e.g. current and retired keys): the signatures are checked with that file,
  not with the pack's ``public_key.pem``;
* ``--fingerprint HEX`` (full SHA-256 of the raw public key) or ``--key-id HEX`` (its first 16 characters; an
  alias ``--expect-key-id`` is kept): the pack's key must have that fingerprint / key id.

Without any of them it prints ``NOT VERIFIED: key not anchored`` and exits 2 even when the pack is internally
consistent. It prints one ``FAILED <file>: <reason>`` line per problem and exits 1 if there is any; 0 only when
the pack is intact and signed by the anchored key. It does not check the TSA's signature on ``manifest.tsr``;
use ``openssl ts -verify`` from VERIFY.txt for that. This script travels inside the pack, so a forger can alter
it too: run a copy obtained from the organisation's key page, or the openssl steps of VERIFY.txt.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import stat
import sys
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

PACK_FORMAT = "aigov-evidence-pack"
PACK_FORMAT_VERSION = 1

MANIFEST = "manifest.json"
MANIFEST_SIG = "manifest.sig"
TIMESTAMP_TOKEN = "manifest.tsr"
PUBLIC_KEY = "public_key.pem"
SHA256SUMS = "SHA256SUMS"
SHA256SUMS_SIG = "SHA256SUMS.sig"
VERIFY_TXT = "VERIFY.txt"
VERIFY_PY = "verify.py"

# Produced from manifest.json, so they cannot be listed in it; everything else must be.
UNLISTED_FILES = frozenset({MANIFEST, MANIFEST_SIG, TIMESTAMP_TOKEN})
# Listed in the manifest but not in SHA256SUMS (which cannot list itself or its own signature).
NOT_IN_SHA256SUMS = UNLISTED_FILES | {SHA256SUMS, SHA256SUMS_SIG}

# Zip-bomb guards (OWASP ASVS 5.2.3): checked while reading, because ZipInfo.file_size can lie.
MAX_ENTRIES = 10_000
MAX_TOTAL_BYTES = 4 * 1024**3
READ_CHUNK = 1024 * 1024

KEY_ID_HEX_CHARS = 16


class PackReadError(Exception):
    """The archive or directory cannot be read safely (bad zip, unsafe entry, too large)."""


@dataclass
class CheckResult:
    """Outcome of checking a pack's files: problems found plus what was learnt about the signing key."""

    errors: list[str] = field(default_factory=list)
    failed_files: list[str] = field(default_factory=list)
    key_id: str | None = None
    fingerprint: str | None = None
    timestamp_status: str | None = None
    manifest: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.errors

    def fail(self, name: str, reason: str) -> None:
        """Record that ``name`` failed for ``reason``."""
        self.errors.append(f"{name}: {reason}")
        if name not in self.failed_files:
            self.failed_files.append(name)


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def render_sha256sums(digests: Mapping[str, str]) -> bytes:
    """Render a GNU ``sha256sum`` file (text mode, two spaces, sorted) from ``{name: sha256 hex}``.

    Names that SHA256SUMS cannot list (itself, its signature, the manifest and what derives from it) are skipped.
    """
    lines = [f"{digests[name]}  {name}\n" for name in sorted(digests) if name not in NOT_IN_SHA256SUMS]
    return "".join(lines).encode("ascii")


def _is_unsafe(name: str) -> bool:
    path = PurePosixPath(name)
    return name.startswith("/") or "\\" in name or ".." in path.parts or ":" in name


def read_zip(source: bytes | str | Path) -> dict[str, bytes]:
    """Read every entry of a pack archive into memory, refusing unsafe or oversized archives."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
    except (OSError, zipfile.BadZipFile) as exc:
        raise PackReadError(f"cannot open archive: {exc}") from exc
    entries: dict[str, bytes] = {}
    total = 0
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ENTRIES:
            raise PackReadError(f"archive has {len(infos)} entries, more than {MAX_ENTRIES}")
        for info in infos:
            mode = info.external_attr >> 16
            if info.is_dir() or stat.S_ISLNK(mode) or _is_unsafe(info.filename):
                raise PackReadError(f"{info.filename}: unsafe archive entry (directory, symlink or path escape)")
            if info.filename in entries:
                raise PackReadError(f"{info.filename}: duplicate archive entry")
            chunks = []
            try:
                with archive.open(info) as member:
                    while chunk := member.read(READ_CHUNK):
                        total += len(chunk)
                        if total > MAX_TOTAL_BYTES:
                            raise PackReadError(f"archive unpacks to more than {MAX_TOTAL_BYTES} bytes")
                        chunks.append(chunk)
            except (zipfile.BadZipFile, OSError) as exc:  # e.g. CRC mismatch from a byte flipped in the zip
                raise PackReadError(f"{info.filename}: corrupt archive entry: {exc}") from exc
            entries[info.filename] = b"".join(chunks)
    return entries


def read_directory(root: str | Path) -> dict[str, bytes]:
    """Read every regular file below ``root`` (an unzipped pack), keyed by its relative POSIX path."""
    root = Path(root)
    entries: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        if path.is_symlink():
            raise PackReadError(f"{name}: symlinks are not allowed in a pack")
        if path.is_file():
            entries[name] = path.read_bytes()
    return entries


def _load_public_key(pem: bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"expected an Ed25519 public key, got {type(key).__name__}")
    return key


def _check_signature(
    result: CheckResult, key: Ed25519PublicKey, entries: Mapping[str, bytes], signed: str, signature: str
) -> None:
    if signed not in entries or signature not in entries:
        return  # reported as missing by the caller
    try:
        key.verify(entries[signature], entries[signed])
    except InvalidSignature:
        result.fail(signature, f"signature does not match {signed} (one of them was altered, or another key)")


def _file_table(manifest: Any) -> dict[str, tuple[str, int]]:
    """Return ``{path: (sha256, size)}`` from a parsed manifest, raising ValueError if it is malformed."""
    if not isinstance(manifest, dict) or manifest.get("format") != PACK_FORMAT:
        raise ValueError(f"not a {PACK_FORMAT} manifest")
    if manifest.get("format_version") != PACK_FORMAT_VERSION:
        raise ValueError(f"unsupported format_version {manifest.get('format_version')!r}")
    table: dict[str, tuple[str, int]] = {}
    for item in manifest["files"]:
        table[str(item["path"])] = (str(item["sha256"]), int(item["size"]))
    return table


def check_entries(entries: Mapping[str, bytes], *, public_key_pem: bytes | None = None) -> CheckResult:
    """Check a pack given as ``{name: bytes}``; ``public_key_pem`` replaces the shipped key (a trusted copy)."""
    result = CheckResult()
    for required in (MANIFEST, MANIFEST_SIG, PUBLIC_KEY, SHA256SUMS, SHA256SUMS_SIG):
        if required not in entries:
            result.fail(required, "missing from the pack")
    pem = public_key_pem if public_key_pem is not None else entries.get(PUBLIC_KEY)
    key = None
    if pem is not None:
        try:
            key = _load_public_key(pem)
        except ValueError as exc:
            result.fail(PUBLIC_KEY, f"not a usable Ed25519 public key PEM ({exc})")
    if key is not None:
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        result.fingerprint = sha256_hex(raw)
        result.key_id = result.fingerprint[:KEY_ID_HEX_CHARS]
        _check_signature(result, key, entries, MANIFEST, MANIFEST_SIG)
        _check_signature(result, key, entries, SHA256SUMS, SHA256SUMS_SIG)
    if MANIFEST in entries:
        _check_manifest(result, entries)
    return result


def _check_manifest(result: CheckResult, entries: Mapping[str, bytes]) -> None:
    manifest_bytes = entries[MANIFEST]
    try:
        manifest = json.loads(manifest_bytes.decode("utf-8"))
        table = _file_table(manifest)
        claimed_key_id = manifest["signature"]["key_id"]
        timestamp_status = manifest["timestamp"]["status"]
    except (ValueError, KeyError, TypeError) as exc:
        result.fail(MANIFEST, f"malformed manifest ({exc})")
        return
    result.manifest = manifest
    result.timestamp_status = timestamp_status
    if result.key_id is not None and claimed_key_id != result.key_id:
        result.fail(PUBLIC_KEY, f"key id {result.key_id} does not match the manifest's key id {claimed_key_id}")
    for name, (digest, size) in sorted(table.items()):
        if name not in entries:
            result.fail(name, "listed in manifest.json but missing from the pack")
        elif (actual := sha256_hex(entries[name])) != digest or len(entries[name]) != size:
            result.fail(name, f"content differs from manifest.json (sha256 {actual}, expected {digest})")
    allowed = set(table) | {MANIFEST, MANIFEST_SIG} | ({TIMESTAMP_TOKEN} if timestamp_status == "rfc3161" else set())
    for name in sorted(set(entries) - allowed):
        result.fail(name, "present in the pack but not listed in manifest.json")
    if SHA256SUMS in entries and entries[SHA256SUMS] != render_sha256sums({n: d for n, (d, _) in table.items()}):
        result.fail(SHA256SUMS, "does not agree with manifest.json")
    if timestamp_status == "rfc3161":
        token = entries.get(TIMESTAMP_TOKEN)
        if token is None:
            result.fail(TIMESTAMP_TOKEN, "announced by manifest.json but missing from the pack")
        elif hashlib.sha256(manifest_bytes).digest() not in token:
            result.fail(TIMESTAMP_TOKEN, "timestamp token does not cover SHA-256(manifest.json)")


EXIT_OK = 0
EXIT_FAILED = 1
EXIT_NOT_ANCHORED = 2
NOT_ANCHORED = "NOT VERIFIED: key not anchored"


def _hex(value: str) -> str:
    """A fingerprint or key id as typed: case, colons and spaces do not matter."""
    return "".join(value.split()).replace(":", "").lower()


def trusted_keys_load(paths: list[Path]) -> dict[str, bytes]:
    """``{key_id: pem}`` of the trusted public key files given with ``--trusted-key`` (raises ValueError)."""
    keys: dict[str, bytes] = {}
    for path in paths:
        try:
            pem = path.read_bytes()
            key = _load_public_key(pem)
        except (OSError, ValueError) as exc:
            raise ValueError(f"{path}: not a readable Ed25519 public key PEM ({exc})") from exc
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        keys[sha256_hex(raw)[:KEY_ID_HEX_CHARS]] = pem
    return keys


def check_anchored(
    entries: Mapping[str, bytes],
    *,
    trusted_keys: Mapping[str, bytes] | None = None,
    fingerprint: str | None = None,
    key_id: str | None = None,
) -> tuple[CheckResult, bool]:
    """Check a pack against a trust anchor obtained outside it; returns ``(result, anchored)``.

    With ``trusted_keys`` the signatures are checked with the trusted copy of the key the manifest names (a key
    not among them fails). ``fingerprint`` / ``key_id`` must match the signing key. ``anchored`` is False when no
    anchor was given: the result then says only that the pack is internally consistent.
    """
    result = check_entries(entries)
    anchored = bool(trusted_keys) or bool(fingerprint) or bool(key_id)
    if trusted_keys:
        claimed = (result.manifest or {}).get("signature", {}).get("key_id") if result.manifest else None
        wanted = result.key_id if result.key_id in trusted_keys else claimed
        if wanted in trusted_keys:
            result = check_entries(entries, public_key_pem=trusted_keys[str(wanted)])
            if claimed is not None and claimed != wanted:
                result.fail(MANIFEST, f"names key id {claimed}, not the trusted key {wanted}")
        else:
            result.fail(
                PUBLIC_KEY,
                f"signed by key id {result.key_id}, not by a trusted key ({', '.join(sorted(trusted_keys))})",
            )
    if fingerprint and (result.fingerprint or "") != _hex(fingerprint):
        result.fail(
            PUBLIC_KEY, f"signed by the key with fingerprint {result.fingerprint}, expected {_hex(fingerprint)}"
        )
    if key_id and (result.key_id or "") != _hex(key_id):
        result.fail(PUBLIC_KEY, f"signed by key id {result.key_id}, expected {_hex(key_id)}")
    return result, anchored


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status (0 verified, 1 failed, 2 intact but not anchored)."""
    parser = argparse.ArgumentParser(
        description="Verify an AIGov evidence pack (zip file or unzipped directory) against the organisation's "
        "evidence-signing key, obtained outside the pack."
    )
    parser.add_argument("pack", type=Path, help="the pack .zip, or the directory it was unzipped into")
    parser.add_argument(
        "--trusted-key",
        type=Path,
        action="append",
        default=[],
        metavar="PEM",
        help="the organisation's public key file (from its evidence-key page); repeat for retired keys",
    )
    parser.add_argument("--fingerprint", help="SHA-256 of the raw public key the pack must be signed with")
    parser.add_argument("--key-id", "--expect-key-id", dest="key_id", help="key id the pack must be signed with")
    args = parser.parse_args(argv)
    try:
        trusted = trusted_keys_load(args.trusted_key)
    except ValueError as exc:
        print(f"FAILED --trusted-key {exc}")
        return EXIT_FAILED
    try:
        entries = read_directory(args.pack) if args.pack.is_dir() else read_zip(args.pack)
    except PackReadError as exc:
        print(f"FAILED {exc}")
        return EXIT_FAILED
    result, anchored = check_anchored(entries, trusted_keys=trusted, fingerprint=args.fingerprint, key_id=args.key_id)
    for error in result.errors:
        print(f"FAILED {error}")
    print(f"key id: {result.key_id}  (fingerprint, SHA-256 of the raw public key: {result.fingerprint})")
    if result.timestamp_status == "rfc3161":
        print(f"timestamp: {TIMESTAMP_TOKEN} covers manifest.json; check the TSA signature with openssl ts -verify")
    if not anchored:
        print(
            f"{NOT_ANCHORED}: the pack only proves it is consistent with the key it carries, which a forger can "
            "replace. Get the organisation's evidence-signing public key from its key page, check its fingerprint "
            "with the organisation another way, and run again with --trusted-key PEM (or --fingerprint HEX)."
        )
    if not result.ok:
        print(f"VERIFICATION FAILED: {len(result.errors)} problem(s)")
        return EXIT_FAILED
    if not anchored:
        return EXIT_NOT_ANCHORED
    how = "the trusted key" if trusted else "the expected key"
    print(f"OK: signed by {how} {result.key_id}, signature valid and all {len(entries)} files intact")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
