"""Choices for shadow-AI alerts (stored values are stable; labels are for people)."""

from __future__ import annotations

from django.db import models


class AlertSeverity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


#: severity order (the lowest first); a channel's minimum severity and "severity increased" compare by this
SEVERITY_RANK = {value: rank for rank, value in enumerate(AlertSeverity.values)}


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


class ChannelKind(models.TextChoices):
    EMAIL = "email", "E-mail"
    WEBHOOK = "webhook", "Webhook (signed JSON)"
    SLACK = "slack", "Slack incoming webhook"
    TEAMS = "teams", "Microsoft Teams (Workflows)"
    SYSLOG_CEF = "syslog_cef", "Syslog CEF (UDP/TCP)"
    SPLUNK_HEC = "splunk_hec", "Splunk HEC"


class ChannelTopic(models.TextChoices):
    """What a channel subscribes to, and what a delivery carries. A channel receives only its topics."""

    SHADOW_AI_ALERT = "shadow_ai_alert", "Shadow-AI alerts"
    AUDIT_FINDING = "audit_finding", "Fairness-audit findings"


#: topics of a channel that does not say (existing channels, new channels without a choice): alerts only, so a SOC's
#: SIEM channel receives audit findings only when someone subscribes it
DEFAULT_CHANNEL_TOPICS = (ChannelTopic.SHADOW_AI_ALERT.value,)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    DEAD = "dead", "Dead letter"
