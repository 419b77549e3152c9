"""Audit-log event types shadow-AI discovery writes (registered in ``core.events`` by
``DiscoveryConfig.ready()``)."""

from __future__ import annotations

from core.events import event_type_declare

_GDPR_5 = "GDPR Art. 5(1)(e) and 5(2) (storage limitation, accountability)"
_GDPR_32 = "GDPR Art. 32 (access to personal data is controlled and logged)"

# --- policy and registry ---
AI_SERVICE_POLICY_CHANGED = event_type_declare(
    "discovery.ai_service.policy_changed", "The usage policy of a catalogued AI service changed (before, after)."
)
POLICY_EXCEPTION_CREATED = event_type_declare(
    "discovery.policy_exception.created", "A policy exception was granted to a department or group."
)
POLICY_EXCEPTION_UPDATED = event_type_declare(
    "discovery.policy_exception.updated", "A policy exception was changed (the fields changed; values in its history)."
)
POLICY_EXCEPTION_DELETED = event_type_declare("discovery.policy_exception.deleted", "A policy exception was withdrawn.")
AI_SERVICE_CREATED = event_type_declare("discovery.ai_service.created", "An AI service was added to the catalog.")
AI_SERVICE_UPDATED = event_type_declare(
    "discovery.ai_service.updated", "A catalogued AI service was changed (the fields changed; values in its history)."
)
AI_SERVICE_DELETED = event_type_declare(
    "discovery.ai_service.deleted", "An AI service was removed from the catalog with its rules and exceptions."
)
AI_SERVICE_RULE_CREATED = event_type_declare(
    "discovery.ai_service_rule.created", "A detection rule (domain, prefix, ...) was added to an AI service."
)
AI_SERVICE_RULE_UPDATED = event_type_declare(
    "discovery.ai_service_rule.updated", "A detection rule of an AI service was changed (the fields changed)."
)
AI_SERVICE_RULE_DELETED = event_type_declare(
    "discovery.ai_service_rule.deleted", "A detection rule was removed from an AI service."
)
LOG_SOURCE_CREATED = event_type_declare("discovery.log_source.created", "A log source was registered.")
LOG_SOURCE_UPDATED = event_type_declare(
    "discovery.log_source.updated", "A log source's settings changed (the fields changed; values in its history)."
)
LOG_SOURCE_DELETED = event_type_declare("discovery.log_source.deleted", "A log source was deleted.")
AI_SERVICE_PROMOTED = event_type_declare(
    "discovery.ai_service.promoted",
    "A discovered AI service was promoted to an AI system in the registry.",
    evidences="EU AI Act Art. 26 (deployers know the AI systems they use)",
)

# --- ingestion ---
LOG_BATCH_UPLOADED = event_type_declare(
    "discovery.log_batch.uploaded", "A log file was uploaded or fetched for ingestion (SHA-256, size, source)."
)
LOG_BATCH_CONTENT_READ = event_type_declare(
    "discovery.log_batch.content_read",
    "A worker read a batch's content: SHA-256, size, format, and whether it duplicates another batch.",
)
LOG_BATCH_RETRIED = event_type_declare(
    "discovery.log_batch.retried", "A failed or stuck batch was queued again (previous status kept)."
)
LOG_BATCH_DUPLICATE_CONFIRMED = event_type_declare(
    "discovery.log_batch.duplicate_confirmed", "A user confirmed a batch held as a duplicate should be ingested."
)
LOG_BATCH_SAMPLES_REVEALED = event_type_declare(
    "discovery.log_batch.samples_revealed",
    "A user revealed raw sample lines of a batch (reason required).",
    evidences=_GDPR_32,
)
LOG_BATCH_DELETED = event_type_declare(
    "discovery.log_batch.deleted",
    "A batch was deleted with its chunks, usage rows and stored file (what went is counted).",
    evidences=_GDPR_5,
)
USAGE_RECORD_DELETED = event_type_declare(
    "discovery.usage_record.deleted",
    "Usage rows of a batch were deleted (rows and requests per service and day).",
    evidences=_GDPR_5,
)
PSEUDONYM_REIDENTIFIED = event_type_declare(
    "discovery.pseudonym.reidentified",
    "A user re-identified the person behind a pseudonym (reason required).",
    evidences=_GDPR_32,
)
PSEUDONYM_ROTATION_STARTED = event_type_declare(
    "discovery.pseudonym_rotation.started",
    "A re-pseudonymisation started: stored pseudonyms of older key versions are re-derived under the current one.",
    evidences=_GDPR_32,
)
PSEUDONYM_ROTATION_FINISHED = event_type_declare(
    "discovery.pseudonym_rotation.finished",
    "A re-pseudonymisation finished (rows converted per table, rows left without an identity to re-derive from).",
    evidences=_GDPR_32,
)
PSEUDONYM_ROTATION_FAILED = event_type_declare(
    "discovery.pseudonym_rotation.failed",
    "A re-pseudonymisation stopped on an error (e.g. a key version no longer in the key ring).",
    evidences=_GDPR_32,
)
RETENTION_PURGED = event_type_declare(
    "discovery.retention.purged", "The daily retention job purged raw ingestion detail (counts).", evidences=_GDPR_5
)
