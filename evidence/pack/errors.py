"""Exceptions raised by the evidence-pack core.

They subclass :class:`ValueError` because every one of them means "the input you gave me is not acceptable";
the Django side maps them onto its ``ApplicationError`` hierarchy.
"""

from __future__ import annotations


class EvidencePackError(ValueError):
    """Base class for every error raised while building an evidence pack."""


class UnsafeFileNameError(EvidencePackError):
    """A content file name could escape the unpack directory, collide with another entry, or is not portable."""


class InvalidMetadataError(EvidencePackError):
    """Pack metadata is missing a required key, uses a reserved key, or is not canonical-JSON serialisable."""


class InvalidSigningKeyError(EvidencePackError):
    """A key could not be loaded (bad PEM, wrong password) or is not an Ed25519 key."""


class InvalidTimestampTokenError(EvidencePackError):
    """An RFC 3161 timestamp response does not cover the manifest it is attached to."""
