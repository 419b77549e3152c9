"""Choices for shadow-AI alerts (stored values are stable; labels are for people)."""

from __future__ import annotations

from django.db import models

from notifications.choices import SEVERITY_RANK, Severity

#: alerts use the notification severity scale (a channel's minimum severity compares with it)
AlertSeverity = Severity


class AlertRuleKind(models.TextChoices):
    UNSANCTIONED = "unsanctioned", "Use of an unsanctioned service"
    FIRST_USE_ORG = "first_use_org", "First use of a service by the organisation"
    FIRST_USE_USER = "first_use_user", "First use of a service by a user"
    UPLOAD_VOLUME = "upload_volume", "Upload volume per day above a threshold"
    LARGE_UPLOAD = "large_upload", "Single large upload"
    BASELINE_ZSCORE = "baseline_zscore", "Usage far above the user's own baseline"
    HIGH_RISK_SERVICE = "high_risk_service", "Use of a service with a high risk score"


class AlertStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"
    FALSE_POSITIVE = "false_positive", "False positive"


#: the declared triage transitions (django-oscar pipeline): anything else raises InvalidTransition
ALERT_TRANSITIONS: dict[str, frozenset[str]] = {
    AlertStatus.OPEN: frozenset({AlertStatus.ACKNOWLEDGED, AlertStatus.RESOLVED, AlertStatus.FALSE_POSITIVE}),
    AlertStatus.ACKNOWLEDGED: frozenset({AlertStatus.OPEN, AlertStatus.RESOLVED, AlertStatus.FALSE_POSITIVE}),
    AlertStatus.RESOLVED: frozenset({AlertStatus.OPEN}),
    AlertStatus.FALSE_POSITIVE: frozenset({AlertStatus.OPEN}),
}

#: statuses in which an alert is still notified (resolved / false-positive alerts only update their counts)
ACTIVE_STATUSES = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)

__all__ = [
    "ACTIVE_STATUSES",
    "ALERT_TRANSITIONS",
    "SEVERITY_RANK",
    "AlertRuleKind",
    "AlertSeverity",
    "AlertStatus",
]
