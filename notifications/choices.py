"""Choices of the notification outbox (stored values are stable; labels are for people)."""

from __future__ import annotations

from django.db import models


class Severity(models.TextChoices):
    """How urgent a message is. Every topic uses this scale; a channel's minimum severity filters on it."""

    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


#: severity order (the lowest first); a channel's minimum severity and "severity increased" compare by this
SEVERITY_RANK = {value: rank for rank, value in enumerate(Severity.values)}


class ChannelKind(models.TextChoices):
    EMAIL = "email", "E-mail"
    WEBHOOK = "webhook", "Webhook (signed JSON)"
    SLACK = "slack", "Slack incoming webhook"
    TEAMS = "teams", "Microsoft Teams (Workflows)"
    SYSLOG_CEF = "syslog_cef", "Syslog CEF (UDP/TCP)"
    SPLUNK_HEC = "splunk_hec", "Splunk HEC"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    DEAD = "dead", "Dead letter"
