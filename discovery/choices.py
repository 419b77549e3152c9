"""Choices for shadow-AI discovery (stored values are stable; labels are for people)."""

from __future__ import annotations

from django.db import models


class PolicyStatus(models.TextChoices):
    """The organisation's stance on an AI service (Palo Alto AI Access / Netskope tags)."""

    SANCTIONED = "sanctioned", "Sanctioned"
    TOLERATED = "tolerated", "Tolerated"
    UNSANCTIONED = "unsanctioned", "Unsanctioned"


#: default policy of a catalogued service nobody has reviewed yet: deny-by-default (see docs/discovery.md)
DEFAULT_POLICY = PolicyStatus.UNSANCTIONED


class ServiceCategory(models.TextChoices):
    CHAT = "chat", "Chat"
    CODE = "code", "Code"
    IMAGE = "image", "Image"
    VIDEO = "video", "Video"
    AUDIO = "audio", "Audio"
    SEARCH = "search", "Search"
    WRITING = "writing", "Writing"
    API = "api", "Model API"
    AGENT = "agent", "Agent"
    PRODUCTIVITY = "productivity", "Productivity"
    MODEL_HUB = "model-hub", "Model hub"
    MEETING = "meeting", "Meeting"
    PRESENTATION = "presentation", "Presentation"
    COMPANION = "companion", "Companion"
    LOCAL = "local", "Local"
    THREE_D = "3d", "3D"
    VENDOR_SITE = "vendor-site", "Vendor site"


class RuleType(models.TextChoices):
    EXACT = "exact", "Exact host"
    SUFFIX = "suffix", "Dot-boundary suffix"
    REGEX = "regex", "Anchored regex"
    URL_PREFIX = "url", "URL prefix (host/path)"


class Training(models.TextChoices):
    YES = "yes", "Yes, no opt-out"
    OPT_OUT = "opt-out", "Yes, opt-out available"
    NO = "no", "No"
    UNKNOWN = "unknown", "Unknown"


class DataRegion(models.TextChoices):
    EU = "EU", "EU/EEA"
    EU_AVAILABLE = "EU-available", "EU residency available"
    US = "US", "United States"
    CN = "CN", "China"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Unknown"


class BatchStatus(models.TextChoices):
    """A batch is ``processing`` until every chunk has settled (done or failed), then ``done`` (all chunks done),
    ``failed`` (none done) or ``partial`` (some done: their counts and usage are kept, ``chunks_failed`` says how
    many are missing). A failed or partial batch can be retried.

    Two statuses are never counted: ``duplicate`` (its decompressed content is that of a batch of the same source,
    ``duplicate_of``) and ``awaiting_confirmation`` (that of a batch of another source: counted only once a user
    confirms it, ``log_batch_confirm``, when it goes ``processing``)."""

    PROCESSING = "processing", "Processing"
    DONE = "done", "Done"
    PARTIAL = "partial", "Partial (some chunks failed)"
    FAILED = "failed", "Failed"
    DUPLICATE = "duplicate", "Duplicate (same content as an earlier batch of this source; not counted)"
    AWAITING_CONFIRMATION = "awaiting_confirmation", "Awaiting confirmation (same content as another source's batch)"


#: batch statuses from which ``log_batch_retry`` (and a re-upload of the same file) starts the failed chunks again
RETRYABLE_BATCH_STATUSES = frozenset({BatchStatus.FAILED, BatchStatus.PARTIAL})
#: batch statuses whose content is not counted (nor a candidate that later files duplicate or continue)
UNCOUNTED_BATCH_STATUSES = frozenset({BatchStatus.DUPLICATE, BatchStatus.AWAITING_CONFIRMATION})


class ChunkStatus(models.TextChoices):
    """``pending`` (queued, ``queued_at``) -> ``processing`` (claimed by a worker, ``claimed_at``) -> ``done`` or
    ``failed`` (with ``error``). The reaper returns a chunk stuck in ``processing`` or ``pending`` to the queue
    while attempts remain, else fails it; a retry returns a failed chunk to ``pending``. ``held``: the chunk of a
    duplicate batch, never processed (unless the batch awaits confirmation and is confirmed: then ``pending``)."""

    PENDING = "pending", "Pending"
    PROCESSING = "processing", "Processing"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    HELD = "held", "Held (duplicate content: not processed)"


class SubjectKind(models.TextChoices):
    USER = "user", "User"
    DEVICE = "device", "Device (IP)"


class RotationStatus(models.TextChoices):
    """A re-pseudonymisation run: ``running`` (batches being converted) -> ``done``, or ``failed`` (with ``error``,
    e.g. a row's key version left the ring); starting again resumes where the data stands."""

    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
