"""Shadow-AI alert models: rules, deduplicated alerts with triage, silences, channels, the delivery outbox and
promotions into the governance registry. Imported by ``discovery.models``.

Alerts carry pseudonyms only (``subject``); the identity behind one is revealed only by the audited
``pseudonym_reidentify`` service.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from core.models import BaseModel
from discovery.alert_choices import (
    DEFAULT_CHANNEL_TOPICS,
    AlertRuleKind,
    AlertSeverity,
    AlertStatus,
    ChannelKind,
    ChannelTopic,
    DeliveryStatus,
)
from discovery.alerting.rules import RULE_KINDS, RuleKind
from discovery.channel_secrets import config_masked


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

    history = HistoricalRecords()

    class Meta:
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

    history = HistoricalRecords(excluded_fields=["count", "last_seen", "details", "notified_last_seen"])

    class Meta:
        ordering = ["-last_seen", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["fingerprint", "window_start"], name="alert_unique_fingerprint_window")
        ]
        indexes = [models.Index(fields=["status", "severity"]), models.Index(fields=["rule", "service"])]

    def __str__(self) -> str:
        return f"{self.rule.key} / {self.subject[:12] or 'org'} / {self.service_id} @ {self.window_start:%Y-%m-%d}"


class AlertComment(models.Model):
    """A triage note on an alert (append-only: who, when, what)."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.alert_id}: {self.body[:40]}"


class Silence(BaseModel):
    """Mute notifications for a rule, a pseudonymous user and/or a service until a date (Alertmanager silence).

    Empty parts match everything; at least one part is required. Silenced alerts are still recorded.
    """

    rule = models.ForeignKey(AlertRule, null=True, blank=True, on_delete=models.CASCADE, related_name="silences")
    subject = models.CharField(max_length=64, blank=True, help_text="Pseudonym to mute.")
    service = models.ForeignKey(
        "discovery.AIService", null=True, blank=True, on_delete=models.CASCADE, related_name="silences"
    )
    until = models.DateTimeField()
    reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
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


def default_channel_topics() -> list[str]:
    return list(DEFAULT_CHANNEL_TOPICS)


class Channel(BaseModel):
    """A delivery destination with its filters: the topics it subscribes to (shadow-AI alerts, fairness-audit
    findings), a minimum severity (for both) and optionally the alert rules it wants (alerts only)."""

    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=20, choices=ChannelKind.choices)
    config = models.JSONField(
        default=dict,
        help_text='email: {"to": [...]}; webhook: {"url", "secret"}; slack/teams: {"url"}; '
        'syslog_cef: {"host", "port", "protocol": "udp"|"tcp"}; splunk_hec: {"url", "token", "index"}',
    )
    enabled = models.BooleanField(default=True)
    min_severity = models.CharField(max_length=10, choices=AlertSeverity.choices, default=AlertSeverity.LOW)
    rules = models.ManyToManyField(
        AlertRule, blank=True, related_name="channels", help_text="Shadow-AI alerts only. Empty = every rule."
    )
    topics = models.JSONField(
        default=default_channel_topics,
        help_text=f"What the channel receives, a list of: {', '.join(ChannelTopic.values)}. "
        "Audit findings go only to channels that list them.",
    )

    history = HistoricalRecords(m2m_fields=[rules])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    def clean(self) -> None:
        super().clean()
        from discovery.notifiers import NOTIFIERS

        topics = self.topics
        if not isinstance(topics, list) or not topics:
            raise ValidationError({"topics": f"a non-empty list of: {', '.join(ChannelTopic.values)}"})
        unknown = sorted({str(t) for t in topics} - set(ChannelTopic.values))
        if unknown:
            raise ValidationError(
                {"topics": f"unknown topic(s) {', '.join(unknown)}; allowed: {', '.join(ChannelTopic.values)}"}
            )
        self.topics = [t for t in ChannelTopic.values if t in topics]  # stable order, no duplicates

        if self.kind in NOTIFIERS:
            problems = NOTIFIERS[self.kind].validate_config(self.config if isinstance(self.config, dict) else {})
            if problems:
                raise ValidationError({"config": "; ".join(problems)})


def channel_secret_tag_key() -> bytes:
    """The key of the HMAC tags that stand in for secrets in channel history rows (derived from SECRET_KEY)."""
    return hashlib.sha256(b"discovery.channel.secret-tag:" + settings.SECRET_KEY.encode("utf-8")).digest()


def channel_history_mask_secrets(sender: Any, history_instance: Any, **kwargs: Any) -> None:
    """``pre_create_historical_record`` receiver (connected in ``DiscoveryConfig.ready``): a channel's history
    row stores its config with every secret replaced by a keyed tag, so no history page, diff, API response or
    export can show an old or new secret; a rotation still shows as a changed tag.

    A receiver rather than a service step because django-simple-history writes the row inside ``save()``: every
    path that saves a channel (services, admin, shell) is covered, and the secret never reaches the table.
    """
    history_instance.config = config_masked(
        history_instance.kind, history_instance.config, tag_key=channel_secret_tag_key()
    )


class Delivery(models.Model):
    """Outbox row: one notification of one event on one channel (Healthchecks ``Flip``).

    The event is a shadow-AI alert (``topic=shadow_ai_alert``, ``alert`` set; the message is built from the alert
    when sent, so it shows the latest counts) or another app's event such as a fairness-audit finding
    (``alert`` empty; ``event_key`` names the event, ``payload`` is the message snapshot taken when the event
    happened, ``target`` links the object it is about). Unique per (alert, channel, notification) and per
    (channel, event_key), so re-running what created it never sends twice.

    Written in the event's transaction; a task claims it by a conditional UPDATE (``pending`` -> ``sending``),
    sends it, and either marks it ``sent``, schedules the next attempt (backoff with jitter, ``Retry-After``) or,
    after the last attempt or a permanent error, leaves it as a ``dead`` letter that the admin can re-send.
    """

    topic = models.CharField(max_length=20, choices=ChannelTopic.choices, default=ChannelTopic.SHADOW_AI_ALERT)
    alert = models.ForeignKey(Alert, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries")
    event_key = models.CharField(
        max_length=100, blank=True, help_text="Identity of a non-alert event, e.g. audits.run.12.1 (run 12, attempt 1)."
    )
    payload = models.JSONField(default=dict, blank=True, help_text="Message snapshot of a non-alert event.")
    target_content_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    target_object_id = models.CharField(max_length=64, blank=True)
    target = GenericForeignKey("target_content_type", "target_object_id")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="deliveries")
    notification = models.PositiveIntegerField(default=1, help_text="Which notification of the alert (1 = open).")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["alert", "channel", "notification"], name="delivery_unique_notification"),
            models.UniqueConstraint(
                fields=["channel", "event_key"],
                condition=Q(alert__isnull=True),
                name="delivery_unique_event",
                violation_error_message="This event was already delivered to this channel.",
            ),
            models.CheckConstraint(
                condition=Q(topic=ChannelTopic.SHADOW_AI_ALERT, alert__isnull=False, event_key="")
                | (Q(alert__isnull=True) & ~Q(topic=ChannelTopic.SHADOW_AI_ALERT) & ~Q(event_key="")),
                name="delivery_carries_one_event",
                violation_error_message="An alert delivery links its alert; any other delivery has an event key.",
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        if self.alert_id is None:
            return f"{self.event_key} -> {self.channel_id} ({self.status})"
        return f"alert {self.alert_id} -> {self.channel_id} #{self.notification} ({self.status})"

    @property
    def title(self) -> str:
        """One line for lists: the alert's summary or the event snapshot's title."""
        if self.alert is not None:
            return str(self.alert.summary)
        return str(self.payload.get("title") or self.event_key)


class ServicePromotion(BaseModel):
    """A discovered AI service promoted into the governance registry as a draft AI system.

    The registry's lifecycle decision flows back: the service's discovery policy follows the system's stage.
    """

    service = models.OneToOneField("discovery.AIService", on_delete=models.CASCADE, related_name="promotion")
    system = models.ForeignKey("governance.AISystem", on_delete=models.PROTECT, related_name="+")
    alert = models.ForeignKey(Alert, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    promoted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    synced_stage = models.CharField(max_length=20, blank=True, help_text="Registry stage last applied to policy.")

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.service} -> {self.system}"


def alert_admin_path(alert: Any) -> str:
    return f"/admin/discovery/alert/{alert.pk}/change/"
