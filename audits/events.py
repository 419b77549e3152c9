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
