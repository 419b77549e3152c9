"""Verify evidence packs server-side, against a keyring of trusted public keys.

The file checks themselves live in :mod:`evidence.pack.verify_standalone`, the script shipped in every pack, so
the service and auditors run the same code. This module adds the trust decision: which key ids the organisation
vouches for (the current key and every retired one, so packs signed before a rotation keep verifying).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from evidence.pack import verify_standalone as standalone
from evidence.pack.keys import check_keyring


@dataclass(frozen=True)
class VerificationReport:
    """Outcome of :func:`verify_pack`.

    ``errors`` are ``"<file>: <reason>"`` strings and ``failed_files`` the files they name, in order.
    ``key_trusted`` is ``None`` when no keyring was given (integrity checked against the key shipped in the
    pack only), otherwise whether the signing key id is in the keyring.
    """

    ok: bool
    errors: tuple[str, ...]
    failed_files: tuple[str, ...]
    key_id: str | None
    key_trusted: bool | None
    timestamp_status: str | None
    manifest: Mapping[str, Any] | None


def verify_pack(zip_bytes: bytes, *, trusted_keys: Mapping[str, bytes] | None = None) -> VerificationReport:
    """Verify a pack's signature, every file's hash and size, and that no file was added or removed.

    With ``trusted_keys`` (``{key_id: public_pem}``, see :func:`evidence.pack.keys.build_keyring`) the signature
    must also be valid under the keyring's copy of the signing key; a key id not in the keyring fails the pack
    as untrusted. A keyring entry filed under the wrong key id raises
    :class:`~evidence.pack.errors.InvalidSigningKeyError` (a configuration error, not a pack problem).
    """
    if trusted_keys is not None:
        check_keyring(trusted_keys)
    try:
        entries = standalone.read_zip(zip_bytes)
    except standalone.PackReadError as exc:
        return VerificationReport(False, (str(exc),), (), None, None if trusted_keys is None else False, None, None)
    result = standalone.check_entries(entries)
    key_trusted: bool | None = None
    if trusted_keys is not None:
        key_trusted = result.key_id in trusted_keys
        if result.key_id is not None and key_trusted:
            # Re-check with our own copy of the key, so the pack's public_key.pem is not what we rely on.
            result = standalone.check_entries(entries, public_key_pem=trusted_keys[result.key_id])
        else:
            result.fail(standalone.PUBLIC_KEY, f"key id {result.key_id} is not in the trusted keyring")
    return VerificationReport(
        ok=result.ok,
        errors=tuple(result.errors),
        failed_files=tuple(result.failed_files),
        key_id=result.key_id,
        key_trusted=key_trusted,
        timestamp_status=result.timestamp_status,
        manifest=result.manifest,
    )
