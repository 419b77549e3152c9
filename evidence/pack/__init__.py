"""Pure-Python evidence-pack core: signed, reproducible ZIP packs (no Django imports).

The Django side (models, Celery task, downloads, report content) calls :func:`build_pack` with the pack's files
and metadata and a :class:`SigningKey` loaded from settings, and :func:`verify_pack` with the keyring.
"""

from __future__ import annotations

from evidence.pack.archive import RESERVED_NAMES, build_manifest, build_pack, verification_commands
from evidence.pack.errors import (
    EvidencePackError,
    InvalidMetadataError,
    InvalidSigningKeyError,
    InvalidTimestampTokenError,
    UnsafeFileNameError,
)
from evidence.pack.keys import SigningKey, build_keyring, generate_signing_key, public_key_id
from evidence.pack.timestamp import (
    TimestampRequest,
    TimestampVerificationError,
    VerifiedTimestamp,
    build_timestamp_request,
    verify_timestamp_response,
)
from evidence.pack.verify import VerificationReport, verify_pack

__all__ = [
    "RESERVED_NAMES",
    "EvidencePackError",
    "InvalidMetadataError",
    "InvalidSigningKeyError",
    "InvalidTimestampTokenError",
    "SigningKey",
    "TimestampRequest",
    "TimestampVerificationError",
    "UnsafeFileNameError",
    "VerificationReport",
    "VerifiedTimestamp",
    "build_keyring",
    "build_manifest",
    "build_pack",
    "build_timestamp_request",
    "generate_signing_key",
    "public_key_id",
    "verification_commands",
    "verify_pack",
    "verify_timestamp_response",
]
