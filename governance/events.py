"""Audit-log event types the AI registry writes (registered in ``core.events`` by ``GovernanceConfig.ready()``)."""

from __future__ import annotations

from core.events import event_type_declare

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
