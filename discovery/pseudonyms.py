"""Pseudonymisation of user names and device IPs: keyed HMAC-SHA256, with the identity kept only encrypted.

The keys form a **key ring**: every key version is its own secret (``DISCOVERY_PSEUDONYM_KEYS``, or the file
``DISCOVERY_PSEUDONYM_KEYS_FILE`` names, ``version:base64-secret`` entries separated by commas or new lines), and
``DISCOVERY_PSEUDONYM_KEY_VERSION`` selects the one new events are pseudonymised with. Older versions stay in the
ring so that rows written under them can still be re-identified and matched to the same person across a rotation
until :func:`discovery.services.pseudonym_rotation_start` has re-derived them under the current version.

The pseudonym is stable for a key version, so usage of one person aggregates across files without storing who it
is. The identity itself is stored Fernet-encrypted under a key derived from the version's secret, so only
``pseudonym_reidentify`` (permission-checked and audited) can reveal it; a version removed from the ring makes its
rows unreadable (:class:`PseudonymKeyMissing`) rather than silently wrong.

Without a ring (development only: the ``discovery.E001`` system check refuses it with DEBUG off) the secret is
derived from ``SECRET_KEY``, and the deprecated single ``DISCOVERY_PSEUDONYM_KEY`` is still read; either one serves
every version up to the current one, exactly as before the ring existed, so data written then stays readable.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from core.exceptions import ApplicationError

#: the shortest secret a ring entry may hold: 256 bits, the HMAC-SHA256 block's security level
MIN_SECRET_BYTES = 32
#: the largest key version (stored in PositiveSmallIntegerField columns)
MAX_KEY_VERSION = 32767
#: ``pseudonym_key_generate`` secrets: random bytes, base64url-encoded
GENERATED_SECRET_BYTES = 32

KEY_SOURCE_RING = "ring"
KEY_SOURCE_LEGACY = "legacy"
KEY_SOURCE_DERIVED = "derived"

_ENTRY_SEPARATORS = re.compile(r"[,\n]")


class PseudonymKeyMissing(ApplicationError):
    """A stored row names a key version that is no longer in the key ring."""

    code = "pseudonym_key_missing"
    http_status = 409


@dataclass(frozen=True, slots=True)
class KeyRing:
    """The configured pseudonym secrets by key version, and the version new pseudonyms use."""

    secrets: dict[int, bytes]
    current: int
    source: str  # KEY_SOURCE_RING | KEY_SOURCE_LEGACY | KEY_SOURCE_DERIVED

    @property
    def derived(self) -> bool:
        """The secret is derived from SECRET_KEY: rotating SECRET_KEY would change every pseudonym."""
        return self.source == KEY_SOURCE_DERIVED

    @property
    def versions(self) -> list[int]:
        return sorted(self.secrets)

    def secret(self, version: int) -> bytes:
        found = self.secrets.get(version)
        if found is None:
            raise PseudonymKeyMissing(
                f"pseudonym key version {version} is not in the key ring (DISCOVERY_PSEUDONYM_KEYS holds "
                f"{', '.join(map(str, self.versions)) or 'none'}): add its secret back to read rows written with it",
                extra={"key_version": version},
            )
        return found


def secret_decode(version: int, text: str) -> bytes:
    """The bytes of a ring entry's base64 (standard or URL-safe, padding optional) secret; at least
    :data:`MIN_SECRET_BYTES` of them, else :class:`ValueError` saying how to make a good one."""
    cleaned = text.strip().replace("-", "+").replace("_", "/")
    try:
        raw = base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"the secret of key version {version} is not base64 ({exc})") from exc
    if len(raw) < MIN_SECRET_BYTES:
        raise ValueError(
            f"the secret of key version {version} is {len(raw)} bytes; at least {MIN_SECRET_BYTES} random bytes "
            "are required (`python manage.py pseudonym_key_generate` prints a new one)"
        )
    return raw


def key_ring_parse(text: str) -> dict[int, bytes]:
    """``"1:<base64>,2:<base64>"`` (or one entry a line; blank lines and ``#`` comments ignored) -> {version:
    secret}. Raises :class:`ValueError` naming the bad entry: no ``:``, a version that is not a positive integer,
    a version given twice, a secret that is not base64 or shorter than :data:`MIN_SECRET_BYTES`."""
    ring: dict[int, bytes] = {}
    for raw_entry in _ENTRY_SEPARATORS.split(text):
        entry = raw_entry.split("#", 1)[0].strip()
        if not entry:
            continue
        version_text, sep, secret_text = entry.partition(":")
        if not sep or not secret_text.strip():
            raise ValueError(f"entry {version_text.strip()[:8]!r}... is not 'version:base64-secret'")
        try:
            version = int(version_text.strip())
        except ValueError:
            raise ValueError(f"key version {version_text.strip()[:8]!r} is not an integer") from None
        if not 1 <= version <= MAX_KEY_VERSION:
            raise ValueError(f"key version {version} is outside 1..{MAX_KEY_VERSION}")
        if version in ring:
            raise ValueError(f"key version {version} is given twice")
        ring[version] = secret_decode(version, secret_text)
    return ring


def secret_generate() -> str:
    """A new secret for a ring entry: :data:`GENERATED_SECRET_BYTES` random bytes, base64url without padding."""
    return base64.urlsafe_b64encode(secrets.token_bytes(GENERATED_SECRET_BYTES)).decode().rstrip("=")


def secret_encode(secret: bytes) -> str:
    return base64.urlsafe_b64encode(secret).decode().rstrip("=")


def derived_secret(secret_key: str) -> bytes:
    """The secret the pseudonyms used when no key is configured: derived from ``SECRET_KEY``."""
    return hmac.new(secret_key.encode(), b"discovery-pseudonym-key", hashlib.sha256).digest()


@lru_cache(maxsize=8)
def _ring_build(keys: str, legacy: str, version: int, secret_key: str) -> KeyRing:
    if keys.strip():
        if legacy:
            raise ImproperlyConfigured(
                "DISCOVERY_PSEUDONYM_KEY and DISCOVERY_PSEUDONYM_KEYS are both set: move the old key into the ring "
                "as '<version>:<base64 of it>' and unset DISCOVERY_PSEUDONYM_KEY"
            )
        try:
            ring = key_ring_parse(keys)
        except ValueError as exc:
            raise ImproperlyConfigured(f"DISCOVERY_PSEUDONYM_KEYS: {exc}") from exc
        if version not in ring:
            raise ImproperlyConfigured(
                f"DISCOVERY_PSEUDONYM_KEY_VERSION={version} is not in DISCOVERY_PSEUDONYM_KEYS (which holds "
                f"{', '.join(map(str, sorted(ring)))})"
            )
        return KeyRing(secrets=ring, current=version, source=KEY_SOURCE_RING)
    if version < 1 or version > MAX_KEY_VERSION:
        raise ImproperlyConfigured(f"DISCOVERY_PSEUDONYM_KEY_VERSION={version} is outside 1..{MAX_KEY_VERSION}")
    # before the ring, one secret served every version (bumping the version re-derived from it): keep reading so
    if legacy:
        if len(legacy.encode()) < MIN_SECRET_BYTES:
            raise ImproperlyConfigured(
                f"DISCOVERY_PSEUDONYM_KEY is {len(legacy.encode())} bytes; at least {MIN_SECRET_BYTES} are required "
                "(better: a key ring, DISCOVERY_PSEUDONYM_KEYS; `python manage.py pseudonym_key_generate`)"
            )
        return KeyRing({v: legacy.encode() for v in range(1, version + 1)}, version, KEY_SOURCE_LEGACY)
    derived = derived_secret(secret_key)
    return KeyRing(dict.fromkeys(range(1, version + 1), derived), version, KEY_SOURCE_DERIVED)


def key_ring() -> KeyRing:
    """The configured key ring (parsed once per configuration). Raises ``ImproperlyConfigured`` on a bad one; the
    ``discovery`` system checks report the same errors at start-up."""
    return _ring_build(
        str(getattr(settings, "DISCOVERY_PSEUDONYM_KEYS", "") or ""),
        str(settings.DISCOVERY_PSEUDONYM_KEY or ""),
        int(settings.DISCOVERY_PSEUDONYM_KEY_VERSION),
        str(settings.SECRET_KEY or ""),
    )


def key_version() -> int:
    """The key version new pseudonyms are derived with."""
    return key_ring().current


@lru_cache(maxsize=32)
def _hmac_key(secret: bytes, version: int) -> bytes:
    return hmac.new(secret, f"pseudonym-v{version}".encode(), hashlib.sha256).digest()


@lru_cache(maxsize=32)
def _fernet(secret: bytes, version: int) -> Fernet:
    raw = hmac.new(secret, f"reidentify-v{version}".encode(), hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(raw))


def pseudonymise(identity: str, *, version: int | None = None) -> str:
    """64 hex chars of HMAC-SHA256 over ``identity`` (e.g. ``"user:jdoe"`` or ``"device:10.0.0.5"``) under the
    key of ``version`` (default: the current one)."""
    ring = key_ring()
    version = ring.current if version is None else version
    return hmac.new(_hmac_key(ring.secret(version), version), identity.encode(), hashlib.sha256).hexdigest()


def encrypt_identity(identity: str, *, version: int | None = None) -> bytes:
    ring = key_ring()
    version = ring.current if version is None else version
    return _fernet(ring.secret(version), version).encrypt(identity.encode())


#: identities whose pseudonym and token :func:`pseudonymise_with_token` remembers (a chunk sees each user again)
TOKEN_CACHE_MAX = 50_000
_TOKENS: dict[tuple[bytes, int, str], tuple[str, bytes]] = {}


def pseudonymise_with_token(identity: str) -> tuple[str, bytes]:
    """``(pseudonymise(identity), encrypt_identity(identity))``, remembered per secret, key version and identity.

    Ingestion needs both for every distinct user of every chunk; the Fernet encryption (random IV, HMAC) is most of
    that cost. Any token of an identity decrypts to it, so reusing one is safe; a new secret or key version is a new
    cache key, and the cache is emptied when it reaches :data:`TOKEN_CACHE_MAX` entries.
    """
    ring = key_ring()
    version = ring.current
    secret = ring.secret(version)
    key = (secret, version, identity)
    found = _TOKENS.get(key)
    if found is None:
        if len(_TOKENS) >= TOKEN_CACHE_MAX:
            _TOKENS.clear()
        pseudonym = hmac.new(_hmac_key(secret, version), identity.encode(), hashlib.sha256).hexdigest()
        found = _TOKENS[key] = (pseudonym, _fernet(secret, version).encrypt(identity.encode()))
    return found


def previous_pseudonyms(identity: str) -> tuple[str, ...]:
    """The pseudonyms of ``identity`` under every other version of the ring: the names stored rows may still know it
    by during a rotation (until the re-pseudonymisation ran). Empty with a single version."""
    ring = key_ring()
    if len(ring.secrets) < 2:
        return ()
    return tuple(
        hmac.new(_hmac_key(secret, version), identity.encode(), hashlib.sha256).hexdigest()
        for version, secret in sorted(ring.secrets.items())
        if version != ring.current
    )


def decrypt_identity(token: bytes, *, version: int) -> str:
    """The identity in ``token``; :class:`PseudonymKeyMissing` when ``version`` left the ring."""
    return _fernet(key_ring().secret(version), version).decrypt(bytes(token)).decode()


def seal_json(value: Any) -> str:
    """``value`` as JSON, Fernet-encrypted under the current re-identification key: ``"v<version>:<token>"``.

    For personal data that must be kept but shown only through an audited, permission-checked service (the raw
    malformed-line samples); the version names the key that opens it, so a rotated key leaves it unreadable.
    """
    ring = key_ring()
    version = ring.current
    token = _fernet(ring.secret(version), version).encrypt(json.dumps(value, ensure_ascii=False).encode())
    return f"v{version}:{token.decode()}"


def sealed_version(sealed: str) -> int:
    """The key version a :func:`seal_json` value was sealed with."""
    return int(sealed.partition(":")[0].removeprefix("v"))


def unseal_json(sealed: str) -> Any:
    """The value :func:`seal_json` sealed; raises ``cryptography.fernet.InvalidToken`` when its key is wrong and
    :class:`PseudonymKeyMissing` when its version left the ring."""
    version, _, token = sealed.partition(":")
    number = int(version.removeprefix("v"))
    return json.loads(_fernet(key_ring().secret(number), number).decrypt(token.encode()))
