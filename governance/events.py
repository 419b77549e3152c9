"""Audit-log event types the AI registry writes (registered in ``core.events`` by ``GovernanceConfig.ready()``)."""

from __future__ import annotations

from core.events import event_type_declare

_ART_26 = "EU AI Act Art. 26 (deployers know the AI systems they use)"

AI_SYSTEM_TRANSITIONED = event_type_declare(
    "governance.ai_system.transitioned",
    "An AI system moved to another lifecycle stage (from, to, reason).",
    evidences="EU AI Act Art. 9 and 17 (risk and quality management through the life cycle)",
)
AI_SYSTEM_CLASSIFIED = event_type_declare(
    "governance.ai_system.classified",
    "An AI system was classified under the EU AI Act and a classification record stored (with the diff).",
    evidences="EU AI Act Art. 6 and Annex III (risk classification)",
)
OBLIGATION_REMINDER_SENT = event_type_declare(
    "governance.obligation.reminder_sent",
    "The owner of an obligation due soon was sent a reminder (due date, window).",
    evidences="EU AI Act Art. 17 (quality management: obligations followed up)",
)
AI_SYSTEM_REGISTERED = event_type_declare(
    "governance.ai_system.registered", "An AI system was added to the inventory.", evidences=_ART_26
)
AI_SYSTEM_UPDATED = event_type_declare(
    "governance.ai_system.updated", "Registry facts of an AI system changed (the fields; values in its history)."
)
AI_SYSTEM_DELETED = event_type_declare("governance.ai_system.deleted", "An AI system was removed from the inventory.")
MODEL_VERSION_CREATED = event_type_declare(
    "governance.model_version.created", "A released model version of an AI system was recorded."
)
MODEL_VERSION_UPDATED = event_type_declare(
    "governance.model_version.updated", "A model version's details changed (the fields; values in its history)."
)
MODEL_VERSION_DELETED = event_type_declare("governance.model_version.deleted", "A model version was removed.")
OBLIGATION_UPDATED = event_type_declare(
    "governance.obligation.updated",
    "A checklist obligation's status, owner, due date or reason changed (the fields; values in its history).",
)
OBLIGATION_EVIDENCE_ADDED = event_type_declare(
    "governance.obligation_evidence.added", "Evidence (URL or file) was attached to an obligation."
)
OBLIGATION_EVIDENCE_UPDATED = event_type_declare(
    "governance.obligation_evidence.updated", "Evidence of an obligation was changed (the fields changed)."
)
OBLIGATION_EVIDENCE_DELETED = event_type_declare(
    "governance.obligation_evidence.deleted", "Evidence was detached from an obligation."
)
