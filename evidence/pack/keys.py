"""Ed25519 signing keys and key ids for evidence packs.

Key id
    The key id is the first 16 hex characters (64 bits) of the SHA-256 of the **raw 32-byte Ed25519 public key**
    (not of the PEM or of the DER SubjectPublicKeyInfo). It is written into every manifest and should be published
    by the organisation (settings page, website) so an auditor can check that a pack was signed by a key the
    organisation owns. With openssl/coreutils it is
    ``openssl pkey -pubin -in public_key.pem -outform DER | tail -c 32 | sha256sum | cut -c1-16``
    (an Ed25519 SubjectPublicKeyInfo is a fixed 12-byte header followed by the raw key).

Rotation
    Private keys are never stored in the database: the Django side loads the current one from a file or an
    environment variable. Retired public keys are kept in a *keyring* (``{key_id: public_pem}``) that is passed to
    :func:`evidence.pack.verify.verify_pack`, so packs signed before a rotation keep verifying.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from evidence.pack.errors import InvalidSigningKeyError

KEY_ID_HEX_CHARS = 16


def key_id_for_raw_public_key(raw_public_key: bytes) -> str:
    """Return the key id (first 16 hex chars of SHA-256) of a raw 32-byte Ed25519 public key."""
    return hashlib.sha256(raw_public_key).hexdigest()[:KEY_ID_HEX_CHARS]


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def load_public_key(public_pem: bytes) -> Ed25519PublicKey:
    """Load an Ed25519 public key from SubjectPublicKeyInfo PEM, raising :class:`InvalidSigningKeyError`."""
    try:
        key = serialization.load_pem_public_key(public_pem)
    except ValueError as exc:
        raise InvalidSigningKeyError(f"cannot load public key PEM: {exc}") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise InvalidSigningKeyError(f"expected an Ed25519 public key, got {type(key).__name__}")
    return key


def public_key_id(public_pem: bytes) -> str:
    """Return the key id of an Ed25519 public key given as PEM."""
    return key_id_for_raw_public_key(_raw(load_public_key(public_pem)))


def build_keyring(public_pems: list[bytes] | tuple[bytes, ...]) -> dict[str, bytes]:
    """Build a ``{key_id: public_pem}`` keyring from public keys (current and retired ones)."""
    return {public_key_id(pem): pem for pem in public_pems}


def check_keyring(keyring: Mapping[str, bytes]) -> None:
    """Raise :class:`InvalidSigningKeyError` if a keyring entry is filed under the wrong key id.

    A mis-filed entry is a configuration error, and silently trusting it would let one key vouch for another.
    """
    for key_id, pem in keyring.items():
        actual = public_key_id(pem)
        if actual != key_id:
            raise InvalidSigningKeyError(f"keyring entry {key_id!r} holds the public key of key id {actual!r}")


@dataclass(frozen=True, repr=False)
class SigningKey:
    """An Ed25519 private key used to sign evidence-pack manifests, with its derived key id.

    Build one with :meth:`from_pem` or :meth:`from_file`; :func:`generate_signing_key` makes a new PEM.
    """

    private_key: Ed25519PrivateKey

    def __post_init__(self) -> None:
        if not isinstance(self.private_key, Ed25519PrivateKey):
            raise InvalidSigningKeyError(f"expected an Ed25519 private key, got {type(self.private_key).__name__}")

    def __repr__(self) -> str:
        # Never let the private key near a log line or a traceback.
        return f"SigningKey(key_id={self.key_id!r})"

    @classmethod
    def from_pem(cls, pem: bytes, *, password: bytes | None = None) -> SigningKey:
        """Load a PKCS#8 PEM private key (optionally password-encrypted)."""
        try:
            key = serialization.load_pem_private_key(pem, password=password)
        except (ValueError, TypeError) as exc:
            # cryptography raises TypeError for "password given but key not encrypted" and the reverse.
            raise InvalidSigningKeyError(f"cannot load private key PEM: {exc}") from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise InvalidSigningKeyError(f"expected an Ed25519 private key, got {type(key).__name__}")
        return cls(key)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], *, password: bytes | None = None) -> SigningKey:
        """Load a PKCS#8 PEM private key from ``path``."""
        with open(path, "rb") as handle:
            return cls.from_pem(handle.read(), password=password)

    @property
    def raw_public_key(self) -> bytes:
        """The raw 32-byte public key."""
        return _raw(self.private_key.public_key())

    @property
    def key_id(self) -> str:
        """First 16 hex chars of the SHA-256 of :attr:`raw_public_key`."""
        return key_id_for_raw_public_key(self.raw_public_key)

    @property
    def fingerprint(self) -> str:
        """Full SHA-256 hex of :attr:`raw_public_key` (the key id is its prefix)."""
        return hashlib.sha256(self.raw_public_key).hexdigest()

    @property
    def public_key_pem(self) -> bytes:
        """The public key as SubjectPublicKeyInfo PEM, as shipped in ``public_key.pem``."""
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def sign(self, data: bytes) -> bytes:
        """Return the 64-byte Ed25519 signature of ``data`` (deterministic, RFC 8032)."""
        return self.private_key.sign(data)


def generate_signing_key(*, password: bytes | None = None) -> tuple[bytes, str]:
    """Generate a new Ed25519 key and return ``(pkcs8_pem, key_id)``.

    With ``password`` the PEM is encrypted with the best available scheme. Store the PEM outside the database.
    """
    key = Ed25519PrivateKey.generate()
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    )
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    return pem, SigningKey(key).key_id
