"""Audit-log event types the fairness audits write (registered in ``core.events`` by ``AuditsConfig.ready()``)."""

from __future__ import annotations

from core.events import event_type_declare

_ART_10 = "EU AI Act Art. 10(2)(f) (examination for possible biases)"

AUDIT_RUN_SCHEDULED = event_type_declare(
    "audits.audit_run.scheduled", "The schedule created a run of an audit definition for a slot.", evidences=_ART_10
)
AUDIT_RUN_REQUESTED = event_type_declare(
    "audits.audit_run.requested", "A user asked for a run of an audit definition now.", evidences=_ART_10
)
AUDIT_RUN_RETRIED = event_type_declare(
    "audits.audit_run.retried", "A failed run was queued again (the previous error kept).", evidences=_ART_10
)
AUDIT_RUN_SUCCEEDED = event_type_declare(
    "audits.audit_run.succeeded", "A run finished: verdict, input SHA-256 and row count.", evidences=_ART_10
)
AUDIT_RUN_FAILED = event_type_declare(
    "audits.audit_run.failed", "A run could not complete (the error kept).", evidences=_ART_10
)
FINDING_OPENED = event_type_declare(
    "audits.finding.opened",
    "A run opened a finding (a failed metric or an audit that could not run).",
    evidences=_ART_10,
)
AUDIT_DEFINITION_CREATED = event_type_declare(
    "audits.audit_definition.created", "A fairness audit was defined for an AI system.", evidences=_ART_10
)
AUDIT_DEFINITION_UPDATED = event_type_declare(
    "audits.audit_definition.updated",
    "An audit definition changed (the fields changed; values in its history).",
    evidences=_ART_10,
)
AUDIT_DEFINITION_DELETED = event_type_declare(
    "audits.audit_definition.deleted", "An audit definition without runs was deleted.", evidences=_ART_10
)
AUDIT_RUN_DELETED = event_type_declare(
    "audits.audit_run.deleted", "A run of an audit definition was deleted (its history is kept).", evidences=_ART_10
)
FINDING_RESOLVED = event_type_declare("audits.finding.resolved", "An open finding was resolved.", evidences=_ART_10)
FINDING_UPDATED = event_type_declare(
    "audits.finding.updated", "A finding changed (the fields changed; values in its history).", evidences=_ART_10
)
FINDING_DELETED = event_type_declare("audits.finding.deleted", "A finding was deleted.", evidences=_ART_10)
