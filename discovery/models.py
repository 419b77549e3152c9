"""Shadow-AI discovery models: log sources, the AI-service catalog with policies, ingestion batches and usage.

Catalog, policy and source rows keep a full history (django-simple-history). Batches, chunks and usage rows are
derived from uploaded files (append-only, rebuilt by re-ingesting), so they carry no history.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from core.models import BaseModel
from discovery.choices import (
    DEFAULT_POLICY,
    BatchStatus,
    ChunkStatus,
    DataRegion,
    PolicyStatus,
    RotationStatus,
    RuleType,
    ServiceCategory,
    SubjectKind,
    Training,
)


class LogSource(BaseModel):
    """A proxy, firewall or sensor whose logs are ingested (one format, one time zone, one identity mapping).

    ``identity_map`` maps a user name or a source IP to ``{"user": ..., "department": ..., "groups": [...]}``
    (any key optional); it is how device-only logs are attributed to people and people to departments.
    """

    name = models.CharField(max_length=120, unique=True)
    log_format = models.CharField(
        max_length=40, blank=True, help_text="Parser name, e.g. squid, zscaler, zeek; blank = detect."
    )
    format_options = models.JSONField(default=dict, blank=True, help_text="Parser options (e.g. a Squid logformat).")
    time_zone = models.CharField(max_length=64, default="UTC")
    description = models.TextField(blank=True)
    identity_map = models.JSONField(
        default=dict, blank=True, help_text='{"10.0.0.5": {"user": "jdoe", "department": "Finance"}, "jdoe": {...}}'
    )
    strip_domain = models.BooleanField(default=True, help_text=r"Strip DOMAIN\ prefixes and @realm suffixes.")
    lowercase_users = models.BooleanField(default=True)

    history = HistoricalRecords()

    #: the identity map is a directory of people: readable only by who may edit it (see core.field_access)
    read_restricted_fields: ClassVar[dict[str, str]] = {"identity_map": "discovery.change_logsource"}

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AIService(BaseModel):
    """A generative-AI service of the catalog, with its risk attributes, risk score and organisation policy.

    Seeded by a data migration from a frozen copy of ``discovery.catalog``; editable in the admin.
    """

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    vendor = models.CharField(max_length=200)
    category = models.CharField(max_length=20, choices=ServiceCategory.choices)
    notes = models.TextField(blank=True)
    trains_on_user_data = models.CharField(max_length=10, choices=Training.choices, default=Training.UNKNOWN)
    data_retention = models.CharField(max_length=300, blank=True)
    data_region = models.CharField(max_length=20, choices=DataRegion.choices, default=DataRegion.UNKNOWN)
    enterprise_tier_available = models.BooleanField(default=False)
    hq_country = models.CharField(max_length=2, blank=True)
    risk_score = models.PositiveSmallIntegerField(default=0, help_text="0 (low) .. 10 (high)")
    risk_factors = models.JSONField(default=list, blank=True, help_text='[{"code", "points", "reason"}, ...]')
    policy = models.CharField(max_length=20, choices=PolicyStatus.choices, default=DEFAULT_POLICY)
    policy_note = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = "AI service"
        constraints = [
            models.CheckConstraint(
                condition=Q(risk_score__lte=10), name="aiservice_risk_score_0_10", violation_error_message="0..10"
            )
        ]

    def __str__(self) -> str:
        return self.name


class AIServiceRule(BaseModel):
    """One way of recognising a service's traffic (exact host, dot-boundary suffix, anchored regex, URL prefix)."""

    service = models.ForeignKey(AIService, on_delete=models.CASCADE, related_name="rules")
    rule_type = models.CharField(max_length=10, choices=RuleType.choices)
    value = models.CharField(max_length=300)
    upload = models.BooleanField(default=False, help_text="Files or prompts are sent to this endpoint.")
    telemetry = models.BooleanField(default=False, help_text="Telemetry only: not counted as usage.")
    weak = models.BooleanField(default=False, help_text="Shared infrastructure: weak evidence.")
    source = models.CharField(max_length=60, default="curated")

    history = HistoricalRecords()

    class Meta:
        ordering = ["service", "rule_type", "value"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule_type", "value"],
                name="aiservicerule_unique_rule",
                violation_error_message="This rule already belongs to a service.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule_type}:{self.value}"


class PolicyException(BaseModel):
    """A department or group for which a service's policy differs from the organisation-wide one."""

    service = models.ForeignKey(AIService, on_delete=models.CASCADE, related_name="policy_exceptions")
    department = models.CharField(max_length=120, blank=True)
    group = models.CharField(max_length=120, blank=True, help_text="Directory group name.")
    policy = models.CharField(max_length=20, choices=PolicyStatus.choices)
    note = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["service", "department", "group"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(department="") & ~Q(group="")) | (~Q(department="") & Q(group="")),
                name="policyexception_department_xor_group",
                violation_error_message="Give a department or a group (exactly one).",
            ),
            models.UniqueConstraint(
                fields=["service", "department", "group"],
                name="policyexception_unique",
                violation_error_message="This exception exists already.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service}: {self.department or self.group} -> {self.policy}"


class LogBatch(BaseModel):
    """One uploaded log file or capture. ``(source, sha256)`` is unique: re-ingesting the same file is a no-op,
    unless the batch ended ``failed`` or ``partial``, when the re-upload retries its failed chunks.

    Deduplication also works on the *content* (the decompressed bytes; for a plain file the file itself):
    ``(source, content_sha256)`` is unique among counted batches, so a gzip of an ingested file is a duplicate; a
    file that begins with the content of an earlier batch of its source (``continues``: a grown or rotated log)
    counts only its tail after ``content_skipped`` bytes; the same content under another source waits for a user's
    confirmation (``awaiting_confirmation``, ``duplicate_of``). A compressed file's content is hashed by the worker
    (never in the web request), so its ``content_*`` fields stay empty until its chunk is first claimed.

    The counts are the sums over the chunks that committed ``done`` (each added once, when it commits)."""

    source = models.ForeignKey(LogSource, on_delete=models.PROTECT, related_name="batches")
    sha256 = models.CharField(max_length=64)
    file = models.FileField(upload_to="discovery/batches/", blank=True, max_length=300)
    original_name = models.CharField(max_length=255, blank=True)
    size_bytes = models.BigIntegerField(default=0)
    content_sha256 = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of the decompressed content; blank until the worker read it."
    )
    content_size = models.BigIntegerField(null=True, blank=True, help_text="Bytes of the decompressed content.")
    content_head_sha256 = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of the content's first 64 KiB: finds files that continue it."
    )
    content_skipped = models.BigIntegerField(
        default=0, help_text="Leading content bytes already counted by the batch this one continues: not counted."
    )
    continues = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="continued_by",
        help_text="The earlier batch of this source whose content this file begins with (only the tail counts).",
    )
    duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="duplicates",
        help_text="The batch with the same content (duplicate, or awaiting confirmation / confirmed, other source).",
    )
    duplicate_confirmed_at = models.DateTimeField(
        null=True, blank=True, help_text="When a user confirmed counting this other-source duplicate."
    )
    log_format = models.CharField(max_length=40, blank=True)
    is_capture = models.BooleanField(default=False)
    status = models.CharField(max_length=30, choices=BatchStatus.choices, default=BatchStatus.PROCESSING)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    chunks_total = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    chunks_failed = models.PositiveIntegerField(
        default=0, help_text="Chunks that ended failed: their lines are not counted (retry the batch)."
    )
    records_read = models.BigIntegerField(default=0)
    records_parsed = models.BigIntegerField(default=0)
    records_malformed = models.BigIntegerField(default=0)
    records_skipped = models.BigIntegerField(default=0)
    records_matched = models.BigIntegerField(default=0)
    records_unmatched = models.BigIntegerField(default=0)
    malformed_samples = models.JSONField(
        default=list, blank=True, help_text="The first chunks' samples, redacted of users and addresses."
    )
    first_seen = models.DateTimeField(null=True, blank=True)
    last_seen = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    purged_at = models.DateTimeField(null=True, blank=True, help_text="Raw detail removed by the retention job.")

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "log batches"
        constraints = [
            models.UniqueConstraint(
                fields=["source", "sha256"],
                name="logbatch_unique_file_per_source",
                violation_error_message="This file was already ingested for this source.",
            ),
            models.UniqueConstraint(
                fields=["source", "content_sha256"],
                condition=~Q(content_sha256="") & ~Q(status__in=["duplicate", "awaiting_confirmation"]),
                name="logbatch_unique_content_per_source",
                violation_error_message="This content was already ingested for this source.",
            ),
        ]
        indexes = [
            models.Index(fields=["content_sha256"], name="logbatch_content_sha256"),
            models.Index(fields=["source", "content_head_sha256"], name="logbatch_content_head"),
        ]

    def __str__(self) -> str:
        return f"{self.source} / {self.original_name or self.sha256[:12]}"

    @property
    def progress(self) -> str:
        return f"{self.chunks_done}/{self.chunks_total}"

    @property
    def duplicate_message(self) -> str:
        """ "already ingested as batch N of source X" (with what happens to this one), or blank."""
        other = self.duplicate_of
        if other is None:
            return ""
        said = f"already ingested as batch {other.pk} of source {other.source.name}"
        if self.status == BatchStatus.AWAITING_CONFIRMATION:
            return f"{said}: not counted unless confirmed"
        if self.duplicate_confirmed_at is not None:
            return f"{said}: counted again, as confirmed"
        return f"{said}: not counted"

    @property
    def continuation_message(self) -> str:
        """ "continues batch N: the first K bytes were counted there" (a grown or rotated file), or blank."""
        if self.continues_id is None:
            return ""
        return (
            f"continues batch {self.continues_id}: its first {self.content_skipped} content bytes were counted there; "
            "only the new tail is counted here"
        )


class LogChunk(models.Model):
    """A byte range of a batch's file (at line boundaries), processed by one task; its results commit atomically
    with ``status=done``, so a redelivered task finds it done and does nothing. Any error ends it ``failed`` with
    the error text; the reaper finds it by ``queued_at``/``claimed_at`` if its task was lost."""

    batch = models.ForeignKey(LogBatch, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    start_offset = models.BigIntegerField()
    end_offset = models.BigIntegerField()
    first_line = models.BigIntegerField(default=1)
    status = models.CharField(max_length=10, choices=ChunkStatus.choices, default=ChunkStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0, help_text="Times a worker (or the local run) claimed it.")
    queued_at = models.DateTimeField(null=True, blank=True, help_text="Last handed to the queue (pending).")
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="Last claimed by a worker (processing).")
    records_read = models.BigIntegerField(default=0)
    records_parsed = models.BigIntegerField(default=0)
    records_malformed = models.BigIntegerField(default=0)
    records_skipped = models.BigIntegerField(default=0)
    records_matched = models.BigIntegerField(default=0)
    records_unmatched = models.BigIntegerField(default=0)
    malformed_samples = models.JSONField(default=list, blank=True, help_text="Redacted of users and addresses.")
    malformed_samples_sealed = models.TextField(
        blank=True, help_text="The raw samples, encrypted; revealed only by the audited log_batch_samples_reveal."
    )
    first_seen = models.DateTimeField(null=True, blank=True)
    last_seen = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["batch", "index"]
        constraints = [models.UniqueConstraint(fields=["batch", "index"], name="logchunk_unique_index")]
        # the reaper's scan: unsettled chunks only (a small, partial index; settled chunks are the vast majority)
        indexes = [
            models.Index(
                fields=["status"],
                name="logchunk_unsettled",
                condition=Q(status__in=["pending", "processing"]),
            )
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}#{self.index}"


class Pseudonym(models.Model):
    """A keyed HMAC-SHA256 pseudonym and the identity it stands for, encrypted (Fernet, key derived from the
    pseudonym key). Only holders of ``reidentify_pseudonym`` can decrypt it, and every decryption is audited."""

    pseudonym = models.CharField(max_length=64, unique=True)
    key_version = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=10, choices=SubjectKind.choices)
    identity_encrypted = models.BinaryField()
    successor = models.CharField(
        max_length=64,
        blank=True,
        default="",
        db_default="",  # ingestion's raw INSERT-or-ignore names no successor (SQLite would skip a NULL row)
        help_text="The same identity's pseudonym under the current key, once ingestion met it after a key rotation "
        "and before the re-pseudonymisation converted this row: usage history and alerts match across the two.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pseudonym"]
        permissions = [("reidentify_pseudonym", "Can re-identify a pseudonymised user or device")]
        # only rows awaiting re-pseudonymisation have a successor: a small partial index
        indexes = [models.Index(fields=["successor"], name="pseudonym_successor", condition=~Q(successor=""))]

    def __str__(self) -> str:
        return self.pseudonym[:16]


class PseudonymRotation(BaseModel):
    """One re-pseudonymisation run: every stored pseudonym of another key version re-derived under ``to_version``
    (the Pseudonym row, usage rows and what other apps hold: alerts, silences), and the sealed malformed-line
    samples sealed again, so the old key can leave the ring. Work is claimed from the data itself (rows still of an
    old version), a batch per transaction, so a redelivered or restarted task resumes and never converts twice.
    At most one run is ``running`` at a time."""

    to_version = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, choices=RotationStatus.choices, default=RotationStatus.RUNNING)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    batches = models.PositiveIntegerField(default=0)
    pseudonyms_converted = models.BigIntegerField(default=0, help_text="Rows re-derived under the new version.")
    pseudonyms_merged = models.BigIntegerField(
        default=0, help_text="Old rows whose identity already had a row of the new version (folded into it)."
    )
    rows_converted = models.JSONField(default=dict, blank=True, help_text="Rows rewritten per table.")
    samples_resealed = models.BigIntegerField(default=0)
    rows_left = models.JSONField(
        default=dict,
        blank=True,
        help_text="Rows still of an old version at the end, per table: their pseudonym row is gone (purged), so "
        "there is no identity to re-derive from.",
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"],
                condition=Q(status="running"),
                name="pseudonymrotation_one_running",
                violation_error_message="A re-pseudonymisation is running already.",
            )
        ]

    def __str__(self) -> str:
        return f"re-pseudonymisation to v{self.to_version} ({self.status})"


class UsageRecord(models.Model):
    """Matched AI-service traffic of one chunk, aggregated per (pseudonymous user or device, service, day).

    Sum over chunks (selectors do) for per-day usage. Unmatched traffic is only counted on the chunk.
    """

    # no index of its own: the unique key (chunk, subject, service, day) leads with it (one index less per insert)
    chunk = models.ForeignKey(LogChunk, on_delete=models.CASCADE, related_name="usage", db_index=False)
    batch = models.ForeignKey(LogBatch, on_delete=models.CASCADE, related_name="usage")
    service = models.ForeignKey(AIService, on_delete=models.CASCADE, related_name="usage")
    subject = models.CharField(max_length=64, help_text="HMAC pseudonym of the user or device.")
    subject_kind = models.CharField(max_length=10, choices=SubjectKind.choices)
    key_version = models.PositiveSmallIntegerField()
    department = models.CharField(max_length=120, blank=True)
    day = models.DateField()
    requests = models.BigIntegerField(default=0)
    upload_requests = models.BigIntegerField(default=0, help_text="Hits on known upload endpoints.")
    dns_lookups = models.BigIntegerField(
        default=0,
        db_default=0,  # rows written by code that predates the field (older migrations' models) stay valid
        help_text="DNS questions for the service's names (captures only): lookups, not requests.",
    )
    bytes_up = models.BigIntegerField(default=0)
    bytes_down = models.BigIntegerField(default=0)
    max_request_bytes = models.BigIntegerField(
        null=True, blank=True, help_text="Largest single request (upload bytes); empty when the format cannot see it."
    )
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    policy_status = models.CharField(max_length=20, choices=PolicyStatus.choices)

    class Meta:
        ordering = ["-day", "service"]
        constraints = [
            models.UniqueConstraint(fields=["chunk", "subject", "service", "day"], name="usagerecord_unique_key")
        ]
        indexes = [models.Index(fields=["day", "service"]), models.Index(fields=["subject", "day"])]

    def __str__(self) -> str:
        return f"{self.subject[:12]} {self.service_id} {self.day}"


class ServicePromotion(BaseModel):
    """A discovered AI service promoted into the governance registry as a draft AI system.

    The registry's lifecycle decision flows back: the service's discovery policy follows the system's stage.
    """

    service = models.OneToOneField("discovery.AIService", on_delete=models.CASCADE, related_name="promotion")
    system = models.ForeignKey("governance.AISystem", on_delete=models.PROTECT, related_name="+")
    alert = models.ForeignKey(
        "alerts.Alert",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The alert it was promoted from, if any.",
    )
    promoted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    synced_stage = models.CharField(max_length=20, blank=True, help_text="Registry stage last applied to policy.")

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.service} -> {self.system}"
