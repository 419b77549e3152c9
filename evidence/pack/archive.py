"""Build signed, reproducible evidence packs (ZIP archives).

Layout of a pack (entries sorted by name in the archive)::

    SHA256SUMS        GNU sha256sum list of every file below except the manifest family and itself
    SHA256SUMS.sig    Ed25519 signature of SHA256SUMS (so `sha256sum -c` is anchored without parsing JSON)
    VERIFY.txt        verification commands using only openssl and coreutils, against the organisation's key
    <content files>   given by the caller, e.g. report.pdf, data/metrics.csv, charts/parity.svg, audit_trail.csv
    manifest.json     every file above with sha256 and size, pack metadata, key id, timestamp status
    manifest.sig      Ed25519 signature of the exact bytes of manifest.json
    manifest.tsr      optional RFC 3161 TimeStampResp over SHA-256(manifest.json), verified before it is stored
    tsa_chain.pem     with manifest.tsr: the TSA certificate, intermediates and the TSA CA it was verified against
    public_key.pem    the signing public key (SubjectPublicKeyInfo PEM): a convenience copy, never the trust anchor
    verify.py         standalone verifier (Python + cryptography), a copy of verify_standalone.py

Canonical JSON
    ``manifest.json`` is ``json.dumps(sort_keys=True, indent=2, separators=(",", ": "), ensure_ascii=False,
    allow_nan=False)`` encoded as UTF-8 with one trailing newline. Indented rather than compact because auditors
    read it; the signature is over these exact bytes, never over a re-serialisation.

Reproducibility
    The same inputs give byte-identical archives: sorted entries, every entry stamped with ``created_at`` in UTC
    (rounded down to an even second, ZIP's DOS time resolution, and clamped to 1980..2107), Unix ``0644``
    regular-file permissions, DEFLATE level 9, no extra fields and no archive comment. Ed25519 signatures are
    deterministic. DEFLATE output can differ between zlib builds, so byte identity is guaranteed with the same
    zlib; the manifest (and so every hash and signature) is identical everywhere.
"""

from __future__ import annotations

import io
import json
import re
import stat
import zipfile
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from evidence.pack import verify_standalone as layout
from evidence.pack.errors import EvidencePackError, InvalidMetadataError, UnsafeFileNameError
from evidence.pack.keys import SigningKey
from evidence.pack.timestamp import VerifiedTimestamp, verify_timestamp_token_offline

RESERVED_NAMES = frozenset(
    {
        layout.MANIFEST,
        layout.MANIFEST_SIG,
        layout.TIMESTAMP_TOKEN,
        layout.TSA_CHAIN,
        layout.PUBLIC_KEY,
        layout.SHA256SUMS,
        layout.SHA256SUMS_SIG,
        layout.VERIFY_TXT,
        layout.VERIFY_PY,
    }
)
REQUIRED_METADATA = ("pack_id", "subject", "period", "generator_version", "law_version")

# Conservative on purpose: these names end up in SHA256SUMS lines and shell commands, and are unpacked on
# Windows and macOS too. A segment starts with a letter, digit or underscore (so no ".", "..", hidden files, or
# names that look like command-line options).
_SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*")
MAX_NAME_LENGTH = 200

ZIP_MIN_DATE_TIME = (1980, 1, 1, 0, 0, 0)
ZIP_MAX_DATE_TIME = (2107, 12, 31, 23, 59, 58)
ZIP_COMPRESSION = zipfile.ZIP_DEFLATED
ZIP_COMPRESSLEVEL = 9
ZIP_FILE_MODE = stat.S_IFREG | 0o644
ZIP_CREATE_SYSTEM_UNIX = 3

NO_TIMESTAMP = {"status": "none", "reason": "no TSA configured"}
RFC3161_TIMESTAMP = {
    "status": "rfc3161",
    "file": layout.TIMESTAMP_TOKEN,
    "covers": layout.MANIFEST,
    "hash_algorithm": "sha256",
    "chain_file": layout.TSA_CHAIN,
    # The token is obtained after this manifest is final, so it (and the chain that came with it) cannot be listed
    # in the manifest itself; the TSA's signature protects the token, the chain is checked up to the TSA's CA.
    "note": "DER TimeStampResp from the TSA; verify with openssl ts -verify or verify.py --tsa-ca (see VERIFY.txt)",
}

TSA_CA_ENV = "TSA_CA_FILE"
#: environment variables of the VERIFY.txt steps: the organisation's public key file (obtained outside the pack)
#: and the fingerprint the organisation gave for it through another channel
TRUSTED_KEY_ENV = "TRUSTED_KEY"
TRUSTED_FINGERPRINT_ENV = "TRUSTED_FINGERPRINT"
#: SHA-256 of the raw public key of a PEM file (an Ed25519 SubjectPublicKeyInfo is a 12-byte header + the raw key)
FINGERPRINT_COMMAND = f"openssl pkey -pubin -in {layout.PUBLIC_KEY} -outform DER | tail -c 32 | sha256sum"
#: the same over the trusted key file, failing (grep prints nothing, exits 1) unless it has the given fingerprint
TRUSTED_FINGERPRINT_COMMAND = (
    f'openssl pkey -pubin -in "${TRUSTED_KEY_ENV}" -outform DER | tail -c 32 | sha256sum'
    f' | grep -i "^${TRUSTED_FINGERPRINT_ENV}  -$"'
)
#: where VERIFY.txt sends auditors when the service does not say (the key page path on the issuing service)
DEFAULT_KEY_PAGE_HINT = "the evidence-signing key page of the organisation that issued this pack (/evidence/keys/)"


def canonical_json(value: Any) -> bytes:
    """Serialise ``value`` as the pack's canonical JSON (see module docstring); raises on NaN and non-JSON."""
    text = json.dumps(value, sort_keys=True, indent=2, separators=(",", ": "), ensure_ascii=False, allow_nan=False)
    return (text + "\n").encode("utf-8")


def validate_content_names(names: Iterable[str]) -> None:
    """Raise :class:`UnsafeFileNameError` for the first unsafe content file name.

    Rejected: empty or over-long names, absolute paths, backslashes, ``.``/``..``/empty segments, characters
    outside ``[A-Za-z0-9._-]``, reserved pack files, names equal ignoring case (they collide when unpacked on
    case-insensitive file systems), and a file that is also used as a folder (``a`` and ``a/b``).
    """
    taken = {name.casefold(): name for name in RESERVED_NAMES}
    ordered = sorted(names)
    for name in ordered:
        problem = _name_problem(name)
        if problem is None and name.casefold() in taken:
            problem = f"collides with {taken[name.casefold()]!r}"
        if problem is not None:
            raise UnsafeFileNameError(f"unsafe file name {name!r}: {problem}")
        taken[name.casefold()] = name
    for name in ordered:
        parts = name.split("/")
        for depth in range(1, len(parts)):
            folder = "/".join(parts[:depth]).casefold()
            if folder in taken:
                raise UnsafeFileNameError(f"unsafe file name {name!r}: folder {taken[folder]!r} is also a file")


def _name_problem(name: str) -> str | None:
    if not name or len(name) > MAX_NAME_LENGTH:
        return f"must be 1 to {MAX_NAME_LENGTH} characters"
    if name.startswith("/"):
        return "absolute path"
    if "\\" in name:
        return "backslash"
    for segment in name.split("/"):
        if segment in ("", ".", ".."):
            return "empty, '.' or '..' path segment"
        if not _SEGMENT.fullmatch(segment):
            return "only letters, digits, '.', '_' and '-' are allowed, and not as a leading '.' or '-'"
    return None


def _iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _check_created_at(created_at: datetime) -> None:
    if created_at.tzinfo is None or created_at.utcoffset() is None:
        raise EvidencePackError("created_at must be timezone-aware")


def zip_date_time(created_at: datetime) -> tuple[int, int, int, int, int, int]:
    """The DOS date-time stamped on every entry: UTC, even seconds, clamped to the range ZIP can store."""
    utc = created_at.astimezone(UTC)
    stamp = (utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second - utc.second % 2)
    return max(ZIP_MIN_DATE_TIME, min(ZIP_MAX_DATE_TIME, stamp))


def verification_commands(*, timestamped: bool) -> list[str]:
    """The shell commands VERIFY.txt tells an auditor to run, in order (``PACK.zip`` is the archive's name).

    Every signature is checked with ``$TRUSTED_KEY``, the organisation's public key obtained outside the pack,
    whose fingerprint is first compared with ``$TRUSTED_FINGERPRINT`` (given by the organisation another way);
    the pack's own ``public_key.pem`` is never used, since a forger would ship theirs.
    """
    commands = [
        "mkdir pack && unzip -q PACK.zip -d pack && cd pack",
        TRUSTED_FINGERPRINT_COMMAND,
        f'openssl pkeyutl -verify -pubin -inkey "${TRUSTED_KEY_ENV}" -rawin -in {layout.MANIFEST}'
        f" -sigfile {layout.MANIFEST_SIG}",
        f'openssl pkeyutl -verify -pubin -inkey "${TRUSTED_KEY_ENV}" -rawin -in {layout.SHA256SUMS}'
        f" -sigfile {layout.SHA256SUMS_SIG}",
        f"sha256sum --check --strict {layout.SHA256SUMS}",
    ]
    if timestamped:
        commands += [
            f'openssl ts -verify -data {layout.MANIFEST} -in {layout.TIMESTAMP_TOKEN} -CAfile "${TSA_CA_ENV}"'
            f" -untrusted {layout.TSA_CHAIN}",
            f'openssl ts -reply -in {layout.TIMESTAMP_TOKEN} -text | grep -E "^(Status|Time stamp|Nonce):"',
        ]
    return commands


def render_verify_txt(*, timestamped: bool, key_page_url: str = "") -> bytes:
    """Render VERIFY.txt. Command lines start with ``  $ `` so tests can run exactly what auditors read.

    It names no key and no fingerprint to expect: those come from the organisation (``key_page_url``, its
    published key page, plus a fingerprint confirmed another way), never from the pack a forger could rewrite.
    """
    commands = "\n".join(f"  $ {command}" for command in verification_commands(timestamped=timestamped))
    where = key_page_url or DEFAULT_KEY_PAGE_HINT
    timestamp_note = (
        "- openssl ts -verify checks the RFC 3161 timestamp (manifest.tsr) over manifest.json: the TSA's signature,\n"
        f"  and that the TSA certificate has the timeStamping usage and chains to {TSA_CA_ENV}. Before running,\n"
        f"  export {TSA_CA_ENV}=/absolute/path/to/the-tsa-ca.pem, the CA certificate published by the timestamp\n"
        f"  authority (obtained from the TSA, not from this pack: {layout.TSA_CHAIN} only helps build the chain).\n"
        '  It must print "Verification: OK". (openssl checks the certificates at the current time; if the TSA\n'
        "  certificate has expired since, add -attime with genTime in seconds since 1970.)\n"
        '- The last command shows the token: "Status: Granted." and "Time stamp:", the genTime the TSA signed:\n'
        "  manifest.json, and so every file it lists, existed at that time.\n"
        if timestamped
        else "- This pack has no trusted timestamp (no timestamp authority was configured).\n"
    )
    tsa_option = f' --tsa-ca "${TSA_CA_ENV}"' if timestamped else ""
    verify_py_timestamp_note = (
        "It verifies manifest.tsr too (TSA signature, timeStamping usage, chain to --tsa-ca at genTime) and\n"
        "prints the genTime; without --tsa-ca it checks the chain against the CA copy in tsa_chain.pem only and\n"
        "says TIMESTAMP NOT ANCHORED.\n"
        if timestamped
        else ""
    )
    text = (
        "How to verify this evidence pack\n"
        "================================\n"
        "\n"
        "manifest.json lists every file with its SHA-256 and size and is signed with Ed25519 (manifest.sig).\n"
        "SHA256SUMS lists the same files for sha256sum and is signed with the same key (SHA256SUMS.sig).\n"
        "\n"
        "Anyone can build a pack that is consistent with a key of their own, and this file, public_key.pem and\n"
        "verify.py travel inside the pack: none of them can tell you who signed it. Anchor the check outside the\n"
        "pack, with the organisation's evidence-signing public key:\n"
        "\n"
        f"1. Download the public key (PEM) from {where}.\n"
        "   manifest.json names the key id it claims (signature.key_id): use it only to pick the key on that\n"
        "   page, current or retired.\n"
        "2. Get the key's fingerprint (SHA-256 of the raw public key, 64 hex characters) from the organisation\n"
        "   through a second channel you trust: its compliance or security contact, the audit engagement\n"
        "   letter, or the key page itself opened over HTTPS on the organisation's own domain. Not from this pack.\n"
        f"3. export {TRUSTED_KEY_ENV}=/absolute/path/to/the-downloaded-key.pem\n"
        f"   export {TRUSTED_FINGERPRINT_ENV}=<the 64 hex characters from step 2>\n"
        "\n"
        "You need OpenSSL 3.0 or later and GNU coreutils (sha256sum, tail, grep) plus unzip.\n"
        "Replace PACK.zip with the file name of this archive and run, in an empty directory:\n"
        "\n"
        f"{commands}\n"
        "\n"
        "Every command must succeed:\n"
        f"- The second command must print the fingerprint line of {TRUSTED_KEY_ENV}; if it prints nothing, the key\n"
        f"  file is not the one with fingerprint {TRUSTED_FINGERPRINT_ENV}: stop, the pack cannot be verified.\n"
        '- Both openssl pkeyutl commands must print "Signature Verified Successfully" (signed with the\n'
        "  organisation's key, not with whatever key the pack carries).\n"
        '- sha256sum must print "OK" for every file and exit with status 0.\n'
        f"{timestamp_note}"
        "\n"
        "Alternatively, with Python 3.10+ and the cryptography package (it also reports files added to the pack;\n"
        "prefer a copy of verify.py downloaded from the key page to the one in this pack):\n"
        "\n"
        f'    python3 verify.py PACK.zip --trusted-key "${TRUSTED_KEY_ENV}"'
        f' --fingerprint "${TRUSTED_FINGERPRINT_ENV}"{tsa_option}\n'
        "\n"
        "Without --trusted-key, --fingerprint or --key-id it prints NOT VERIFIED: key not anchored.\n"
        f"{verify_py_timestamp_note}"
        "On macOS use `shasum -a 256 --check SHA256SUMS` and an OpenSSL 3 build (LibreSSL lacks Ed25519 -rawin).\n"
    )
    return text.encode("utf-8")


def _check_metadata(metadata: Mapping[str, Any]) -> dict[str, Any]:
    missing = [key for key in REQUIRED_METADATA if key not in metadata]
    if missing:
        raise InvalidMetadataError(f"metadata is missing {', '.join(missing)}")
    pack = dict(metadata)
    try:
        canonical_json(pack)
    except (TypeError, ValueError) as exc:
        raise InvalidMetadataError(f"metadata is not canonical-JSON serialisable: {exc}") from exc
    return pack


def _signed_entries(
    *, files: Mapping[str, bytes], signing_key: SigningKey, timestamped: bool, key_page_url: str = ""
) -> dict[str, bytes]:
    """Every entry listed in the manifest: content files plus the verification kit."""
    if not files:
        raise EvidencePackError("an evidence pack needs at least one content file")
    validate_content_names(files)
    for name, data in files.items():
        if not isinstance(data, bytes):
            raise EvidencePackError(f"content of {name!r} must be bytes, got {type(data).__name__}")
    entries = dict(files)
    entries[layout.PUBLIC_KEY] = signing_key.public_key_pem
    entries[layout.VERIFY_TXT] = render_verify_txt(timestamped=timestamped, key_page_url=key_page_url)
    entries[layout.VERIFY_PY] = resources.files("evidence.pack").joinpath("verify_standalone.py").read_bytes()
    sums = layout.render_sha256sums({name: layout.sha256_hex(data) for name, data in entries.items()})
    entries[layout.SHA256SUMS] = sums
    entries[layout.SHA256SUMS_SIG] = signing_key.sign(sums)
    return entries


def _prepare(
    *,
    files: Mapping[str, bytes],
    metadata: Mapping[str, Any],
    signing_key: SigningKey,
    created_at: datetime,
    timestamped: bool,
    key_page_url: str = "",
) -> tuple[dict[str, bytes], bytes]:
    """Validate the inputs and return ``(entries listed in the manifest, manifest bytes)``."""
    _check_created_at(created_at)
    pack = _check_metadata(metadata)
    entries = _signed_entries(files=files, signing_key=signing_key, timestamped=timestamped, key_page_url=key_page_url)
    manifest = {
        "format": layout.PACK_FORMAT,
        "format_version": layout.PACK_FORMAT_VERSION,
        "created_at": _iso_utc(created_at),
        "pack": pack,
        "files": [
            {"path": name, "sha256": layout.sha256_hex(entries[name]), "size": len(entries[name])}
            for name in sorted(entries)
        ],
        "signature": {
            "algorithm": "Ed25519",
            "key_id": signing_key.key_id,
            "key_id_definition": "first 16 hex chars of SHA-256 of the raw 32-byte public key",
            "public_key_file": layout.PUBLIC_KEY,
            "signature_file": layout.MANIFEST_SIG,
        },
        "timestamp": RFC3161_TIMESTAMP if timestamped else NO_TIMESTAMP,
    }
    return entries, canonical_json(manifest)


def build_manifest(
    *,
    files: Mapping[str, bytes],
    metadata: Mapping[str, Any],
    signing_key: SigningKey,
    created_at: datetime,
    timestamped: bool = False,
    key_page_url: str = "",
) -> bytes:
    """Return the exact ``manifest.json`` bytes :func:`build_pack` will sign for these inputs.

    Use it to request a timestamp before building: the manifest of a timestamped pack says so, hence
    ``timestamped=True``. Takes the same arguments as :func:`build_pack` and raises the same errors.
    """
    _, manifest = _prepare(
        files=files,
        metadata=metadata,
        signing_key=signing_key,
        created_at=created_at,
        timestamped=timestamped,
        key_page_url=key_page_url,
    )
    return manifest


def build_pack(
    *,
    files: Mapping[str, bytes],
    metadata: Mapping[str, Any],
    signing_key: SigningKey,
    created_at: datetime,
    timestamp: VerifiedTimestamp | None = None,
    key_page_url: str = "",
) -> bytes:
    """Build a signed, reproducible evidence-pack ZIP and return its bytes.

    ``files`` maps safe relative names (``report.pdf``, ``data/metrics.csv``) to content; ``metadata`` must hold
    ``pack_id``, ``subject``, ``period``, ``generator_version`` and ``law_version`` and may hold more
    (JSON-serialisable). ``created_at`` must be timezone-aware; it is the manifest time and every entry's mtime.

    Timestamping: ``manifest = build_manifest(..., timestamped=True)``, send ``build_timestamp_request(manifest)``
    to the TSA, verify the answer with :func:`~evidence.pack.timestamp.verify_timestamp_response`, then call this
    with the same arguments and ``timestamp=<VerifiedTimestamp>``: the token is stored as ``manifest.tsr`` and its
    chain as ``tsa_chain.pem``, after checking once more (as ``verify.py`` will) that it covers this manifest and
    verifies against that chain. Without a timestamp the manifest records
    ``{"status": "none", "reason": "no TSA configured"}``. ``key_page_url`` is where VERIFY.txt tells auditors
    to get the organisation's public key (the pack never vouches for its own key).

    Raises :class:`~evidence.pack.errors.EvidencePackError` subclasses for unsafe names, bad metadata, a naive
    ``created_at`` or a token that does not cover this manifest.
    """
    entries, manifest = _prepare(
        files=files,
        metadata=metadata,
        signing_key=signing_key,
        created_at=created_at,
        timestamped=timestamp is not None,
        key_page_url=key_page_url,
    )
    entries[layout.MANIFEST] = manifest
    entries[layout.MANIFEST_SIG] = signing_key.sign(manifest)
    if timestamp is not None:
        chain = layout.load_certificates(timestamp.chain_pem)
        verify_timestamp_token_offline(timestamp.response, manifest, anchors=chain[-1:], untrusted=chain)
        entries[layout.TIMESTAMP_TOKEN] = timestamp.response
        entries[layout.TSA_CHAIN] = timestamp.chain_pem
    return write_zip(entries, created_at=created_at)


def write_zip(entries: Mapping[str, bytes], *, created_at: datetime) -> bytes:
    """Write ``entries`` as a deterministic ZIP (sorted, fixed time, mode and compression; see module docs)."""
    date_time = zip_date_time(created_at)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time)
            info.create_system = ZIP_CREATE_SYSTEM_UNIX  # default depends on the building OS
            info.external_attr = ZIP_FILE_MODE << 16
            archive.writestr(info, entries[name], compress_type=ZIP_COMPRESSION, compresslevel=ZIP_COMPRESSLEVEL)
    return buffer.getvalue()
