"""Audit-log event types of shadow-AI alerting (registered in ``core.events`` by ``AlertsConfig.ready()``).

Named ``discovery.alert.*`` / ``discovery.silence.*`` while alerting lived in the discovery app; core migration
0005 renamed the rows written before (``core.events.RENAMED_2026_ALERTS_APP``)."""

from __future__ import annotations

from core.events import event_type_declare

ALERT_RAISED = event_type_declare("alerts.alert.raised", "An alert rule raised an alert.")
ALERT_TRANSITIONED = event_type_declare(
    "alerts.alert.transitioned", "An alert moved to another triage status (before, after)."
)
ALERT_ASSIGNED = event_type_declare("alerts.alert.assigned", "An alert was assigned to someone (before, after).")
ALERT_COMMENTED = event_type_declare("alerts.alert.commented", "Someone commented on an alert.")
SILENCE_CREATED = event_type_declare("alerts.silence.created", "Alerts matching a silence are muted until a time.")
SILENCE_UPDATED = event_type_declare(
    "alerts.silence.updated", "A silence changed, e.g. ended early (the fields changed; values in its history)."
)
SILENCE_DELETED = event_type_declare("alerts.silence.deleted", "A silence was deleted.")
ALERT_RULE_CREATED = event_type_declare("alerts.alert_rule.created", "A detection rule was added.")
ALERT_RULE_UPDATED = event_type_declare(
    "alerts.alert_rule.updated",
    "A detection rule changed: enabled, severity, thresholds or channels (the fields changed; values in its history).",
)
ALERT_RULE_DELETED = event_type_declare("alerts.alert_rule.deleted", "A detection rule that never fired was deleted.")
