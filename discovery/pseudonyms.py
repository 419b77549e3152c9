"""Pseudonymisation of user names and device IPs: keyed HMAC-SHA256, with the identity kept only encrypted.

The HMAC key comes from ``DISCOVERY_PSEUDONYM_KEY`` (or its ``_FILE``); when empty it is derived from
``SECRET_KEY``. The pseudonym is stable for a key version, so usage of one person aggregates across files without
storing who it is. The identity itself is stored Fernet-encrypted under a key derived from the same secret, so only
``pseudonym_reidentify`` (permission-checked and audited) can reveal it, and rotating the key makes old rows
unreadable rather than silently wrong.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet
from django.conf import settings


def _secret() -> bytes:
    key: str = settings.DISCOVERY_PSEUDONYM_KEY or ""
    if key:
        return key.encode()
    return hmac.new(settings.SECRET_KEY.encode(), b"discovery-pseudonym-key", hashlib.sha256).digest()


def key_version() -> int:
    return int(settings.DISCOVERY_PSEUDONYM_KEY_VERSION)


@lru_cache(maxsize=8)
def _hmac_key(secret: bytes, version: int) -> bytes:
    return hmac.new(secret, f"pseudonym-v{version}".encode(), hashlib.sha256).digest()


@lru_cache(maxsize=8)
def _fernet(secret: bytes, version: int) -> Fernet:
    raw = hmac.new(secret, f"reidentify-v{version}".encode(), hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(raw))


def pseudonymise(identity: str) -> str:
    """64 hex chars of HMAC-SHA256 over ``identity`` (e.g. ``"user:jdoe"`` or ``"device:10.0.0.5"``)."""
    return hmac.new(_hmac_key(_secret(), key_version()), identity.encode(), hashlib.sha256).hexdigest()


def encrypt_identity(identity: str) -> bytes:
    return _fernet(_secret(), key_version()).encrypt(identity.encode())


#: identities whose pseudonym and token :func:`pseudonymise_with_token` remembers (a chunk sees each user again)
TOKEN_CACHE_MAX = 50_000
_TOKENS: dict[tuple[bytes, int, str], tuple[str, bytes]] = {}


def pseudonymise_with_token(identity: str) -> tuple[str, bytes]:
    """``(pseudonymise(identity), encrypt_identity(identity))``, remembered per secret, key version and identity.

    Ingestion needs both for every distinct user of every chunk; the Fernet encryption (random IV, HMAC) is most of
    that cost. Any token of an identity decrypts to it, so reusing one is safe; a new secret or key version is a new
    cache key, and the cache is emptied when it reaches :data:`TOKEN_CACHE_MAX` entries.
    """
    secret, version = _secret(), key_version()
    key = (secret, version, identity)
    found = _TOKENS.get(key)
    if found is None:
        if len(_TOKENS) >= TOKEN_CACHE_MAX:
            _TOKENS.clear()
        pseudonym = hmac.new(_hmac_key(secret, version), identity.encode(), hashlib.sha256).hexdigest()
        found = _TOKENS[key] = (pseudonym, _fernet(secret, version).encrypt(identity.encode()))
    return found


def decrypt_identity(token: bytes, *, version: int) -> str:
    return _fernet(_secret(), version).decrypt(bytes(token)).decode()


def seal_json(value: Any) -> str:
    """``value`` as JSON, Fernet-encrypted under the current re-identification key: ``"v<version>:<token>"``.

    For personal data that must be kept but shown only through an audited, permission-checked service (the raw
    malformed-line samples); the version names the key that opens it, so a rotated key leaves it unreadable.
    """
    version = key_version()
    token = _fernet(_secret(), version).encrypt(json.dumps(value, ensure_ascii=False).encode())
    return f"v{version}:{token.decode()}"


def unseal_json(sealed: str) -> Any:
    """The value :func:`seal_json` sealed; raises ``cryptography.fernet.InvalidToken`` when its key is gone."""
    version, _, token = sealed.partition(":")
    return json.loads(_fernet(_secret(), int(version.removeprefix("v"))).decrypt(token.encode()))
