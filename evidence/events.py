"""Audit-log event types the evidence packs write (registered in ``core.events`` by ``EvidenceConfig.ready()``)."""

from __future__ import annotations

from core.events import event_type_declare

_ART_12_18 = "EU AI Act Art. 12 and 18 (records kept and handed to authorities)"

PACK_REQUESTED = event_type_declare(
    "evidence.pack.requested", "A user asked for an evidence pack (subject and period).", evidences=_ART_12_18
)
PACK_BUILT = event_type_declare(
    "evidence.pack.built", "A pack was built and signed: SHA-256, size, signing key, storage key.", evidences=_ART_12_18
)
PACK_FAILED = event_type_declare("evidence.pack.failed", "A pack could not be built (the error kept).")
PACK_DOWNLOADED = event_type_declare(
    "evidence.pack.downloaded",
    "Someone downloaded a pack: who, which pack, its SHA-256, and whether by admin, API or command.",
    evidences=_ART_12_18,
)
