"""What the notification channels (and the direct e-mail to compliance officers) receive about a fairness-audit
finding: the system, the audit, the legal basis, the judged metric values and links. No personal data."""

from __future__ import annotations

from notifications.notifiers.base import AuditFindingPayload, MetricVerdictItem

#: the notification topic of audit findings (registered by ``AuditsConfig.ready``)
FINDING_TOPIC = "audit_finding"

__all__ = ["FINDING_TOPIC", "AuditFindingPayload", "MetricVerdictItem"]
