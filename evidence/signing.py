"""The evidence-pack signing key and the keyring of trusted public keys, from settings (never the database).

- ``EVIDENCE_SIGNING_KEY_FILE`` (a PKCS#8 PEM file, preferred) or ``EVIDENCE_SIGNING_KEY`` (the PEM inline), with
  ``EVIDENCE_SIGNING_KEY_PASSWORD`` when it is encrypted.
- ``EVIDENCE_TRUSTED_KEYS_DIR``: retired public keys (``<key id>.pem``), written by ``manage.py rotate_signing_key``,
  so packs signed before a rotation keep verifying.
- With ``DEBUG`` on and no key configured, a development key is generated once under ``DATA_DIR`` and a warning is
  logged: packs signed with it prove nothing to an outside auditor.
- ``EVIDENCE_TSA_URL``: optional RFC 3161 timestamp authority (:func:`timestamp_fetch`), whose tokens are verified
  against ``EVIDENCE_TSA_CA_CERT`` (:func:`tsa_trust_anchors`) before they go into a pack.
- ``EVIDENCE_KEYS_URL``: where VERIFY.txt sends auditors for the public keys (default ``SITE_URL`` +
  ``/evidence/keys/``, the page :func:`published_keys` feeds).
"""

from __future__ import annotations

import hashlib
import logging
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from evidence.pack import (
    EvidencePackError,
    SigningKey,
    VerifiedTimestamp,
    build_keyring,
    build_timestamp_request,
    generate_signing_key,
    verify_timestamp_response,
)
from evidence.pack.keys import KEY_ID_HEX_CHARS, load_public_key, public_key_id

logger = logging.getLogger(__name__)

DEV_KEY_NAME = "evidence-dev-signing-key.pem"
TSA_CONTENT_TYPE = "application/timestamp-query"
TSA_MAX_RESPONSE_BYTES = 1024 * 1024


def _password() -> bytes | None:
    password = getattr(settings, "EVIDENCE_SIGNING_KEY_PASSWORD", "")
    return password.encode("utf-8") if password else None


def dev_key_path() -> Path:
    return Path(settings.DATA_DIR) / DEV_KEY_NAME


def signing_key_path() -> Path | None:
    """The file the signing key lives in (configured, or the dev key in DEBUG), or None for an inline key."""
    configured = getattr(settings, "EVIDENCE_SIGNING_KEY_FILE", "")
    if configured:
        return Path(configured)
    if getattr(settings, "EVIDENCE_SIGNING_KEY", ""):
        return None
    if settings.DEBUG:
        return dev_key_path()
    raise ImproperlyConfigured(
        "EVIDENCE_SIGNING_KEY_FILE (or EVIDENCE_SIGNING_KEY) must be set to sign evidence packs when DEBUG is off; "
        "create a key with `manage.py rotate_signing_key --key-file PATH`"
    )


def signing_key_load() -> SigningKey:
    """The current signing key. Raises ``ImproperlyConfigured`` when none is configured (DEBUG off) or unreadable."""
    inline = getattr(settings, "EVIDENCE_SIGNING_KEY", "")
    path = signing_key_path()
    try:
        if path is None:
            return SigningKey.from_pem(inline.encode("utf-8"), password=_password())
        if path == dev_key_path() and not path.exists():
            write_private_key(path, generate_signing_key()[0])
            logger.warning(
                "evidence packs: no EVIDENCE_SIGNING_KEY_FILE configured; generated a development key at %s. "
                "Packs signed with it are for development only.",
                path,
            )
        return SigningKey.from_file(path, password=_password())
    except OSError as exc:
        raise ImproperlyConfigured(f"cannot read the evidence signing key {path}: {exc}") from exc
    except EvidencePackError as exc:
        raise ImproperlyConfigured(f"invalid evidence signing key: {exc}") from exc


def is_dev_key() -> bool:
    """True when packs are signed with the auto-generated development key."""
    try:
        return signing_key_path() == dev_key_path()
    except ImproperlyConfigured:
        return False


def trusted_keys_dir() -> Path:
    return Path(settings.EVIDENCE_TRUSTED_KEYS_DIR)


def retired_public_keys() -> list[bytes]:
    """Every retired public key PEM in ``EVIDENCE_TRUSTED_KEYS_DIR`` (sorted by file name)."""
    directory = trusted_keys_dir()
    if not directory.is_dir():
        return []
    return [path.read_bytes() for path in sorted(directory.glob("*.pem"))]


def trusted_keyring(*, include_current: bool = True) -> dict[str, bytes]:
    """``{key_id: public_pem}`` of the current key and every retired one: what :func:`verify_pack` trusts."""
    pems = retired_public_keys()
    if include_current:
        pems.append(signing_key_load().public_key_pem)
    try:
        return build_keyring(pems)
    except EvidencePackError as exc:
        raise ImproperlyConfigured(f"a file in {trusted_keys_dir()} is not an Ed25519 public key: {exc}") from exc


@dataclass(frozen=True)
class PublishedKey:
    """One evidence-signing public key as the key page shows it: current (signs new packs) or retired (verifies
    packs signed before a rotation)."""

    key_id: str
    fingerprint: str  # SHA-256 hex of the raw 32-byte public key; the key id is its first 16 characters
    public_key_pem: str
    status: str  # "current" or "retired"
    development: bool = False  # the auto-generated DEBUG key: proves nothing to an outside auditor


def _published(pem: bytes, *, status: str, development: bool = False) -> PublishedKey:
    raw = load_public_key(pem).public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    fingerprint = hashlib.sha256(raw).hexdigest()
    return PublishedKey(
        key_id=fingerprint[:KEY_ID_HEX_CHARS],
        fingerprint=fingerprint,
        public_key_pem=pem.decode("ascii"),
        status=status,
        development=development,
    )


def published_keys() -> list[PublishedKey]:
    """The public keys auditors anchor offline verification on: the current signing key first (when one is
    configured), then every retired key of ``EVIDENCE_TRUSTED_KEYS_DIR``. Public halves only."""
    keys: list[PublishedKey] = []
    try:
        current = signing_key_load()
    except ImproperlyConfigured:
        current = None
    if current is not None:
        keys.append(_published(current.public_key_pem, status="current", development=is_dev_key()))
    seen = {k.key_id for k in keys}
    for pem in retired_public_keys():
        try:
            key = _published(pem, status="retired")
        except EvidencePackError:
            logger.warning(
                "evidence keys: a file in %s is not an Ed25519 public key; not published", trusted_keys_dir()
            )
            continue
        if key.key_id not in seen:
            seen.add(key.key_id)
            keys.append(key)
    return keys


def key_page_url() -> str:
    """Where VERIFY.txt tells auditors to fetch the organisation's public keys."""
    configured = str(getattr(settings, "EVIDENCE_KEYS_URL", "") or "")
    return configured or f"{str(settings.SITE_URL).rstrip('/')}/evidence/keys/"


def write_private_key(path: Path, pem: bytes) -> None:
    """Write a private key readable by the owner only, replacing any file atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    os.replace(tmp, path)


@dataclass(frozen=True)
class Rotation:
    old_key_id: str | None
    new_key_id: str
    key_file: Path
    retired_public_key: Path | None


def signing_key_rotate(*, key_file: Path | None = None) -> Rotation:
    """Replace the signing key with a new one and keep the old public key in the trusted directory.

    The old *private* key is overwritten: only its public half is needed to verify old packs. The new key is
    encrypted with ``EVIDENCE_SIGNING_KEY_PASSWORD`` when one is set.
    """
    target = key_file or signing_key_path()
    if target is None:
        raise ImproperlyConfigured(
            "the signing key is given inline (EVIDENCE_SIGNING_KEY); pass --key-file PATH to write a new key and "
            "point EVIDENCE_SIGNING_KEY_FILE at it"
        )
    old: SigningKey | None = None
    if target.exists():
        old = SigningKey.from_file(target, password=_password())
    elif getattr(settings, "EVIDENCE_SIGNING_KEY", ""):
        old = SigningKey.from_pem(settings.EVIDENCE_SIGNING_KEY.encode("utf-8"), password=_password())
    retired: Path | None = None
    if old is not None:
        directory = trusted_keys_dir()
        directory.mkdir(parents=True, exist_ok=True)
        retired = directory / f"{old.key_id}.pem"
        retired.write_bytes(old.public_key_pem)
    pem, new_id = generate_signing_key(password=_password())
    write_private_key(target, pem)
    return Rotation(
        old_key_id=old.key_id if old else None, new_key_id=new_id, key_file=target, retired_public_key=retired
    )


def public_key_check(pem: bytes) -> str:
    """The key id of a public key PEM (raises EvidencePackError if it is not Ed25519)."""
    load_public_key(pem)
    return public_key_id(pem)


class TimestampUnavailable(Exception):
    """The configured timestamp authority could not be reached or did not answer (connection error, timeout, an
    HTTP error status, an oversized body): transient, the build task retries. An answer that arrives but does not
    verify is :class:`~evidence.pack.TimestampVerificationError` instead, and fails the pack."""


def tsa_configured() -> bool:
    return bool(getattr(settings, "EVIDENCE_TSA_URL", ""))


def tsa_trust_anchors() -> list[x509.Certificate]:
    """The certificates of ``EVIDENCE_TSA_CA_CERT`` (empty list when unset); ImproperlyConfigured if unreadable."""
    path = str(getattr(settings, "EVIDENCE_TSA_CA_CERT", "") or "")
    if not path:
        return []
    try:
        return x509.load_pem_x509_certificates(Path(path).read_bytes())
    except (OSError, ValueError) as exc:
        raise ImproperlyConfigured(
            f"EVIDENCE_TSA_CA_CERT {path} is not a readable PEM certificate file: {exc}"
        ) from exc


def timestamp_fetch(manifest: bytes, *, created_at: datetime | None = None) -> VerifiedTimestamp | None:
    """Get an RFC 3161 timestamp over SHA-256(``manifest``) from ``EVIDENCE_TSA_URL`` and verify it.

    Returns None when no TSA is configured. The request carries a random nonce and asks for the TSA certificate;
    the answer must pass every check of :func:`~evidence.pack.verify_timestamp_response` (granted, our nonce, the
    manifest's SHA-256, a sane genTime no earlier than ``created_at``, the TSA's signature, the timeStamping EKU, a
    chain to ``EVIDENCE_TSA_CA_CERT``), or :class:`~evidence.pack.TimestampVerificationError` names the failed
    check. Raises :class:`TimestampUnavailable` when the TSA cannot be reached or answers with an HTTP error, and
    ImproperlyConfigured when the URL is not http(s) or no TSA CA certificate is configured.
    """
    url = getattr(settings, "EVIDENCE_TSA_URL", "")
    if not url:
        return None
    if not url.lower().startswith(("http://", "https://")):
        raise ImproperlyConfigured("EVIDENCE_TSA_URL must be an http(s) URL")
    anchors = tsa_trust_anchors()
    if not anchors:
        raise ImproperlyConfigured(
            "EVIDENCE_TSA_CA_CERT must name the timestamp authority's CA certificate (PEM) when EVIDENCE_TSA_URL is "
            "set: an unverified token is never put in a pack"
        )
    timestamp_request = build_timestamp_request(manifest)
    request = urllib.request.Request(
        url, data=timestamp_request.der, headers={"Content-Type": TSA_CONTENT_TYPE}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.EVIDENCE_TSA_TIMEOUT) as response:
            body: bytes = response.read(TSA_MAX_RESPONSE_BYTES + 1)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise TimestampUnavailable(f"timestamp authority {url} failed: {exc}") from exc
    if len(body) > TSA_MAX_RESPONSE_BYTES:
        raise TimestampUnavailable(f"timestamp authority {url} sent more than {TSA_MAX_RESPONSE_BYTES} bytes")
    return verify_timestamp_response(
        body,
        manifest_bytes=manifest,
        nonce=timestamp_request.nonce,
        anchors=anchors,
        now=timezone.now(),
        not_before=created_at,
    )
