"""Shadow-AI alert models: detection rules (routed to notification channels), deduplicated alerts with triage and
comments, and silences.

The tables keep the names they had in the discovery app (``discovery_alertrule``, ``discovery_alert``, ...; their
history tables too), so moving the models lost no row.

Alerts carry pseudonyms only (``subject``); the identity behind one is revealed only by the audited
``pseudonym_reidentify`` service.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from alerts.choices import AlertRuleKind, AlertSeverity, AlertStatus
from alerts.rules.rules import RULE_KINDS, RuleKind
from core.models import BaseModel


class AlertRule(BaseModel):
    """One detection rule: a kind (see :class:`AlertRuleKind`), a severity and per-rule thresholds in ``params``.

    ``window_hours`` is the dedup window (repeats of one user/service inside it update one alert);
    ``repeat_interval_hours`` is how long a firing alert stays quiet before it is notified again.
    """

    key = models.SlugField(max_length=80, unique=True, help_text="Stable id sent to the SIEM (CEF cs1 / rule.id).")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=30, choices=AlertRuleKind.choices)
    description = models.TextField(blank=True)
    severity = models.CharField(max_length=10, choices=AlertSeverity.choices, default=AlertSeverity.MEDIUM)
    enabled = models.BooleanField(default=True)
    params = models.JSONField(
        default=dict,
        blank=True,
        help_text='Thresholds overriding the kind\'s defaults, e.g. {"user_bytes_per_day": 104857600}.',
    )
    window_hours = models.PositiveIntegerField(default=24, help_text="Dedup window in hours.")
    repeat_interval_hours = models.PositiveIntegerField(default=24, help_text="Re-notify a firing alert after.")
    channels = models.ManyToManyField(
        "notifications.Channel",
        blank=True,
        related_name="alert_rules",
        db_table="discovery_channel_rules",
        help_text="Channels this rule's alerts go to, besides the severity filter. Empty = every channel "
        "subscribed to shadow-AI alerts.",
    )

    history = HistoricalRecords(table_name="discovery_historicalalertrule", m2m_fields=[channels])

    class Meta:
        db_table = "discovery_alertrule"
        ordering = ["key"]
        constraints = [
            models.CheckConstraint(condition=Q(window_hours__gte=1), name="alertrule_window_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if not isinstance(self.params, dict):
            raise ValidationError({"params": "must be a JSON object"})
        if self.kind in AlertRuleKind.values:
            allowed = set(RULE_KINDS[RuleKind(self.kind)])
            unknown = sorted(set(self.params) - allowed)
            if unknown:
                raise ValidationError(
                    {"params": f"unknown parameter(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"}
                )


class Alert(BaseModel):
    """A deduplicated detection: one row per (fingerprint, window). Re-evaluating the same traffic updates it.

    ``fingerprint`` = sha256(rule | pseudonymous subject | service); the unique constraint on
    ``(fingerprint, window_start)`` makes creation idempotent under task retries and concurrent evaluations.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    rule = models.ForeignKey(AlertRule, on_delete=models.PROTECT, related_name="alerts")
    fingerprint = models.CharField(max_length=64)
    window_start = models.DateTimeField()
    subject = models.CharField(max_length=64, blank=True, help_text="Pseudonym; empty for organisation-wide.")
    subject_kind = models.CharField(max_length=10, blank=True)
    subject_key_version = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Pseudonym key version of the subject (empty: organisation-wide)."
    )
    service = models.ForeignKey("discovery.AIService", on_delete=models.PROTECT, related_name="alerts")
    severity = models.CharField(max_length=10, choices=AlertSeverity.choices)
    status = models.CharField(max_length=20, choices=AlertStatus.choices, default=AlertStatus.OPEN, db_index=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    summary = models.CharField(max_length=500)
    details = models.JSONField(default=dict, blank=True)
    count = models.BigIntegerField(default=0, help_text="Requests in the window.")
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField(db_index=True)
    silenced = models.BooleanField(default=False, help_text="A silence matched at the last evaluation.")
    notified_at = models.DateTimeField(null=True, blank=True)
    notified_severity = models.CharField(max_length=10, blank=True)
    notified_last_seen = models.DateTimeField(null=True, blank=True)
    notifications = models.PositiveIntegerField(default=0)
    resolved_at = models.DateTimeField(null=True, blank=True)

    deliveries = GenericRelation(
        "notifications.Delivery", content_type_field="target_content_type", object_id_field="target_object_id"
    )

    history = HistoricalRecords(
        table_name="discovery_historicalalert",
        excluded_fields=["count", "last_seen", "details", "notified_last_seen"],
    )

    class Meta:
        db_table = "discovery_alert"
        ordering = ["-last_seen", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["fingerprint", "window_start"], name="alert_unique_fingerprint_window")
        ]
        indexes = [models.Index(fields=["status", "severity"]), models.Index(fields=["rule", "service"])]

    def __str__(self) -> str:
        """What an analyst reads in a title or a list: the rule, the service by name, whose traffic (a pseudonym's
        start, or the whole organisation) and the window's day, e.g. ``Unsanctioned use: DeepSeek, user 776b7232788e,
        2026-11-03``."""
        who = f"{'device' if self.subject_kind == 'device' else 'user'} {self.subject[:12]}" if self.subject else None
        who = who or "whole organisation"
        return f"{self.rule.name}: {self.service.name}, {who}, {self.window_start:%Y-%m-%d}"


class AlertComment(models.Model):
    """A triage note on an alert (append-only: who, when, what)."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "discovery_alertcomment"
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.alert_id}: {self.body[:40]}"


class Silence(BaseModel):
    """Mute notifications for a rule, a pseudonymous user and/or a service until a date (Alertmanager silence).

    Empty parts match everything; at least one part is required. Silenced alerts are still recorded.
    """

    rule = models.ForeignKey(AlertRule, null=True, blank=True, on_delete=models.CASCADE, related_name="silences")
    subject = models.CharField(max_length=64, blank=True, help_text="Pseudonym to mute.")
    subject_key_version = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Pseudonym key version of the subject (empty: no subject or unknown)."
    )
    service = models.ForeignKey(
        "discovery.AIService", null=True, blank=True, on_delete=models.CASCADE, related_name="silences"
    )
    until = models.DateTimeField()
    reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    history = HistoricalRecords(table_name="discovery_historicalsilence")

    class Meta:
        db_table = "discovery_silence"
        ordering = ["-until"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rule__isnull=False) | ~Q(subject="") | Q(service__isnull=False),
                name="silence_matches_something",
                violation_error_message="Give a rule, a user pseudonym or a service.",
            )
        ]

    def __str__(self) -> str:
        parts = [str(p) for p in (self.rule, self.subject[:12], self.service) if p]
        return f"silence {' / '.join(parts)} until {self.until:%Y-%m-%d %H:%M}"


def alert_admin_path(alert: Any) -> str:
    return f"/admin/alerts/alert/{alert.pk}/change/"
