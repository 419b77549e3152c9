"""Verify evidence packs server-side, against a keyring of trusted public keys.

The file checks themselves live in :mod:`evidence.pack.verify_standalone`, the script shipped in every pack, so
the service and auditors run the same code. This module adds the trust decision: which key ids the organisation
vouches for (the current key and every retired one, so packs signed before a rotation keep verifying).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography import x509

from evidence.pack import verify_standalone as standalone
from evidence.pack.keys import check_keyring
from evidence.pack.timestamp import TimestampVerificationError, verify_timestamp_token_offline


@dataclass(frozen=True)
class VerificationReport:
    """Outcome of :func:`verify_pack`.

    ``errors`` are ``"<file>: <reason>"`` strings and ``failed_files`` the files they name, in order.
    ``key_trusted`` is ``None`` when no keyring was given (integrity checked against the key shipped in the
    pack only), otherwise whether the signing key id is in the keyring. For a timestamped pack whose token
    verified, ``timestamp_gen_time`` is the genTime the TSA signed, ``timestamp_tsa`` the TSA certificate's subject
    and ``timestamp_anchored`` whether its chain ended at one of the given ``tsa_anchors`` (rather than at the CA
    copy the pack carries).
    """

    ok: bool
    errors: tuple[str, ...]
    failed_files: tuple[str, ...]
    key_id: str | None
    key_trusted: bool | None
    timestamp_status: str | None
    manifest: Mapping[str, Any] | None
    timestamp_gen_time: datetime | None = None
    timestamp_tsa: str | None = None
    timestamp_anchored: bool = False


def verify_pack(
    zip_bytes: bytes,
    *,
    trusted_keys: Mapping[str, bytes] | None = None,
    tsa_anchors: list[x509.Certificate] | None = None,
) -> VerificationReport:
    """Verify a pack's signature, every file's hash and size, and that no file was added or removed.

    With ``trusted_keys`` (``{key_id: public_pem}``, see :func:`evidence.pack.keys.build_keyring`) the signature
    must also be valid under the keyring's copy of the signing key; a key id not in the keyring fails the pack
    as untrusted. A ``manifest.tsr`` is verified offline (no nonce: that was checked when it was fetched) by the
    pure verifier shipped as ``verify.py`` and by ``rfc3161-client``, against ``tsa_anchors`` (the TSA CA
    certificates to trust) or, without them, the CA copy in the pack's ``tsa_chain.pem``. A keyring entry filed
    under the wrong key id raises
    :class:`~evidence.pack.errors.InvalidSigningKeyError` (a configuration error, not a pack problem).
    """
    if trusted_keys is not None:
        check_keyring(trusted_keys)
    try:
        entries = standalone.read_zip(zip_bytes)
    except standalone.PackReadError as exc:
        return VerificationReport(False, (str(exc),), (), None, None if trusted_keys is None else False, None, None)
    result = standalone.check_entries(entries, tsa_anchors=tsa_anchors)
    key_trusted: bool | None = None
    if trusted_keys is not None:
        key_trusted = result.key_id in trusted_keys
        if result.key_id is not None and key_trusted:
            # Re-check with our own copy of the key, so the pack's public_key.pem is not what we rely on.
            result = standalone.check_entries(
                entries, public_key_pem=trusted_keys[result.key_id], tsa_anchors=tsa_anchors
            )
        else:
            result.fail(standalone.PUBLIC_KEY, f"key id {result.key_id} is not in the trusted keyring")
    if result.timestamp is not None:
        chain = list(result.timestamp.chain)
        try:  # the second opinion: rfc3161-client (OpenSSL's PKCS#7 verification) on the chain found
            verify_timestamp_token_offline(
                entries[standalone.TIMESTAMP_TOKEN], entries[standalone.MANIFEST], anchors=chain[-1:], untrusted=chain
            )
        except TimestampVerificationError as exc:
            result.fail(standalone.TIMESTAMP_TOKEN, str(exc))
    info = result.timestamp
    return VerificationReport(
        ok=result.ok,
        errors=tuple(result.errors),
        failed_files=tuple(result.failed_files),
        key_id=result.key_id,
        key_trusted=key_trusted,
        timestamp_status=result.timestamp_status,
        manifest=result.manifest,
        timestamp_gen_time=info.gen_time if info is not None else None,
        timestamp_tsa=info.tsa_name if info is not None else None,
        timestamp_anchored=result.timestamp_anchored,
    )
