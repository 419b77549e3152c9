"""API token format: generation, hashing and recognition. Plain Python (no Django import).

A token reads ``aigov_<lookup>_<secret>``: the fixed ``aigov_`` marker (so secret scanners and log redaction can
recognise a leaked token, as GitHub's ``ghp_`` and Sentry's ``sntryu_`` do), eight characters of public lookup
prefix that the admin and the API show to tell a user's tokens apart, and 256 bits of secret. Only the SHA-256 of
the whole token is stored: a fast hash is enough for a 256-bit random secret (there is no dictionary to attack,
unlike a password), and it lets the token be found with one indexed equality lookup.

The 40-hex-character keys of DRF's former ``authtoken`` tokens (migrated by core migration 0007) carry no marker;
their stored prefix is their first eight characters and their hash is the SHA-256 of the key, likewise.
"""

from __future__ import annotations

import hashlib
import secrets
import string
from dataclasses import dataclass
from typing import Final

MARKER: Final = "aigov_"
#: characters of the public lookup part: 62**8 (about 2**47) values, so prefixes of one user's tokens hardly collide
LOOKUP_LENGTH: Final = 8
#: bytes of randomness in the secret part (256 bits, as url-safe base64: 43 characters)
SECRET_BYTES: Final = 32
_ALPHABET: Final = string.ascii_letters + string.digits
#: the display prefix of a token: the marker and the lookup part (``aigov_Ab12Cd34``)
PREFIX_LENGTH: Final = len(MARKER) + LOOKUP_LENGTH


@dataclass(frozen=True, slots=True)
class NewToken:
    """A freshly generated token: ``plaintext`` is shown to its owner once, only ``prefix`` and ``key_hash`` are
    stored."""

    plaintext: str
    prefix: str
    key_hash: str


def token_hash(plaintext: str) -> str:
    """The stored form of a token: hex SHA-256 of its UTF-8 text (64 characters)."""
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def token_generate() -> NewToken:
    """A new random token from the operating system's CSPRNG (:mod:`secrets`)."""
    lookup = "".join(secrets.choice(_ALPHABET) for _ in range(LOOKUP_LENGTH))
    plaintext = f"{MARKER}{lookup}_{secrets.token_urlsafe(SECRET_BYTES)}"
    return NewToken(plaintext=plaintext, prefix=plaintext[:PREFIX_LENGTH], key_hash=token_hash(plaintext))


def token_is_ours(plaintext: str) -> bool:
    """Whether ``plaintext`` has this service's token shape (marker, lookup part, separator). A ``Bearer`` value
    that is not is left to the other authentication classes (e.g. an OpenID Connect access token)."""
    return (
        plaintext.startswith(MARKER)
        and len(plaintext) > PREFIX_LENGTH + 1
        and plaintext[PREFIX_LENGTH] == "_"
        and all(c in _ALPHABET for c in plaintext[len(MARKER) : PREFIX_LENGTH])
    )
