"""Shared models: an abstract base with timestamps, the explicit audit log, and the worker heartbeat."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models


class BaseModel(models.Model):
    """Abstract base for domain models: creation and last-update timestamps."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class AuditLogEntry(models.Model):
    """Append-only record of a domain event that is not a plain row change (Zulip ``RealmAuditLog``).

    Row changes (create/update/delete with before/after) are recorded by django-simple-history on each domain model;
    this table holds events such as a lifecycle transition, a classification run or an evidence-pack download,
    written explicitly by the service in the same transaction as the change it describes. It is the evidence trail
    auditors rely on for EU AI Act Art. 12 (record-keeping) and Art. 17 (quality management) reviews.
    """

    event_type = models.CharField(max_length=64, db_index=True)
    event_time = models.DateTimeField(auto_now_add=True, db_index=True)
    acting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    #: the actor's username at the time of the event: who acted stays on record when the account is deleted
    acting_username = models.CharField(max_length=150, blank=True, db_index=True)
    target_content_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.SET_NULL)
    target_object_id = models.CharField(max_length=64, blank=True, db_index=True)
    target = GenericForeignKey("target_content_type", "target_object_id")
    target_repr = models.CharField(max_length=255, blank=True)
    reason = models.TextField(blank=True)
    extra_data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-event_time", "-id"]
        verbose_name = "audit log entry"
        verbose_name_plural = "audit log"
        indexes = [models.Index(fields=["target_content_type", "target_object_id", "-event_time"])]

    def __str__(self) -> str:
        return f"{self.event_time:%Y-%m-%d %H:%M} {self.event_type} {self.target_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Audit log entries are append-only")
        super().save(*args, **kwargs)

    @property
    def actor_name(self) -> str | None:
        """Who acted: the name recorded with the event (kept when the account is gone), else the account's."""
        if self.acting_username:
            return self.acting_username
        return self.acting_user.get_username() if self.acting_user is not None else None


class WorkerHeartbeat(models.Model):
    """Last time a Celery worker ran the beat-scheduled heartbeat task: proof that beat and a worker are alive."""

    name = models.CharField(max_length=64, unique=True)
    last_seen = models.DateTimeField()
    beats = models.PositiveBigIntegerField(default=0)
    hostname = models.CharField(max_length=255, blank=True)

    class Meta:
        verbose_name = "worker heartbeat"

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_seen:%Y-%m-%d %H:%M:%S}"


class ApiToken(models.Model):
    """A personal API token: its owner creates and revokes it (admin, API or ``manage.py create_api_token``).

    Only the SHA-256 of the token is stored (``key_hash``); the plaintext is shown once, when it is created
    (:mod:`core.tokens`). ``prefix`` is the non-secret start of the token, for telling tokens apart. Every token
    expires (``expires_at``, at most ``API_TOKEN_MAX_DAYS`` ahead); a revoked one stays for the record, with who
    revoked it and when. ``last_used_at`` is refreshed at most once a minute.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for (e.g. 'CI pipeline').")
    prefix = models.CharField(max_length=16, db_index=True, help_text="The token's non-secret first characters.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API token"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="core_apitoken_expires_after_creation",
                violation_error_message="A token must expire after it was created.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_expired(self, *, now: Any) -> bool:
        return self.expires_at <= now

    def is_active(self, *, now: Any) -> bool:
        """Usable now: neither revoked nor expired."""
        return not self.is_revoked and not self.is_expired(now=now)
