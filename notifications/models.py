"""The notification outbox: channels (where messages go) and deliveries (one message of one event on one channel).

Every outgoing message of the service goes through here — shadow-AI alerts, fairness-audit findings, obligation
reminders, evidence-pack-ready notices — with the same retries, dead letters and audit-log rows. The apps that
produce messages register their *topics* (:mod:`notifications.topics`) in their ``AppConfig.ready()``; this app
imports none of them.

The tables keep the names they had in the discovery app (``discovery_channel``, ``discovery_delivery``,
``discovery_historicalchannel``), so moving the models lost no row.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from core.models import BaseModel
from notifications.choices import ChannelKind, DeliveryStatus, Severity
from notifications.secrets import config_masked


def default_channel_topics() -> list[str]:
    """Topics of a channel that does not say: those registered as subscribed by default (shadow-AI alerts), so
    a SOC's SIEM channel receives anything else only when someone subscribes it."""
    from notifications.topics import default_topic_keys

    return default_topic_keys()


class Channel(BaseModel):
    """A delivery destination with its filters: the topics it subscribes to (see :mod:`notifications.topics`)
    and a minimum severity. Topic owners may filter further (the alert rules route to chosen channels)."""

    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=20, choices=ChannelKind.choices)
    config = models.JSONField(
        default=dict,
        help_text='email: {"to": [...]}; webhook: {"url", "secret"}; slack/teams: {"url"}; '
        'syslog_cef: {"host", "port", "protocol": "udp"|"tcp"}; splunk_hec: {"url", "token", "index"}',
    )
    enabled = models.BooleanField(default=True)
    min_severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.LOW)
    topics = models.JSONField(
        default=default_channel_topics,
        help_text="What the channel receives, a list of topics (shadow_ai_alert, audit_finding, obligation_reminder, "
        "evidence_pack_ready). Anything but shadow-AI alerts goes only to channels that list it.",
    )

    history = HistoricalRecords(table_name="discovery_historicalchannel")

    class Meta:
        db_table = "discovery_channel"
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    def clean(self) -> None:
        super().clean()
        from notifications.notifiers import NOTIFIERS
        from notifications.topics import topic_keys

        known = topic_keys()
        topics = self.topics
        if not isinstance(topics, list) or not topics:
            raise ValidationError({"topics": f"a non-empty list of: {', '.join(known)}"})
        unknown = sorted({str(t) for t in topics} - set(known))
        if unknown:
            raise ValidationError({"topics": f"unknown topic(s) {', '.join(unknown)}; allowed: {', '.join(known)}"})
        self.topics = [t for t in known if t in topics]  # stable order, no duplicates

        if self.kind in NOTIFIERS:
            problems = NOTIFIERS[self.kind].validate_config(self.config if isinstance(self.config, dict) else {})
            if problems:
                raise ValidationError({"config": "; ".join(problems)})


def channel_secret_tag_key() -> bytes:
    """The key of the HMAC tags that stand in for secrets in channel history rows (derived from SECRET_KEY; the
    derivation label keeps its old app name so tags written before the move still compare)."""
    return hashlib.sha256(b"discovery.channel.secret-tag:" + settings.SECRET_KEY.encode("utf-8")).digest()


def channel_history_mask_secrets(sender: Any, history_instance: Any, **kwargs: Any) -> None:
    """``pre_create_historical_record`` receiver (connected in ``NotificationsConfig.ready``): a channel's history
    row stores its config with every secret replaced by a keyed tag, so no history page, diff, API response or
    export can show an old or new secret; a rotation still shows as a changed tag.

    A receiver rather than a service step because django-simple-history writes the row inside ``save()``: every
    path that saves a channel (services, admin, shell) is covered, and the secret never reaches the table.
    """
    history_instance.config = config_masked(
        history_instance.kind, history_instance.config, tag_key=channel_secret_tag_key()
    )


class Delivery(models.Model):
    """Outbox row: one message of one event on one channel, or one direct e-mail (Healthchecks ``Flip``).

    ``topic`` says what kind of event (registered in :mod:`notifications.topics`), ``event_key`` which one
    (``alerts.alert.<id>.<n>``: the n-th notification of an alert; ``audits.run.<run>.<attempt>``;
    ``governance.obligation.<id>.<due>.<window>``; ``evidence.pack.<id>.built``), ``payload`` the message snapshot
    taken when it happened (:class:`notifications.notifiers.message.Message`; a topic may rebuild the message when
    sent, as alerts do to show the latest counts) and ``target`` the object it is about. ``channel`` is empty for
    a direct e-mail to ``recipients`` (an obligation's owner, the compliance officers of an audit). Unique per
    (channel, event) and per direct event, so re-running what created it never sends twice.

    Written in the event's transaction; a task claims it by a conditional UPDATE (``pending`` -> ``sending``),
    sends it, and either marks it ``sent``, schedules the next attempt (backoff with jitter, ``Retry-After``) or,
    after the last attempt or a permanent error, leaves it as a ``dead`` letter that the admin can re-send.
    """

    topic = models.CharField(max_length=40)
    event_key = models.CharField(max_length=100, help_text="Identity of the event, e.g. audits.run.12.1.")
    payload = models.JSONField(default=dict, blank=True, help_text="Message snapshot taken when the event happened.")
    target_content_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    target_object_id = models.CharField(max_length=64, blank=True)
    target = GenericForeignKey("target_content_type", "target_object_id")
    channel = models.ForeignKey(Channel, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries")
    recipients = models.JSONField(default=list, blank=True, help_text="Addresses of a direct e-mail (no channel).")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "discovery_delivery"
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "event_key"],
                condition=Q(channel__isnull=False),
                name="delivery_unique_channel_event",
                violation_error_message="This event was already delivered to this channel.",
            ),
            models.UniqueConstraint(
                fields=["event_key"],
                condition=Q(channel__isnull=True),
                name="delivery_unique_direct_event",
                violation_error_message="This event was already e-mailed directly.",
            ),
            models.CheckConstraint(condition=~Q(event_key=""), name="delivery_has_event_key"),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["target_content_type", "target_object_id"], name="delivery_target_idx"),
        ]

    def __str__(self) -> str:
        where = self.channel_id if self.channel_id is not None else "e-mail"
        return f"{self.event_key} -> {where} ({self.status})"

    @property
    def title(self) -> str:
        """One line for lists: the snapshot's title, else the event key."""
        return str((self.payload or {}).get("title") or self.event_key)
