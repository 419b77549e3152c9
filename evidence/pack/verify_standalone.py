#!/usr/bin/env python3
"""Standalone verifier for AIGov evidence packs (shipped inside every pack as ``verify.py``).

Usage::

    python3 verify.py PACK.zip --trusted-key aigov-evidence-KEYID.pem   # the organisation's public key
    python3 verify.py PACK.zip --fingerprint <64 hex chars>               # or its fingerprint
    python3 verify.py PACK.zip --key-id 0123456789abcdef                  # or its key id (weaker: 64 bits)
    python3 verify.py PACK.zip --trusted-key KEY.pem --tsa-ca tsa-ca.pem  # and anchor the timestamp on the TSA's CA

Needs Python 3.10+ and the ``cryptography`` package only. It checks that

* ``manifest.sig`` is a valid Ed25519 signature of the exact bytes of ``manifest.json`` and ``SHA256SUMS.sig`` of
  ``SHA256SUMS``, made with the key the manifest names (key id: first 16 hex characters of the SHA-256 of the
  raw public key);
* every file listed in the manifest is present with the listed SHA-256 and size, and no unlisted file is present;
* ``SHA256SUMS`` agrees with the manifest;
* a ``manifest.tsr`` timestamp, if the manifest announces one, is a granted RFC 3161 token over SHA-256(manifest.json)
  whose CMS signature by the TSA verifies, whose signing certificate (named by its ESS attribute) has the critical
  timeStamping extended key usage and chains, valid at genTime, to the TSA CA given with ``--tsa-ca`` (the TSA's root
  CA certificate, obtained from the TSA), using ``tsa_chain.pem`` for intermediates; it prints the genTime. Without
  ``--tsa-ca`` the chain is checked against the root copy in ``tsa_chain.pem`` and the timestamp is reported as
  NOT ANCHORED (it does not change the exit status, which is about the signing key).

Trust anchor. A pack can carry any key: a forger who re-signs a pack ships their own ``public_key.pem``, and
the pack is then perfectly consistent. So a pack is only VERIFIED against a key obtained **outside the pack**,
from the organisation (its published evidence-key page, checked against a fingerprint it gave you another way):

* ``--trusted-key PEM`` (repeatable, e.g. current and retired keys): the signatures are checked with that file,
  not with the pack's ``public_key.pem``;
* ``--fingerprint HEX`` (full SHA-256 of the raw public key) or ``--key-id HEX`` (its first 16 characters; an
  alias ``--expect-key-id`` is kept): the pack's key must have that fingerprint / key id.

Without any of them it prints ``NOT VERIFIED: key not anchored`` and exits 2 even when the pack is internally
consistent. It prints one ``FAILED <file>: <reason>`` line per problem and exits 1 if there is any; 0 only when
the pack is intact and signed by the anchored key (and a timestamp, if any, verified). This script travels inside
the pack, so a forger can alter it too: run a copy obtained from the organisation's key page, or the openssl steps
of VERIFY.txt.
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
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

PACK_FORMAT = "aigov-evidence-pack"
PACK_FORMAT_VERSION = 1

MANIFEST = "manifest.json"
MANIFEST_SIG = "manifest.sig"
TIMESTAMP_TOKEN = "manifest.tsr"
TSA_CHAIN = "tsa_chain.pem"
PUBLIC_KEY = "public_key.pem"
SHA256SUMS = "SHA256SUMS"
SHA256SUMS_SIG = "SHA256SUMS.sig"
VERIFY_TXT = "VERIFY.txt"
VERIFY_PY = "verify.py"

# Produced from manifest.json, so they cannot be listed in it; everything else must be.
UNLISTED_FILES = frozenset({MANIFEST, MANIFEST_SIG, TIMESTAMP_TOKEN, TSA_CHAIN})
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
    timestamp: TimestampInfo | None = None  # the verified token of a timestamped pack
    timestamp_anchored: bool = False  # checked against TSA certificates given by the caller, not the pack's own

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


# --- RFC 3161 timestamp token (manifest.tsr) ------------------------------------------------------------------------
# A pure check with the cryptography package and a small strict DER reader: the token's TSTInfo covers
# SHA-256(manifest.json), the TSA's CMS signature over it is valid, and the TSA certificate has the critical
# timeStamping EKU and chains to a CA the auditor trusts, valid at genTime. The service runs this same code when it
# builds a pack (and the rfc3161-client library as a second opinion), so a pack it ships passes here.

OID_SIGNED_DATA = "1.2.840.113549.1.7.2"
OID_TST_INFO = "1.2.840.113549.1.9.16.1.4"
OID_CONTENT_TYPE = "1.2.840.113549.1.9.3"
OID_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
OID_SIGNING_CERTIFICATE = "1.2.840.113549.1.9.16.2.12"  # ESSCertID, SHA-1 of the TSA certificate
OID_SIGNING_CERTIFICATE_V2 = "1.2.840.113549.1.9.16.2.47"  # ESSCertIDv2, SHA-256 unless it names another hash
OID_RSASSA_PSS = "1.2.840.113549.1.1.10"
OID_SHA256 = "2.16.840.1.101.3.4.2.1"
TOKEN_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    OID_SHA256: hashes.SHA256,
    "2.16.840.1.101.3.4.2.2": hashes.SHA384,
    "2.16.840.1.101.3.4.2.3": hashes.SHA512,
}
OID_SHA1 = "1.3.14.3.2.26"
PKI_STATUS = {
    0: "granted",
    1: "grantedWithMods",
    2: "rejection",
    3: "waiting",
    4: "revocationWarning",
    5: "revocationNotification",
}
MAX_CHAIN_LENGTH = 6

# The names of the checks, in the order they run; an error names the one that failed.
CHECK_RESPONSE = "response"  # a DER TimeStampResp at all
CHECK_STATUS = "status"  # PKIStatus granted
CHECK_TOKEN = "token"  # a CMS SignedData over a TSTInfo
CHECK_IMPRINT = "imprint"  # SHA-256, of the manifest
CHECK_NONCE = "nonce"  # the request's nonce (checked when the token is fetched; not known offline)
CHECK_GEN_TIME = "gen_time"  # present, not in the future (checked when fetched)
CHECK_SIGNATURE = "signature"  # the TSA's signature over the TSTInfo
CHECK_CERTIFICATE = "certificate"  # the signing certificate: named by the token, timeStamping EKU
CHECK_CHAIN = "chain"  # chains to a trusted TSA CA, valid at genTime


class TimestampCheckError(Exception):
    """A timestamp token failed one named check (``check`` is one of the ``CHECK_*`` names)."""

    def __init__(self, check: str, detail: str) -> None:
        super().__init__(f"timestamp check '{check}' failed: {detail}")
        self.check = check
        self.detail = detail


@dataclass(frozen=True)
class Der:
    """One DER element: tag byte, content octets, the whole encoding, and for constructed tags its children."""

    tag: int
    content: bytes
    raw: bytes
    children: tuple[Der, ...] = ()


def der_read(data: bytes) -> Der:
    """Decode exactly one DER element (single-byte tags, definite lengths), recursing into constructed ones."""
    node, end = _der_at(data, 0, 0)
    if end != len(data):
        raise ValueError(f"{len(data) - end} trailing bytes after the DER element")
    return node


def _der_at(data: bytes, offset: int, depth: int) -> tuple[Der, int]:
    if depth > 64:
        raise ValueError("DER nested too deeply")
    start = offset
    if offset + 2 > len(data):
        raise ValueError("truncated DER element")
    tag, first = data[offset], data[offset + 1]
    if tag & 0x1F == 0x1F:
        raise ValueError("multi-byte DER tags are not supported")
    offset += 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or offset + count > len(data):
            raise ValueError("indefinite or truncated DER length")
        length = int.from_bytes(data[offset : offset + count], "big")
        offset += count
    end = offset + length
    if end > len(data):
        raise ValueError("DER length runs past the end of the data")
    children: list[Der] = []
    if tag & 0x20:
        position = offset
        while position < end:
            child, position = _der_at(data, position, depth + 1)
            children.append(child)
    return Der(tag, data[offset:end], data[start:end], tuple(children)), end


def der_oid_text(node: Der) -> str:
    """The dotted form of an OBJECT IDENTIFIER element."""
    if node.tag != 0x06 or not node.content:
        raise ValueError("expected an OBJECT IDENTIFIER")
    arcs: list[int] = []
    value = 0
    for byte in node.content:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    first = min(arcs[0] // 40, 2)
    return ".".join(str(arc) for arc in [first, arcs[0] - 40 * first, *arcs[1:]])


def _der_int(node: Der) -> int:
    if node.tag != 0x02:
        raise ValueError("expected an INTEGER")
    return int.from_bytes(node.content, "big", signed=True)


def _expect(node: Der, tag: int, what: str, children: int = 0) -> Der:
    if node.tag != tag or len(node.children) < children:
        raise ValueError(f"malformed {what}")
    return node


def _generalized_time(node: Der) -> datetime:
    if node.tag != 0x18:
        raise ValueError("genTime is not a GeneralizedTime")
    text = node.content.decode("ascii")
    if not text.endswith("Z"):
        raise ValueError(f"genTime {text!r} is not in UTC")
    whole, _, fraction = text[:-1].partition(".")
    moment = datetime.strptime(whole, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    return moment + timedelta(microseconds=int((fraction + "000000")[:6])) if fraction else moment


@dataclass(frozen=True)
class TimestampInfo:
    """What a verified token says: when (``gen_time``), for which digest, by whom, and the chain it was checked on."""

    gen_time: datetime
    serial_number: int
    policy: str
    nonce: int | None
    digest: bytes
    signer: x509.Certificate
    chain: tuple[x509.Certificate, ...]  # signer first, the trusted anchor last

    @property
    def tsa_name(self) -> str:
        """The TSA certificate's subject (RFC 4514)."""
        return self.signer.subject.rfc4514_string()


@dataclass(frozen=True)
class _Token:
    status: int
    tst_info: Der
    tst_info_raw: bytes
    certificates: tuple[x509.Certificate, ...]
    signer_info: Der


def _parse_response(response: bytes) -> _Token:
    try:
        root = der_read(response)
        status_info = _expect(root.children[0], 0x30, "PKIStatusInfo", 1) if root.tag == 0x30 else None
        if status_info is None:
            raise ValueError("expected a SEQUENCE")
        status = _der_int(status_info.children[0])
    except (ValueError, IndexError) as exc:
        raise TimestampCheckError(CHECK_RESPONSE, f"not a DER TimeStampResp ({exc})") from exc
    if status != 0:
        texts = [
            child.content.decode("utf-8", "replace")
            for text in status_info.children[1:2]
            if text.tag == 0x30
            for child in text.children
        ]
        detail = f"PKIStatus {status} ({PKI_STATUS.get(status, 'unknown')})"
        raise TimestampCheckError(CHECK_STATUS, detail + (f": {'; '.join(texts)}" if texts else ""))
    try:
        if len(root.children) < 2:
            raise ValueError("granted but no timeStampToken")
        content_info = _expect(root.children[1], 0x30, "ContentInfo", 2)
        if der_oid_text(content_info.children[0]) != OID_SIGNED_DATA:
            raise ValueError("the token is not a CMS SignedData")
        signed_data = _expect(_expect(content_info.children[1], 0xA0, "ContentInfo", 1).children[0], 0x30, "", 4)
        encap = _expect(signed_data.children[2], 0x30, "encapContentInfo", 2)
        if der_oid_text(encap.children[0]) != OID_TST_INFO:
            raise ValueError("the signed content is not a TSTInfo")
        e_content = _expect(_expect(encap.children[1], 0xA0, "eContent", 1).children[0], 0x04, "eContent")
        tst_info = der_read(e_content.content)
        certificates: list[x509.Certificate] = []
        signer_infos = signed_data.children[-1]
        for extra in signed_data.children[3:-1]:
            if extra.tag == 0xA0:  # certificates [0] IMPLICIT CertificateSet
                certificates += [
                    x509.load_der_x509_certificate(cert.raw) for cert in extra.children if cert.tag == 0x30
                ]
        _expect(signer_infos, 0x31, "signerInfos")
        if len(signer_infos.children) != 1:
            raise ValueError(f"expected exactly one SignerInfo, got {len(signer_infos.children)}")
        signer_info = _expect(signer_infos.children[0], 0x30, "SignerInfo", 5)
    except (ValueError, IndexError) as exc:
        raise TimestampCheckError(CHECK_TOKEN, f"malformed timeStampToken ({exc})") from exc
    return _Token(status, tst_info, e_content.content, tuple(certificates), signer_info)


def _issuer_and_serial(certificate: x509.Certificate) -> tuple[bytes, int]:
    """The raw issuer Name and the serial number, read from the certificate's own TBS encoding."""
    tbs = der_read(certificate.tbs_certificate_bytes).children
    index = 1 if tbs[0].tag == 0xA0 else 0  # [0] EXPLICIT version
    return tbs[index + 2].raw, _der_int(tbs[index])


def _subject_key_id(certificate: x509.Certificate) -> bytes | None:
    try:
        return certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        return None


def _signer_certificate(sid: Der, candidates: list[x509.Certificate]) -> x509.Certificate:
    for certificate in candidates:
        if sid.tag == 0x30:  # issuerAndSerialNumber
            if (sid.children[0].raw, _der_int(sid.children[1])) == _issuer_and_serial(certificate):
                return certificate
        elif sid.tag == 0x80 and sid.content == _subject_key_id(certificate):  # [0] subjectKeyIdentifier
            return certificate
    raise TimestampCheckError(
        CHECK_CERTIFICATE, "the TSA certificate the token names is neither in the token nor in the chain given"
    )


def _hash_of(algorithm: Der) -> type[hashes.HashAlgorithm]:
    oid = der_oid_text(algorithm.children[0])
    if oid not in TOKEN_HASHES:
        raise ValueError(f"unsupported digest algorithm {oid}")
    return TOKEN_HASHES[oid]


def _digest(algorithm: type[hashes.HashAlgorithm], data: bytes) -> bytes:
    context = hashes.Hash(algorithm())
    context.update(data)
    return context.finalize()


def _signed_attributes(signer_info: Der) -> tuple[Der, dict[str, Der]]:
    attributes = next((child for child in signer_info.children if child.tag == 0xA0), None)
    if attributes is None:
        raise TimestampCheckError(CHECK_SIGNATURE, "the SignerInfo has no signed attributes (RFC 3161 needs them)")
    values: dict[str, Der] = {}
    for attribute in attributes.children:
        _expect(attribute, 0x30, "signed attribute", 2)
        values[der_oid_text(attribute.children[0])] = _expect(attribute.children[1], 0x31, "attribute values", 1)
    return attributes, values


def _check_ess_certificate(values: dict[str, Der], signer: x509.Certificate) -> None:
    """RFC 3161 2.4.2 / RFC 5816: the signed attributes name the TSA certificate by its hash."""
    der = signer.public_bytes(serialization.Encoding.DER)
    if OID_SIGNING_CERTIFICATE_V2 in values:
        first = values[OID_SIGNING_CERTIFICATE_V2].children[0].children[0].children[0]
        algorithm = _hash_of(first.children[0]) if first.children[0].tag == 0x30 else hashes.SHA256
        cert_hash = next(child for child in first.children if child.tag == 0x04).content
        expected = _digest(algorithm, der)
    elif OID_SIGNING_CERTIFICATE in values:
        first = values[OID_SIGNING_CERTIFICATE].children[0].children[0].children[0]
        cert_hash = _expect(first.children[0], 0x04, "ESSCertID").content
        expected = hashlib.sha1(der).digest()  # ESSCertID (RFC 2634) is defined over SHA-1
    else:
        raise TimestampCheckError(CHECK_CERTIFICATE, "the token has no ESS signing-certificate attribute")
    if cert_hash != expected:
        raise TimestampCheckError(CHECK_CERTIFICATE, "the ESS signing-certificate hash does not match the TSA cert")


def _verify_signature(signer: x509.Certificate, signature: bytes, data: bytes, hash_class: type[Any]) -> None:
    key = signer.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        key.verify(signature, data, padding.PKCS1v15(), hash_class())
    elif isinstance(key, ec.EllipticCurvePublicKey):
        key.verify(signature, data, ec.ECDSA(hash_class()))
    elif isinstance(key, Ed25519PublicKey):
        key.verify(signature, data)
    else:
        raise TimestampCheckError(CHECK_SIGNATURE, f"unsupported TSA key type {type(key).__name__}")


def _check_eku(signer: x509.Certificate) -> None:
    try:
        eku = signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    except x509.ExtensionNotFound:
        raise TimestampCheckError(
            CHECK_CERTIFICATE, "the TSA certificate has no extended key usage (RFC 3161 2.3: a critical timeStamping)"
        ) from None
    if x509.ExtendedKeyUsageOID.TIME_STAMPING not in eku.value or not eku.critical:
        raise TimestampCheckError(
            CHECK_CERTIFICATE, "the TSA certificate lacks the critical timeStamping extended key usage (RFC 3161 2.3)"
        )


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        return bool(certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _is_root(certificate: x509.Certificate) -> bool:
    """A self-signed CA certificate: what a trust anchor must be (as for ``openssl ts -verify -CAfile``)."""
    return _is_ca(certificate) and _issued_by(certificate, certificate)


def _issued_by(child: x509.Certificate, parent: x509.Certificate) -> bool:
    if child.issuer != parent.subject:
        return False
    try:
        child.verify_directly_issued_by(parent)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _valid_at(certificate: x509.Certificate, moment: datetime) -> None:
    if not certificate.not_valid_before_utc <= moment <= certificate.not_valid_after_utc:
        raise TimestampCheckError(
            CHECK_CHAIN,
            f"{certificate.subject.rfc4514_string()} is not valid at genTime {moment.isoformat()} "
            f"({certificate.not_valid_before_utc.isoformat()} to {certificate.not_valid_after_utc.isoformat()})",
        )


def _chain(
    signer: x509.Certificate, pool: list[x509.Certificate], anchors: list[x509.Certificate], moment: datetime
) -> tuple[x509.Certificate, ...]:
    """The path from the TSA certificate to one of the trusted root ``anchors``."""
    chain = [signer]
    current = signer
    for _ in range(MAX_CHAIN_LENGTH):
        _valid_at(current, moment)
        anchor = next((a for a in anchors if _issued_by(current, a)), None)
        if anchor is not None:
            _valid_at(anchor, moment)
            return (*chain, anchor)
        issuer = next((c for c in pool if c not in chain and _is_ca(c) and _issued_by(current, c)), None)
        if issuer is None:
            raise TimestampCheckError(
                CHECK_CHAIN,
                f"{current.subject.rfc4514_string()} (issuer {current.issuer.rfc4514_string()}) does not chain to "
                "a trusted TSA CA",
            )
        chain.append(issuer)
        current = issuer
    raise TimestampCheckError(CHECK_CHAIN, f"no trusted TSA CA within {MAX_CHAIN_LENGTH} certificates")


def verify_timestamp_token(
    response: bytes,
    data: bytes,
    *,
    anchors: list[x509.Certificate],
    untrusted: list[x509.Certificate] | None = None,
) -> TimestampInfo:
    """Verify a DER ``TimeStampResp`` over SHA-256(``data``) against the trusted TSA CA certificates ``anchors``.

    Only self-signed CA certificates among ``anchors`` are trust roots (as with ``openssl ts -verify -CAfile``);
    others, like the ``untrusted`` certificates (e.g. the pack's ``tsa_chain.pem``), may only complete the path.

    Raises :class:`TimestampCheckError` naming the failed check. The nonce and the freshness of genTime are checked
    by whoever requested the token (only they know the nonce and the time of the request).
    """
    roots = [cert for cert in anchors if _is_root(cert)]
    if not roots:
        raise TimestampCheckError(CHECK_CHAIN, "no trusted TSA root CA certificate (self-signed) to check the token on")
    token = _parse_response(response)
    try:
        fields = _expect(token.tst_info, 0x30, "TSTInfo", 5).children
        policy = der_oid_text(fields[1])
        imprint = _expect(fields[2], 0x30, "messageImprint", 2)
        imprint_oid = der_oid_text(_expect(imprint.children[0], 0x30, "hashAlgorithm", 1).children[0])
        digest = _expect(imprint.children[1], 0x04, "hashedMessage").content
        serial_number = _der_int(fields[3])
        gen_time = _generalized_time(fields[4])
        nonce = next((_der_int(child) for child in fields[5:] if child.tag == 0x02), None)
    except (ValueError, IndexError, UnicodeDecodeError) as exc:
        raise TimestampCheckError(CHECK_TOKEN, f"malformed TSTInfo ({exc})") from exc
    if imprint_oid != OID_SHA256:
        raise TimestampCheckError(CHECK_IMPRINT, f"the token hashes with {imprint_oid}, not SHA-256")
    if digest != hashlib.sha256(data).digest():
        raise TimestampCheckError(CHECK_IMPRINT, f"the token covers SHA-256 {digest.hex()}, not this {MANIFEST}")
    try:
        info = token.signer_info.children
        hash_class = _hash_of(_expect(info[2], 0x30, "digestAlgorithm", 1))
        attributes, values = _signed_attributes(token.signer_info)
        signature_algorithm = der_oid_text(info[4 if info[3].tag == 0xA0 else 3].children[0])
        signature = _expect(info[5 if info[3].tag == 0xA0 else 4], 0x04, "signature").content
        content_type = der_oid_text(values[OID_CONTENT_TYPE].children[0]) if OID_CONTENT_TYPE in values else None
        message_digest = values[OID_MESSAGE_DIGEST].children[0].content if OID_MESSAGE_DIGEST in values else None
    except (ValueError, IndexError) as exc:
        raise TimestampCheckError(CHECK_TOKEN, f"malformed SignerInfo ({exc})") from exc
    if content_type != OID_TST_INFO:
        raise TimestampCheckError(CHECK_SIGNATURE, "the signed content-type attribute is not TSTInfo")
    if message_digest != _digest(hash_class, token.tst_info_raw):
        raise TimestampCheckError(CHECK_SIGNATURE, "the TSTInfo was altered after the TSA signed it (messageDigest)")
    if signature_algorithm == OID_RSASSA_PSS:
        raise TimestampCheckError(CHECK_SIGNATURE, "RSASSA-PSS TSA signatures are not supported by this verifier")
    pool = list(token.certificates)
    pool += [cert for cert in [*(untrusted or []), *anchors] if cert not in pool and cert not in roots]
    signer = _signer_certificate(info[1], pool)
    try:
        _verify_signature(signer, signature, b"\x31" + attributes.raw[1:], hash_class)
    except InvalidSignature:
        raise TimestampCheckError(
            CHECK_SIGNATURE, f"the TSA signature does not verify with {signer.subject.rfc4514_string()}'s key"
        ) from None
    _check_eku(signer)
    try:
        _check_ess_certificate(values, signer)
    except (ValueError, IndexError, StopIteration) as exc:
        raise TimestampCheckError(CHECK_CERTIFICATE, f"malformed ESS signing-certificate attribute ({exc})") from exc
    chain = _chain(signer, pool, roots, gen_time)
    return TimestampInfo(gen_time, serial_number, policy, nonce, digest, signer, chain)


def load_certificates(pem: bytes) -> list[x509.Certificate]:
    """Every certificate of a PEM bundle (raises ValueError when there is none)."""
    return x509.load_pem_x509_certificates(pem)


def certificates_pem(certificates: list[x509.Certificate] | tuple[x509.Certificate, ...]) -> bytes:
    """A PEM bundle of ``certificates``, in order."""
    return b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in certificates)


def check_entries(
    entries: Mapping[str, bytes],
    *,
    public_key_pem: bytes | None = None,
    tsa_anchors: list[x509.Certificate] | None = None,
) -> CheckResult:
    """Check a pack given as ``{name: bytes}``; ``public_key_pem`` replaces the shipped key (a trusted copy).

    A timestamp token is checked against ``tsa_anchors`` (the TSA CA certificates the caller trusts) or, without
    them, against the root certificate the pack's ``tsa_chain.pem`` carries (then ``timestamp_anchored`` is False).
    """
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
        _check_manifest(result, entries, tsa_anchors)
    return result


def _check_manifest(
    result: CheckResult, entries: Mapping[str, bytes], tsa_anchors: list[x509.Certificate] | None
) -> None:
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
    allowed = (
        set(table)
        | {MANIFEST, MANIFEST_SIG}
        | ({TIMESTAMP_TOKEN, TSA_CHAIN} if timestamp_status == "rfc3161" else set())
    )
    for name in sorted(set(entries) - allowed):
        result.fail(name, "present in the pack but not listed in manifest.json")
    if SHA256SUMS in entries and entries[SHA256SUMS] != render_sha256sums({n: d for n, (d, _) in table.items()}):
        result.fail(SHA256SUMS, "does not agree with manifest.json")
    if timestamp_status == "rfc3161":
        _check_timestamp(result, entries, tsa_anchors)


def _check_timestamp(
    result: CheckResult, entries: Mapping[str, bytes], tsa_anchors: list[x509.Certificate] | None
) -> None:
    token = entries.get(TIMESTAMP_TOKEN)
    if token is None:
        result.fail(TIMESTAMP_TOKEN, "announced by manifest.json but missing from the pack")
        return
    shipped: list[x509.Certificate] = []
    if TSA_CHAIN not in entries and not tsa_anchors:
        result.fail(TSA_CHAIN, "missing from the pack (pass --tsa-ca PEM, the TSA's CA certificate)")
        return
    if TSA_CHAIN in entries:
        try:
            shipped = load_certificates(entries[TSA_CHAIN])
        except ValueError as exc:
            result.fail(TSA_CHAIN, f"not a PEM certificate bundle ({exc})")
    # Without anchors from the caller, the pack's own copy of the TSA's root: consistent, but a forger could ship
    # their own TSA too, so the result says it is not anchored.
    anchors = list(tsa_anchors) if tsa_anchors else [cert for cert in shipped if cert.issuer == cert.subject]
    try:
        result.timestamp = verify_timestamp_token(token, entries[MANIFEST], anchors=anchors, untrusted=shipped)
    except TimestampCheckError as exc:
        result.fail(TIMESTAMP_TOKEN, str(exc))
        return
    result.timestamp_anchored = bool(tsa_anchors)
    # The file is not covered by the manifest (it came with the token), so hold it to what it claims to be: the
    # chain the token verified on, nothing else.
    strays = [cert.subject.rfc4514_string() for cert in shipped if cert not in result.timestamp.chain]
    if strays:
        result.fail(TSA_CHAIN, f"holds certificates that are not on the token's chain: {', '.join(strays)}")


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
    tsa_anchors: list[x509.Certificate] | None = None,
) -> tuple[CheckResult, bool]:
    """Check a pack against a trust anchor obtained outside it; returns ``(result, anchored)``.

    With ``trusted_keys`` the signatures are checked with the trusted copy of the key the manifest names (a key
    not among them fails). ``fingerprint`` / ``key_id`` must match the signing key. ``anchored`` is False when no
    anchor was given: the result then says only that the pack is internally consistent.
    """
    result = check_entries(entries, tsa_anchors=tsa_anchors)
    anchored = bool(trusted_keys) or bool(fingerprint) or bool(key_id)
    if trusted_keys:
        claimed = (result.manifest or {}).get("signature", {}).get("key_id") if result.manifest else None
        wanted = result.key_id if result.key_id in trusted_keys else claimed
        if wanted in trusted_keys:
            result = check_entries(entries, public_key_pem=trusted_keys[str(wanted)], tsa_anchors=tsa_anchors)
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


def timestamp_summary(info: TimestampInfo, *, anchored: bool) -> str:
    """One line on a verified timestamp: genTime, the TSA, and what its chain was anchored on."""
    when = info.gen_time.isoformat().replace("+00:00", "Z")
    anchor = info.chain[-1].subject.rfc4514_string()
    trust = (
        f"chains to the trusted TSA certificate {anchor}"
        if anchored
        else f"chains to {anchor} from the pack's own {TSA_CHAIN} (TIMESTAMP NOT ANCHORED: pass --tsa-ca PEM, the "
        "TSA's CA certificate obtained from the TSA)"
    )
    return f"timestamp: genTime {when} by {info.tsa_name} (serial {info.serial_number}), TSA signature valid, {trust}"


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
    parser.add_argument(
        "--tsa-ca",
        type=Path,
        action="append",
        default=[],
        metavar="PEM",
        help="the timestamp authority's CA certificate (PEM, from the TSA), to anchor manifest.tsr; repeatable",
    )
    args = parser.parse_args(argv)
    try:
        trusted = trusted_keys_load(args.trusted_key)
    except ValueError as exc:
        print(f"FAILED --trusted-key {exc}")
        return EXIT_FAILED
    try:
        tsa_anchors = [cert for path in args.tsa_ca for cert in load_certificates(path.read_bytes())]
    except (OSError, ValueError) as exc:
        print(f"FAILED --tsa-ca not a readable PEM certificate file ({exc})")
        return EXIT_FAILED
    try:
        entries = read_directory(args.pack) if args.pack.is_dir() else read_zip(args.pack)
    except PackReadError as exc:
        print(f"FAILED {exc}")
        return EXIT_FAILED
    result, anchored = check_anchored(
        entries, trusted_keys=trusted, fingerprint=args.fingerprint, key_id=args.key_id, tsa_anchors=tsa_anchors
    )
    for error in result.errors:
        print(f"FAILED {error}")
    print(f"key id: {result.key_id}  (fingerprint, SHA-256 of the raw public key: {result.fingerprint})")
    if result.timestamp is not None:
        print(timestamp_summary(result.timestamp, anchored=result.timestamp_anchored))
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
