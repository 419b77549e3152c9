"""Writes for shadow-AI discovery. Each service runs in one transaction and records actor and reason."""

from __future__ import annotations

import csv
import functools
import itertools
import logging
import os
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import IO, Any
from zoneinfo import ZoneInfo

from celery.exceptions import SoftTimeLimitExceeded
from cryptography.fernet import InvalidToken
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, Max, Min, OuterRef, Q, Sum
from django.utils import timezone

from core.db import bulk
from core.exceptions import ApplicationError, Conflict, InvalidTransition, ValidationFailed
from core.services import (
    audit_log_record,
    model_create,
    model_create_audited,
    model_delete_audited,
    model_update,
    model_update_audited,
)
from discovery import events, ingest, signals
from discovery.choices import (
    RETRYABLE_BATCH_STATUSES,
    UNCOUNTED_BATCH_STATUSES,
    BatchStatus,
    ChunkStatus,
    PolicyStatus,
    RotationStatus,
)
from discovery.constants import (
    ALIAS_QUERY_SUBJECTS,
    ERROR_MAX_CHARS,
    LOCAL_RETRY_MAX_SECONDS,
    LOCAL_RETRY_SECONDS,
    MAX_PREFIX_CANDIDATES,
    REAP_BATCH,
    ROTATION_BATCH,
    ROTATION_SAMPLES_BATCH,
    STALE_CHUNK_MARGIN_SECONDS,
    TRANSIENT_ERRORS,
)
from discovery.models import (
    AIService,
    AIServiceRule,
    LogBatch,
    LogChunk,
    LogSource,
    PolicyException,
    Pseudonym,
    PseudonymRotation,
    ServicePromotion,
    UsageRecord,
)
from discovery.parsers import ArchiveError, StreamLimits, UnknownFormat, get_parser
from discovery.parsers.content import ContentRefused
from discovery.parsers.pcap import CaptureError, sniff_capture
from discovery.parsers.streams import ArchiveLimitExceeded
from discovery.pseudonyms import (
    PseudonymKeyMissing,
    decrypt_identity,
    encrypt_identity,
    key_ring,
    key_version,
    pseudonymise,
    seal_json,
    sealed_version,
    unseal_json,
)

logger = logging.getLogger(__name__)

#: chunk states not yet settled: a worker (or the local run) may still claim them
UNSETTLED_CHUNK_STATUSES = (ChunkStatus.PENDING, ChunkStatus.PROCESSING)
#: rows/batches handled per retention-purge run before the task re-enqueues itself
PURGE_BATCH = 5000
MAX_BATCH_SAMPLES = 20
#: chunks the synchronous path parses at once on helper threads while the main thread commits (one: a column scan
#: already keeps two cores busy with its read-ahead threads, and a second chunk in flight only adds memory)
PARSE_THREADS = 1


@transaction.atomic
def log_source_create(*, actor: Any, reason: str = "", data: dict[str, Any]) -> LogSource:
    """Register a proxy/firewall/sensor whose logs will be ingested; audited."""
    return model_create_audited(
        LogSource, event_type=events.LOG_SOURCE_CREATED, actor=actor, reason=reason or "created", data=data
    )


@transaction.atomic
def log_source_update(*, source: LogSource, actor: Any, reason: str = "", data: dict[str, Any]) -> LogSource:
    """Change a log source's settings; the history keeps before/after, the audit log the fields changed."""
    return model_update_audited(
        source, event_type=events.LOG_SOURCE_UPDATED, actor=actor, reason=reason or "updated", data=data
    )


@transaction.atomic
def log_source_delete(*, source: LogSource, actor: Any, reason: str = "") -> None:
    """Delete a log source; its history is kept; audited."""
    model_delete_audited(source, event_type=events.LOG_SOURCE_DELETED, actor=actor, reason=reason or "deleted")


# --- catalog policy ----------------------------------------------------------------------------------------------


@transaction.atomic
def ai_service_policy_update(
    *, service: AIService, policy: str, actor: Any, reason: str = "", note: str = ""
) -> AIService:
    """Set the organisation-wide policy of an AI service; history and audit log record who and why."""
    if policy not in PolicyStatus.values:
        raise ValidationFailed(f"unknown policy {policy!r}")
    before = service.policy
    model_update(service, actor=actor, reason=reason or "policy changed", data={"policy": policy, "policy_note": note})
    audit_log_record(
        event_type=events.AI_SERVICE_POLICY_CHANGED,
        actor=actor,
        target=service,
        reason=reason,
        extra_data={"before": before, "after": policy},
    )
    return service


@transaction.atomic
def policy_exception_create(*, actor: Any, reason: str = "", data: dict[str, Any]) -> PolicyException:
    """Give a department or a group its own policy for one service."""
    exception = model_create(PolicyException, actor=actor, reason=reason or "exception created", data=data)
    audit_log_record(
        event_type=events.POLICY_EXCEPTION_CREATED,
        actor=actor,
        target=exception,
        reason=reason,
        extra_data={"department": exception.department, "group": exception.group, "policy": exception.policy},
    )
    return exception


@transaction.atomic
def policy_exception_update(
    *, exception: PolicyException, actor: Any, reason: str = "", data: dict[str, Any]
) -> PolicyException:
    """Change a policy exception (department, group, policy, note); history and audit log record who and why."""
    return model_update_audited(
        exception,
        event_type=events.POLICY_EXCEPTION_UPDATED,
        actor=actor,
        reason=reason or "exception updated",
        data=data,
    )


@transaction.atomic
def policy_exception_delete(*, exception: PolicyException, actor: Any, reason: str = "") -> None:
    """Withdraw a policy exception; its history is kept; audited."""
    model_delete_audited(
        exception, event_type=events.POLICY_EXCEPTION_DELETED, actor=actor, reason=reason or "exception deleted"
    )


# --- catalog -------------------------------------------------------------------------------------------------------


@transaction.atomic
def ai_service_create(*, actor: Any, reason: str = "", data: dict[str, Any]) -> AIService:
    """Add an AI service to the catalog by hand; audited."""
    return model_create_audited(
        AIService, event_type=events.AI_SERVICE_CREATED, actor=actor, reason=reason or "created", data=data
    )


@transaction.atomic
def ai_service_update(*, service: AIService, actor: Any, reason: str = "", data: dict[str, Any]) -> AIService:
    """Change a catalogued AI service. A change of its policy is also recorded as the event
    :func:`ai_service_policy_update` writes (before, after), so policy changes read the same however they are made."""
    if "policy" in data and data["policy"] not in PolicyStatus.values:
        raise ValidationFailed(f"unknown policy {data['policy']!r}")
    before = service.policy
    model_update_audited(
        service, event_type=events.AI_SERVICE_UPDATED, actor=actor, reason=reason or "updated", data=data
    )
    if service.policy != before:
        audit_log_record(
            event_type=events.AI_SERVICE_POLICY_CHANGED,
            actor=actor,
            target=service,
            reason=reason,
            extra_data={"before": before, "after": service.policy},
        )
    return service


@transaction.atomic
def ai_service_delete(*, service: AIService, actor: Any, reason: str = "") -> None:
    """Remove an AI service from the catalog (its rules and policy exceptions go with it, each with a history
    record); audited."""
    for rule in service.rules.all():
        ai_service_rule_delete(rule=rule, actor=actor, reason=reason)
    for exception in service.policy_exceptions.all():
        policy_exception_delete(exception=exception, actor=actor, reason=reason)
    model_delete_audited(service, event_type=events.AI_SERVICE_DELETED, actor=actor, reason=reason or "deleted")


@transaction.atomic
def ai_service_rule_create(*, actor: Any, reason: str = "", data: dict[str, Any]) -> AIServiceRule:
    """Add a detection rule to an AI service; audited."""
    return model_create_audited(
        AIServiceRule, event_type=events.AI_SERVICE_RULE_CREATED, actor=actor, reason=reason or "rule added", data=data
    )


@transaction.atomic
def ai_service_rule_update(*, rule: AIServiceRule, actor: Any, reason: str = "", data: dict[str, Any]) -> AIServiceRule:
    """Change a detection rule; history keeps before/after, the audit log the fields changed."""
    return model_update_audited(
        rule, event_type=events.AI_SERVICE_RULE_UPDATED, actor=actor, reason=reason or "rule updated", data=data
    )


@transaction.atomic
def ai_service_rule_delete(*, rule: AIServiceRule, actor: Any, reason: str = "") -> None:
    """Remove a detection rule from an AI service; its history is kept; audited."""
    model_delete_audited(rule, event_type=events.AI_SERVICE_RULE_DELETED, actor=actor, reason=reason or "rule deleted")


# --- ingestion ---------------------------------------------------------------------------------------------------


#: what reading an uploaded file's first lines may raise on bytes that are no log (parser bugs aside)
_UNREADABLE = (ArchiveError, ValueError, csv.Error, EOFError, OSError, zlib.error)


@dataclass(slots=True)
class IngestOutcome:
    """What an upload did: a new batch, a duplicate of an existing one (no-op), or a duplicate of a failed or
    partial batch whose failed chunks it started again (``retried``). A new batch may also be ``awaiting
    confirmation`` (its content is another source's batch) or count only the tail of a grown file."""

    batch: LogBatch
    duplicate: bool
    retried: bool = False

    @property
    def awaiting_confirmation(self) -> bool:
        return self.batch.status == BatchStatus.AWAITING_CONFIRMATION

    @property
    def message(self) -> str:
        """What became of the upload, in words (the API's ``message``, the admin's and the CLI's)."""
        batch = self.batch
        if self.retried:
            return f"had failed as batch {batch.pk}: its failed chunks are being retried in that batch"
        if self.duplicate:
            return f"was already ingested as batch {batch.pk} of source {batch.source.name}"
        if batch.duplicate_of_id is not None:
            return f"was stored as batch {batch.pk}, {batch.duplicate_message}"
        if batch.continues_id is not None:
            return f"is being ingested as batch {batch.pk}, which {batch.continuation_message}"
        return f"is being ingested as batch {batch.pk}"


def _size_of(fileobj: IO[bytes]) -> int | None:
    size = getattr(fileobj, "size", None)
    if size is None:
        try:
            size = os.fstat(fileobj.fileno()).st_size
        except (AttributeError, OSError, ValueError):
            return None
    return int(size)


def stream_limits() -> StreamLimits:
    """The decompression limits of the worker (``DISCOVERY_MAX_UNCOMPRESSED_BYTES``): archive-bomb protection."""
    return StreamLimits(max_uncompressed_bytes=settings.DISCOVERY_MAX_UNCOMPRESSED_BYTES)


def _counted_batches() -> Any:
    """Batches whose content is counted (or will be, or was meant to be): what a new file may duplicate or continue."""
    return LogBatch.objects.exclude(status__in=UNCOUNTED_BATCH_STATUSES).exclude(content_sha256="")


@dataclass(frozen=True, slots=True)
class _Candidate:
    """An earlier batch of the source whose content may be the beginning of a new file."""

    pk: int
    content_size: int
    content_sha256: str


def _prefix_candidates(
    *, source: LogSource, head: bytes, size: int | None, exclude_pk: int | None = None
) -> list[_Candidate]:
    """Counted batches of ``source`` whose whole content may begin the new file, whose content starts with ``head``
    (its first :data:`~discovery.ingest.HEAD_BYTES`): larger batches by their head digest (the largest
    :data:`~discovery.constants.MAX_PREFIX_CANDIDATES`), smaller ones by their content digest, checked here against
    the prefixes of ``head``. The content pass then checks each candidate's full digest at its size."""
    counted = _counted_batches().filter(source=source, content_size__gt=0).exclude(content_head_sha256="")
    if exclude_pk is not None:
        counted = counted.exclude(pk=exclude_pk)
    if size is not None:
        counted = counted.filter(content_size__lt=size)
    fields = ("pk", "content_size", "content_sha256")
    found: list[tuple[int, int, str]] = []
    if len(head) >= ingest.HEAD_BYTES:
        big = counted.filter(content_size__gte=ingest.HEAD_BYTES, content_head_sha256=ingest.head_sha256(head))
        found += big.order_by("-content_size").values_list(*fields)[:MAX_PREFIX_CANDIDATES]
    small = counted.filter(content_size__lt=ingest.HEAD_BYTES, content_size__lte=len(head))
    sizes = sorted(set(small.order_by().values_list("content_size", flat=True)))
    if sizes:
        hasher = ingest.PrefixHasher(sizes)
        hasher.update(head)
        prefixes = hasher.finish()
        digests = [prefixes[n].sha256 for n in sizes if n in prefixes]
        for part in itertools.batched(digests, 500):
            found += small.filter(content_sha256__in=part).order_by("-content_size").values_list(*fields)
    return [_Candidate(*row) for row in found]


def _longest_prefix(
    candidates: list[_Candidate], prefixes: dict[int, ingest.Prefix], size: int
) -> tuple[_Candidate, ingest.Prefix] | None:
    """The largest candidate whose content is exactly the new content's beginning, with what follows it."""
    for candidate in sorted(candidates, key=lambda c: -c.content_size):
        prefix = prefixes.get(candidate.content_size)
        if candidate.content_size < size and prefix is not None and prefix.sha256 == candidate.content_sha256:
            return candidate, prefix
    return None


def log_batch_ingest(
    *,
    source: LogSource,
    fileobj: IO[bytes],
    name: str,
    actor: Any = None,
    log_format: str = "",
    synchronous: bool = False,
    progress: ingest.ProgressCallback | None = None,
) -> IngestOutcome:
    """Accept one log file or capture for ``source``: hash it, return the existing batch if this file was already
    ingested (``duplicate``; if that batch ended failed or partial, its failed chunks are retried: ``retried``),
    else store it, cut it into chunks and process them (here, or on the ingest queue).

    Content-level idempotency (see :class:`~discovery.models.LogBatch`): a plain file's content is the file, so it is
    checked here, from the one hashing pass: the same content in this source is a duplicate (no new batch); a file
    that begins with a batch of this source counts only its tail; the same content as another source's batch is
    stored ``awaiting_confirmation`` (chunks held). A compressed file is never decompressed here (archive bombs):
    only its raw digest is checked, and the worker reads its content before anything is counted
    (:func:`_log_chunk_prepare`).
    """
    size = _size_of(fileobj)
    if size is not None and size > settings.DISCOVERY_UPLOAD_MAX_BYTES:
        message = f"file is {size} bytes; the limit is {settings.DISCOVERY_UPLOAD_MAX_BYTES}"
        raise ValidationFailed(message, extra={"file": [message]})
    fileobj.seek(0)
    head = fileobj.read(ingest.HEAD_BYTES)
    fileobj.seek(0)
    compressed = ingest.is_compressed(head)
    candidates = [] if ingest.is_single_stream(head) else _prefix_candidates(source=source, head=head, size=size)
    plan = ingest.plan_file(
        fileobj, chunk_bytes=settings.DISCOVERY_CHUNK_BYTES, checkpoints=[c.content_size for c in candidates]
    )
    if plan.size > settings.DISCOVERY_UPLOAD_MAX_BYTES:
        message = f"file is {plan.size} bytes; the limit is {settings.DISCOVERY_UPLOAD_MAX_BYTES}"
        raise ValidationFailed(message, extra={"file": [message]})
    existing = LogBatch.objects.filter(source=source, sha256=plan.sha256).first()
    if existing is None and not compressed:  # a plain file or capture: its content is the file
        existing = _counted_batches().filter(source=source, content_sha256=plan.sha256).order_by("pk").first()
    if existing is not None:
        if existing.status not in RETRYABLE_BATCH_STATUSES:
            return IngestOutcome(existing, True)
        # the same file after a failure: start its failed chunks again rather than answer with a silent no-op
        retried = log_batch_retry(
            batch=existing, actor=actor, reason="uploaded again", synchronous=synchronous, progress=progress
        )
        return IngestOutcome(retried, True, retried=True)
    fmt = log_format or source.log_format
    try:
        if not fmt and not compressed:  # a compressed file's format is detected by the worker, after decompressing
            fmt = ingest.detect_file_format(fileobj, plan.head)
        elif fmt and fmt != ingest.CAPTURE_FORMAT:
            get_parser(fmt)
    except UnknownFormat as exc:
        raise ValidationFailed(str(exc), extra={"log_format": [str(exc)]}) from exc
    except _UNREADABLE as exc:
        # Random bytes, a broken archive, a stray \r in a CSV header: the file cannot be read, which is the
        # uploader's 400 (a field error on ``file``), never a 500.
        message = f"the file could not be read as a log or capture: {exc}"
        raise ValidationFailed(message, extra={"file": [message]}) from exc
    if not compressed and fmt != ingest.CAPTURE_FORMAT:  # a compressed file's content is checked by the worker
        fmt = _content_checked(source=source, fileobj=fileobj, head=plan.head, fmt=fmt, limits=None)
    # the same content (plain) or the same file (compressed, not yet read) as another source's batch: held
    digest_field = "sha256" if compressed else "content_sha256"
    other = _counted_batches().filter(**{digest_field: plan.sha256}).exclude(source=source).order_by("pk").first()
    layout = _BatchLayout(chunks=plan.chunks, duplicate_of=other)
    if other is None and not compressed:
        match = _longest_prefix(candidates, plan.prefixes, plan.size)
        if match is not None:
            candidate, prefix = match
            if prefix.tail_start >= plan.size:  # only the end of a line that batch had cut: nothing new
                return IngestOutcome(LogBatch.objects.get(pk=candidate.pk), True)
            layout.chunks = ingest.tail_chunks(plan.chunks, start=prefix.tail_start, first_line=prefix.lines_before + 1)
            layout.skipped, layout.continues_id = prefix.tail_start, candidate.pk
    try:
        batch = _log_batch_create(
            source=source,
            fileobj=fileobj,
            name=name,
            actor=actor,
            fmt=fmt,
            plan=plan,
            layout=layout,
            content=not compressed,
            enqueue=not synchronous,
        )
    except IntegrityError:  # the same file (or content) raced in through another upload
        raced = LogBatch.objects.filter(source=source, sha256=plan.sha256).first()
        if raced is None:
            raced = _counted_batches().filter(source=source, content_sha256=plan.sha256).get()
        return IngestOutcome(raced, True)
    if synchronous and batch.status == BatchStatus.PROCESSING:
        _log_chunks_process_here(list(batch.chunks.order_by("index").values_list("id", flat=True)), progress)
        batch.refresh_from_db()
    return IngestOutcome(batch, False)


@dataclass(slots=True)
class _BatchLayout:
    """What the dedup checks decided for a new batch: its chunks (all, or the tail's), and what it repeats."""

    chunks: list[tuple[int, int, int]]
    duplicate_of: LogBatch | None = None
    skipped: int = 0
    continues_id: int | None = None


@transaction.atomic
def _log_batch_create(
    *,
    source: LogSource,
    fileobj: IO[bytes],
    name: str,
    actor: Any,
    fmt: str,
    plan: ingest.FilePlan,
    layout: _BatchLayout,
    content: bool,
    enqueue: bool,
) -> LogBatch:
    held = layout.duplicate_of is not None
    batch = LogBatch(
        source=source,
        sha256=plan.sha256,
        original_name=os.path.basename(name)[:255],
        size_bytes=plan.size,
        log_format=fmt,
        is_capture=fmt == ingest.CAPTURE_FORMAT,
        uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
        chunks_total=len(layout.chunks),
        status=BatchStatus.AWAITING_CONFIRMATION if held else BatchStatus.PROCESSING,
        duplicate_of=layout.duplicate_of,
        continues_id=layout.continues_id,
        content_skipped=layout.skipped,
    )
    if content or batch.is_capture:  # known from the hashing pass (a capture's content is its file)
        batch.content_sha256, batch.content_size = plan.sha256, plan.size
        batch.content_head_sha256 = ingest.head_sha256(plan.head)
    fileobj.seek(0)
    batch.file.save(f"{plan.sha256[:16]}-{batch.original_name or 'upload'}", File(fileobj), save=False)
    batch.save()
    queued_at = None if held else timezone.now()
    chunk_status = ChunkStatus.HELD if held else ChunkStatus.PENDING
    LogChunk.objects.bulk_create(
        LogChunk(
            batch=batch,
            index=i,
            start_offset=start,
            end_offset=end,
            first_line=line,
            queued_at=queued_at,
            status=chunk_status,
        )
        for i, (start, end, line) in enumerate(layout.chunks)
    )
    audit_log_record(
        event_type=events.LOG_BATCH_UPLOADED,
        actor=actor,
        target=batch,
        extra_data={
            "sha256": plan.sha256,
            "size": plan.size,
            "format": fmt,
            "chunks": len(layout.chunks),
            "content_sha256": batch.content_sha256,
            "duplicate_of": batch.duplicate_of_id,
            "continues": batch.continues_id,
            "content_skipped": batch.content_skipped,
        },
    )
    if enqueue and not held:
        _log_chunks_enqueue(list(batch.chunks.values_list("id", flat=True)))
    return batch


def _content_checked(
    *, source: LogSource, fileobj: IO[bytes], head: bytes, fmt: str, limits: StreamLimits | None
) -> str:
    """The format ``fmt`` content is read with, once its first bytes have been looked at: a capture given to a text
    format is read as a capture (what it is); binary content (a PDF, an image, another archive) or content whose
    first ``DISCOVERY_MALFORMED_PROBE_LINES`` lines are mostly malformed (``DISCOVERY_MALFORMED_MAX_SHARE``) is
    refused with a ``ValidationFailed`` that says what the file looks like, before anything is stored or counted."""
    if sniff_capture(head):
        return ingest.CAPTURE_FORMAT
    parser = get_parser(fmt, options=source.format_options, tz=ZoneInfo(source.time_zone or "UTC"))
    try:
        ingest.check_content(
            fileobj,
            head,
            fmt,
            parser=parser,
            limits=limits,
            probe_limit=settings.DISCOVERY_MALFORMED_PROBE_LINES,
            max_share=settings.DISCOVERY_MALFORMED_MAX_SHARE,
        )
    except ContentRefused as exc:
        raise ValidationFailed(str(exc), extra={"file": [str(exc)]}) from exc
    return fmt


def _log_chunks_enqueue(chunk_ids: list[int]) -> None:
    """Hand the chunks to the ingest queue once the current transaction commits."""
    from discovery.tasks import ingest_log_chunk_task  # tasks import services: avoid the cycle

    if chunk_ids:
        transaction.on_commit(lambda: [ingest_log_chunk_task.delay(chunk_id) for chunk_id in chunk_ids])


def error_text(exc: BaseException) -> str:
    """An exception as the text kept on a chunk or batch: ``Type: message``, made storable (see :func:`safe_text`)."""
    if isinstance(exc, SoftTimeLimitExceeded):
        return safe_text(
            f"SoftTimeLimitExceeded: the chunk ran past the {settings.CELERY_TASK_SOFT_TIME_LIMIT} s soft time limit "
            "(CELERY_TASK_SOFT_TIME_LIMIT); use smaller chunks (DISCOVERY_CHUNK_BYTES) or a higher limit"
        )
    if isinstance(exc, ArchiveLimitExceeded):
        return safe_text(
            f"ArchiveLimitExceeded: {exc}; the file was refused and nothing of it counted "
            f"(DISCOVERY_MAX_UNCOMPRESSED_BYTES = {settings.DISCOVERY_MAX_UNCOMPRESSED_BYTES})"
        )
    return safe_text(f"{type(exc).__name__}: {exc}")


def safe_text(text: str, *, limit: int = ERROR_MAX_CHARS) -> str:
    """``text`` fit for any database text column: NUL bytes (PostgreSQL text and jsonb reject them) shown as
    ``\\x00``, lone surrogates (undecodable input bytes) replaced, at most ``limit`` characters."""
    text = text.replace("\x00", "\\x00").encode("utf-8", "replace").decode("utf-8")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def log_chunk_process(*, chunk_id: int) -> bool:
    """Parse, match and aggregate one chunk, then commit its usage rows, its counts and ``status=done`` in ONE
    transaction. Returns False when there was nothing to do (gone, settled by an earlier delivery) or the chunk
    failed: a task redelivered after a crash either finds the chunk done or finds nothing of its partial work
    committed.

    Every error is caught here, at the chunk boundary, so that no chunk ends silently: a transient one
    (:data:`~discovery.constants.TRANSIENT_ERRORS`) is raised again while the chunk has attempts left
    (``DISCOVERY_CHUNK_MAX_ATTEMPTS``), for the task to retry it after a backoff; anything else (a soft time limit
    included), or a transient error on the last attempt, ends the chunk ``failed`` with the error text and settles
    the batch once every chunk has.
    """
    chunk = _log_chunk_claim(chunk_id)
    if chunk is None:
        return False

    def run() -> bool:
        if not _log_chunk_prepare(chunk):
            return False
        return _log_chunk_finish(chunk.pk, _log_chunk_parse(chunk, ingest.catalog_snapshot(), _Adapters.current()))

    return _log_chunk_guarded(chunk, run)


def _log_chunk_prepare(chunk: LogChunk) -> bool:
    """Before a compressed file's chunk is parsed (once: while its batch's content is unknown), decompress it here in
    the worker, under ``DISCOVERY_MAX_UNCOMPRESSED_BYTES`` (an archive bomb raises ``ArchiveLimitExceeded``, which
    fails the chunk and so the batch), hash the content, detect the format if none was given, and decide as the
    upload does for a plain file: a duplicate of a batch of the same source (``duplicate``, the chunk ``held``), the
    same content as another source's batch (``awaiting_confirmation``, held), the continuation of an earlier batch
    (only the tail is parsed), or new. True when the chunk is to be parsed (the batch and chunk objects updated).

    Costs a second decompression of the file (one to hash, one to parse): a gzip inflates at hundreds of MB/s, a
    fraction of the parse, and nothing may be counted before the content is known."""
    batch = chunk.batch
    if batch.content_sha256 or batch.is_capture:
        return True
    limits = stream_limits()
    with batch.file.storage.open(batch.file.name or "", "rb") as handle:
        raw = getattr(handle, "file", handle)
        head = ingest.content_head(raw, limits=limits)
        candidates = _prefix_candidates(source=batch.source, head=head, size=None, exclude_pk=batch.pk)
        digest = ingest.content_digest(raw, limits=limits, checkpoints=[c.content_size for c in candidates])
        fmt = batch.log_format
        if not fmt:
            raw.seek(0)
            fmt = ingest.detect_file_format(raw, raw.read(ingest.HEAD_BYTES), limits=limits)
        if fmt != ingest.CAPTURE_FORMAT:
            _compressed_content_check(batch=batch, raw=raw, head=head, fmt=fmt, limits=limits)
    try:
        return _log_batch_content_record(chunk=chunk, digest=digest, candidates=candidates, fmt=fmt)
    except IntegrityError:  # a batch of this source with this content committed meanwhile: this one repeats it
        return _log_batch_content_record(chunk=chunk, digest=digest, candidates=candidates, fmt=fmt)


def _compressed_content_check(*, batch: LogBatch, raw: IO[bytes], head: bytes, fmt: str, limits: StreamLimits) -> None:
    """A compressed file's decompressed content, checked as an upload checks a plain file (:func:`_content_checked`)
    before anything of it is counted; a refusal (``ContentRefused``) fails the chunk, hence the batch (one chunk),
    with the reason. A capture inside an archive is refused too: captures are read as uploaded, not decompressed."""
    if sniff_capture(head):
        raise ContentRefused(
            "the archive holds a packet capture (pcap/pcapng); upload the capture itself, not compressed; "
            "nothing was counted"
        )
    try:
        _content_checked(source=batch.source, fileobj=raw, head=head, fmt=fmt, limits=limits)
    except ValidationFailed as exc:
        raise ContentRefused(
            f"{exc.message}. To read it with another format, set the source's format, delete this batch and "
            "upload the file again"
        ) from exc


@transaction.atomic
def _log_batch_content_record(
    *, chunk: LogChunk, digest: ingest.ContentDigest, candidates: list[_Candidate], fmt: str
) -> bool:
    batch = LogBatch.objects.select_for_update().select_related("source").get(pk=chunk.batch_id)
    if batch.content_sha256:  # another delivery of this chunk decided first
        chunk.batch = batch
        return batch.status == BatchStatus.PROCESSING
    update: dict[str, Any] = {
        "content_sha256": digest.sha256,
        "content_size": digest.size,
        "content_head_sha256": ingest.head_sha256(digest.head),
        "log_format": fmt,
    }
    counted = _counted_batches().exclude(pk=batch.pk)
    same = counted.filter(source_id=batch.source_id, content_sha256=digest.sha256).order_by("pk").first()
    other = None if same else counted.filter(content_sha256=digest.sha256).exclude(source_id=batch.source_id)
    other = other.order_by("pk").first() if other is not None else None
    match = None if same or other else _longest_prefix(candidates, digest.prefixes, digest.size)
    if match is not None and match[1].tail_start >= digest.size:  # nothing after the end of its last line
        same = LogBatch.objects.get(pk=match[0].pk)
        match = None
    if same is not None:
        update.update(status=BatchStatus.DUPLICATE, duplicate_of=same, finished_at=timezone.now())
    elif other is not None:
        update.update(status=BatchStatus.AWAITING_CONFIRMATION, duplicate_of=other)
    elif match is not None:
        candidate, prefix = match
        update.update(content_skipped=prefix.tail_start, continues_id=candidate.pk)
        LogChunk.objects.filter(pk=chunk.pk).update(first_line=prefix.lines_before + 1)
        chunk.first_line = prefix.lines_before + 1
    held = same is not None or other is not None
    if held:
        LogChunk.objects.filter(pk=chunk.pk).update(status=ChunkStatus.HELD, attempts=0, claimed_at=None)
    with transaction.atomic():  # a savepoint: the unique content constraint may refuse it (see the caller)
        LogBatch.objects.filter(pk=batch.pk).update(**update)
    chunk.batch = LogBatch.objects.select_related("source", "duplicate_of__source").get(pk=batch.pk)
    audit_log_record(
        event_type=events.LOG_BATCH_CONTENT_READ,
        actor=None,
        target=batch,
        extra_data={
            "content_sha256": digest.sha256,
            "content_size": digest.size,
            "format": fmt,
            "status": chunk.batch.status,
            "duplicate_of": chunk.batch.duplicate_of_id,
            "continues": chunk.batch.continues_id,
            "content_skipped": chunk.batch.content_skipped,
        },
    )
    return not held


def _log_chunk_guarded(chunk: LogChunk, run: Callable[[], bool]) -> bool:
    """Run a claimed chunk's work (``run``) at the chunk boundary: see :func:`log_chunk_process`."""
    try:
        return run()
    except TRANSIENT_ERRORS as exc:
        if chunk.attempts < settings.DISCOVERY_CHUNK_MAX_ATTEMPTS:
            logger.warning("chunk %s attempt %s: transient error, will retry: %s", chunk.pk, chunk.attempts, exc)
            raise
        logger.error("chunk %s failed after %s attempts: %s", chunk.pk, chunk.attempts, exc)
        _log_chunk_fail(chunk_id=chunk.pk, error=f"gave up after {chunk.attempts} attempts: {error_text(exc)}")
    except Exception as exc:  # the chunk boundary: whatever went wrong is recorded on the chunk, never dropped
        logger.exception("chunk %s failed", chunk.pk)
        _log_chunk_fail(chunk_id=chunk.pk, error=error_text(exc))
    return False


def _log_chunk_claim(chunk_id: int) -> LogChunk | None:
    """Claim a chunk by conditional UPDATE (pending or processing -> processing, ``claimed_at``, one attempt
    more) and return it with its batch and source; None when it is gone or settled (done or failed).

    A chunk still ``processing`` may be claimed again: that is the broker redelivering the task of a worker that
    died. Two live claims are harmless (the commit locks the chunk and the second finds it done). A chunk that has
    used its ``DISCOVERY_CHUNK_MAX_ATTEMPTS`` (a poison chunk that kills its worker every time) is failed here.
    """
    unsettled = LogChunk.objects.filter(pk=chunk_id, status__in=UNSETTLED_CHUNK_STATUSES)
    claimed = unsettled.filter(attempts__lt=settings.DISCOVERY_CHUNK_MAX_ATTEMPTS).update(
        status=ChunkStatus.PROCESSING, claimed_at=timezone.now(), attempts=F("attempts") + 1
    )
    if not claimed:
        attempts = unsettled.values_list("attempts", flat=True).first()
        if attempts is not None and attempts >= settings.DISCOVERY_CHUNK_MAX_ATTEMPTS:  # unsettled, out of attempts
            _log_chunk_fail(
                chunk_id=chunk_id,
                error=f"LostWorker: gave up after {attempts} attempts (each ended without a result: the worker was "
                "killed or timed out)",
            )
        elif attempts is not None:
            # unsettled with attempts left, yet the conditional UPDATE matched nothing (a concurrent claim or reap
            # raced it): never fail a chunk for that; the reaper queues it again if nobody settles it
            logger.warning("chunk %s not claimed (attempts %s): left for the reaper", chunk_id, attempts)
        return None
    return LogChunk.objects.select_related("batch__source").get(pk=chunk_id)


@dataclass(frozen=True, slots=True)
class _Adapters:
    """The main thread's database adapters for the values of a usage row that need one (days and datetimes): taken
    before a parse so that it can build rows ready to insert on a helper thread, whose own connection is never
    used."""

    adapt_date: Callable[[date], Any]
    adapt_datetime: Callable[[datetime], Any]

    @classmethod
    def current(cls) -> _Adapters:
        return cls(bulk.date_adapter(), bulk.datetime_adapter())


@dataclass(slots=True)
class _ParsedChunk:
    """What a parse hands to the commit: the chunk's counts and identities, and its usage rows in
    :data:`_USAGE_COLUMNS` order with their values already adapted."""

    result: ingest.ChunkResult
    usage_rows: list[list[Any]]


def _log_chunk_parse(chunk: LogChunk, snapshot: ingest.CatalogSnapshot, adapters: _Adapters) -> _ParsedChunk | str:
    """Parse, match and aggregate a claimed chunk, and build its usage rows: the rows, or why the input cannot be
    read. No database access (the batch and source come loaded with the chunk), so it may run on a helper thread;
    the commit is then left with the statements alone."""
    batch = chunk.batch
    with ingest.gc_paused():
        try:
            with batch.file.storage.open(batch.file.name or "", "rb") as handle:
                raw = getattr(handle, "file", handle)
                result = ingest.run_chunk(batch, chunk, raw, snapshot=snapshot, limits=stream_limits())
        except (ArchiveError, CaptureError, UnknownFormat, OSError, UnicodeError) as exc:
            return error_text(exc)
        return _ParsedChunk(result, _usage_rows(chunk, result, snapshot, adapters))


def _usage_rows(
    chunk: LogChunk, result: ingest.ChunkResult, snapshot: ingest.CatalogSnapshot, adapters: _Adapters
) -> list[list[Any]]:
    """The chunk's usage rows (:data:`_USAGE_COLUMNS` order), each day adapted once, the times of each row once.

    ``bulk_create`` would prepare every value through its field (about 60 % of ingestion time for 1M Squid lines in
    ``bench/bench_ingest.py``); the backend's own adapters give the same stored values for plain ints, strings,
    dates and datetimes. The service ids and key version are those the parse matched and pseudonymised with.
    """
    service_ids, version = snapshot.service_ids, key_version()
    adapt_date, adapt_datetime = adapters.adapt_date, adapters.adapt_datetime
    days: dict[date, Any] = {}
    rows = []
    for (pseudonym, kind, department, slug, day), row in result.usage.items():
        stored_day = days.get(day)
        if stored_day is None:
            stored_day = days[day] = adapt_date(day)
        requests, uploads, bytes_up, bytes_down, first, last, policy, largest = row[:8]
        lookups = row[8] if len(row) > 8 else 0  # only the rows of a capture count DNS lookups
        rows.append(
            [
                *(chunk.pk, chunk.batch_id, service_ids[slug], pseudonym, kind, version, department, stored_day),
                *(requests, uploads, bytes_up, bytes_down, largest, adapt_datetime(first), adapt_datetime(last)),
                policy,
                lookups,
            ]
        )
    return rows


def _log_chunk_finish(chunk_id: int, outcome: _ParsedChunk | str) -> bool:
    if isinstance(outcome, str):
        _log_chunk_fail(chunk_id=chunk_id, error=outcome)
        return False
    return _log_chunk_commit(chunk_id=chunk_id, parsed=outcome)


def _log_chunk_finish_future(chunk_id: int, future: Future[_ParsedChunk | str]) -> bool:
    """Commit (or fail) a chunk parsed on a helper thread; the parse's exception, if any, is raised here."""
    return _log_chunk_finish(chunk_id, future.result())


def _log_chunks_process_here(chunk_ids: list[int], progress: ingest.ProgressCallback | None) -> None:
    """The synchronous path (``ingest_logs`` without ``--queue``): every chunk committed in its own transaction as a
    worker would, while the next :data:`PARSE_THREADS` chunks parse on helper threads (the column scan's numpy/Arrow
    work and SQLite's or psycopg's statement execution run without the GIL, so they overlap on the other cores).
    A chunk commits as soon as its parse is done, whichever that is, as workers finish in any order; only the main
    thread touches the database. Errors are handled at the chunk boundary as on a worker
    (:func:`_log_chunk_guarded`): a transient one puts the chunk back at the end of the line after a backoff."""
    snapshot, adapters = ingest.catalog_snapshot(), _Adapters.current()
    waiting = deque(chunk_ids)
    settled = 0  # chunks committed, failed, or found settled already

    def report() -> None:
        if progress is not None:
            progress(settled, len(chunk_ids))

    with ThreadPoolExecutor(max_workers=PARSE_THREADS, thread_name_prefix="ingest-parse") as pool:
        parsing: dict[Future[_ParsedChunk | str], LogChunk] = {}

        def start_next() -> None:
            nonlocal settled
            while waiting:
                chunk = _log_chunk_claim(waiting.popleft())
                if chunk is not None:
                    try:  # a compressed file is read (and checked for duplicates) first, on this thread
                        ready = _log_chunk_guarded(chunk, functools.partial(_log_chunk_prepare, chunk))
                    except TRANSIENT_ERRORS:
                        time.sleep(min(LOCAL_RETRY_SECONDS * 2 ** (chunk.attempts - 1), LOCAL_RETRY_MAX_SECONDS))
                        waiting.append(chunk.pk)
                        continue
                    if ready:
                        parsing[pool.submit(_log_chunk_parse, chunk, snapshot, adapters)] = chunk
                        return
                settled += 1  # already settled (by a worker, or an earlier run), out of attempts, or held
                report()

        for _ in range(PARSE_THREADS):
            start_next()
        while parsing:
            done, _ = wait(parsing, return_when=FIRST_COMPLETED)
            for future in done:
                chunk = parsing.pop(future)
                start_next()  # the next parse runs while this one commits
                try:
                    _log_chunk_guarded(chunk, functools.partial(_log_chunk_finish_future, chunk.pk, future))
                except TRANSIENT_ERRORS:
                    time.sleep(min(LOCAL_RETRY_SECONDS * 2 ** (chunk.attempts - 1), LOCAL_RETRY_MAX_SECONDS))
                    waiting.append(chunk.pk)
                    if not parsing:
                        start_next()
                    continue
                settled += 1
                report()


@transaction.atomic
def _log_chunk_fail(*, chunk_id: int, error: str) -> bool:
    """End an unsettled chunk ``failed`` with ``error`` (made storable: :func:`safe_text`), count it on its batch
    and settle the batch if it was the last. False when the chunk is gone or settled already: a chunk is counted
    once, done or failed. Its results are not counted (a failed chunk never commits any)."""
    failed = LogChunk.objects.filter(pk=chunk_id, status__in=UNSETTLED_CHUNK_STATUSES).update(
        status=ChunkStatus.FAILED, error=safe_text(error)
    )
    if not failed:
        return False
    batch_id = LogChunk.objects.filter(pk=chunk_id).values_list("batch_id", flat=True).get()
    LogBatch.objects.filter(pk=batch_id).update(chunks_failed=F("chunks_failed") + 1)
    _log_batch_finalise_if_complete(batch_id=batch_id)
    return True


_USAGE_COLUMNS = (
    "chunk",
    "batch",
    "service",
    "subject",
    "subject_kind",
    "key_version",
    "department",
    "day",
    "requests",
    "upload_requests",
    "bytes_up",
    "bytes_down",
    "max_request_bytes",
    "first_seen",
    "last_seen",
    "policy_status",
    "dns_lookups",
)


def _pseudonyms_insert(identities: dict[str, tuple[str, bytes]], *, version: int) -> None:
    """Record the chunk's pseudonyms; those already known (from earlier chunks and files) are left as they are.
    One prepared INSERT-or-ignore instead of ``bulk_create(ignore_conflicts=True)``, whose per-value preparation
    cost as much as the usage rows' insert."""
    created = bulk.datetime_adapter()(timezone.now())
    binary = bulk.binary_adapter()
    bulk.rows_insert(
        Pseudonym,
        ("pseudonym", "key_version", "kind", "identity_encrypted", "created_at"),
        [[p, version, kind, binary(token), created] for p, (kind, token) in identities.items()],
        ignore_conflicts=True,
    )


def _pseudonym_successors_link(previous: dict[str, tuple[str, ...]], *, version: int) -> None:
    """During a rotation (a ring of several versions), point the rows of the chunk's identities under older key
    versions at their current pseudonym, so that first-use and baseline rules see one person across the rotation
    before the re-pseudonymisation converts the old rows (:func:`discovery.selectors.pseudonym_aliases`). Rows
    linked by an earlier chunk are not written again."""
    if not previous:
        return
    successor_of = {old: new for new, olds in previous.items() for old in olds}
    olds = sorted(successor_of)
    changed: list[Pseudonym] = []
    for start in range(0, len(olds), ALIAS_QUERY_SUBJECTS):
        for row in (
            Pseudonym.objects.filter(pseudonym__in=olds[start : start + ALIAS_QUERY_SUBJECTS])
            .exclude(key_version=version)
            .only("id", "pseudonym", "successor")
            .order_by("id")
        ):
            if row.successor != successor_of[row.pseudonym]:
                row.successor = successor_of[row.pseudonym]
                changed.append(row)
    Pseudonym.objects.bulk_update(changed, ["successor"], batch_size=1000)


@transaction.atomic
def _log_chunk_commit(*, chunk_id: int, parsed: _ParsedChunk) -> bool:
    chunk = LogChunk.objects.select_for_update().get(pk=chunk_id)
    if chunk.status not in UNSETTLED_CHUNK_STATUSES:
        return False  # another delivery committed first, or the reaper gave up on this one meanwhile
    result = parsed.result
    version = key_version()
    _pseudonyms_insert(result.identities, version=version)
    _pseudonym_successors_link(result.previous, version=version)
    bulk.rows_insert(UsageRecord, _USAGE_COLUMNS, parsed.usage_rows)
    counts = {
        "records_read": result.records_read,
        "records_parsed": result.records_parsed,
        "records_malformed": result.records_malformed,
        "records_skipped": result.records_skipped,
        "records_matched": result.records_matched,
        "records_unmatched": result.records_unmatched,
    }
    LogChunk.objects.filter(pk=chunk.pk).update(
        status=ChunkStatus.DONE,
        done_at=timezone.now(),
        error="",
        malformed_samples=_json_safe(result.malformed_samples),
        malformed_samples_sealed=result.malformed_samples_sealed,
        first_seen=result.first_seen,
        last_seen=result.last_seen,
        **counts,
    )
    LogBatch.objects.filter(pk=chunk.batch_id).update(
        chunks_done=F("chunks_done") + 1, **{name: F(name) + value for name, value in counts.items()}
    )
    _log_batch_finalise_if_complete(batch_id=chunk.batch_id)
    return True


def _json_safe(value: Any) -> Any:
    """``value`` with NUL characters removed from its strings (PostgreSQL's jsonb rejects ``\\u0000``): a guard
    for malformed-line samples, whose text is raw input."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    return value


def _log_batch_settled_status(*, done: int, failed: int) -> BatchStatus:
    """A settled batch's status: done (no chunk failed), failed (none done), else partial."""
    if not failed:
        return BatchStatus.DONE
    return BatchStatus.FAILED if not done else BatchStatus.PARTIAL


def _log_batch_finalise_if_complete(*, batch_id: int) -> None:
    """Called inside a chunk's transaction (commit or failure): the last chunk to settle closes the batch as
    done, partial or failed (:func:`_log_batch_settled_status`).

    The alert rules are evaluated for a partial batch too: its committed usage is real traffic, and holding
    alerts back until a retry would hide it; a retry that completes the batch evaluates them again (they are
    idempotent). A batch with no chunk done has nothing to evaluate."""
    batch = LogBatch.objects.select_for_update().get(pk=batch_id)
    chunks = LogChunk.objects.filter(batch_id=batch_id)
    span = chunks.aggregate(first=Min("first_seen"), last=Max("last_seen"))
    samples: list[dict[str, Any]] = []
    for chunk_samples in chunks.filter(records_malformed__gt=0).values_list("malformed_samples", flat=True):
        samples.extend(chunk_samples[: MAX_BATCH_SAMPLES - len(samples)])
    update: dict[str, Any] = {"first_seen": span["first"], "last_seen": span["last"], "malformed_samples": samples}
    if batch.chunks_done + batch.chunks_failed >= batch.chunks_total and batch.status == BatchStatus.PROCESSING:
        status = _log_batch_settled_status(done=batch.chunks_done, failed=batch.chunks_failed)
        update.update(status=status, finished_at=timezone.now(), error="")
        if batch.chunks_failed:
            first = chunks.filter(status=ChunkStatus.FAILED).order_by("index").values_list("index", "error").first()
            index, error = first or (0, "")
            update["error"] = safe_text(
                f"{batch.chunks_failed} of {batch.chunks_total} chunks failed (their lines are not counted; retry "
                f"the batch). First error, chunk #{index}: {error}"
            )
        if batch.chunks_done:
            transaction.on_commit(
                functools.partial(signals.log_batch_finished.send, sender=LogBatch, batch_id=batch_id)
            )
    LogBatch.objects.filter(pk=batch_id).update(**update)


# --- ingestion: retry and reaper ---------------------------------------------------------------------------------


def log_batch_retry(
    *,
    batch: LogBatch,
    actor: Any,
    reason: str = "",
    synchronous: bool = False,
    progress: ingest.ProgressCallback | None = None,
) -> LogBatch:
    """Start a failed or partial batch's failed chunks again: they go back to ``pending`` (attempts reset) and to
    the ingest queue once committed (or are processed here, ``synchronous``); the batch is ``processing`` again.
    Its counts stay exact: they only ever hold the chunks that committed done, each added once when it did.
    Raises ``InvalidTransition`` for a batch in any other status, ``Conflict`` when its file is gone (retention).
    Audited as ``discovery.log_batch.retried``."""
    chunk_ids = _log_batch_retry_reset(batch=batch, actor=actor, reason=reason, enqueue=not synchronous)
    if synchronous:
        _log_chunks_process_here(chunk_ids, progress)
    batch.refresh_from_db()
    return batch


@transaction.atomic
def _log_batch_retry_reset(*, batch: LogBatch, actor: Any, reason: str, enqueue: bool) -> list[int]:
    locked = LogBatch.objects.select_for_update().get(pk=batch.pk)
    if locked.status not in RETRYABLE_BATCH_STATUSES:
        raise InvalidTransition(f"batch {locked.pk} is {locked.status}: only a failed or partial batch can be retried")
    if locked.purged_at is not None or not locked.file:
        raise Conflict(f"batch {locked.pk}: its file was removed by retention and cannot be read again")
    failed = LogChunk.objects.filter(batch=locked, status=ChunkStatus.FAILED)
    chunk_ids = list(failed.order_by("index").values_list("id", flat=True))
    failed.update(status=ChunkStatus.PENDING, error="", attempts=0, claimed_at=None, queued_at=timezone.now())
    LogBatch.objects.filter(pk=locked.pk).update(
        status=BatchStatus.PROCESSING, chunks_failed=0, error="", finished_at=None
    )
    audit_log_record(
        event_type=events.LOG_BATCH_RETRIED,
        actor=actor,
        target=locked,
        reason=reason,
        extra_data={
            "previous_status": locked.status,
            "chunks_retried": len(chunk_ids),
            "chunks_done": locked.chunks_done,
            "error": locked.error[:500],
        },
    )
    if enqueue:
        _log_chunks_enqueue(chunk_ids)
    return chunk_ids


def log_batch_confirm(
    *,
    batch: LogBatch,
    actor: Any,
    reason: str,
    synchronous: bool = False,
    progress: ingest.ProgressCallback | None = None,
) -> LogBatch:
    """Count a batch ``awaiting_confirmation`` (its content is that of another source's batch, ``duplicate_of``):
    a user says the two sources really saw this traffic twice. Its held chunks go to the ingest queue (or are
    processed here, ``synchronous``) and the batch is ``processing``. Needs a reason; audited as
    ``discovery.log_batch.duplicate_confirmed``. Raises ``InvalidTransition`` in any other status, ``Conflict`` when
    its file is gone or this source counts the same content meanwhile."""
    chunk_ids = _log_batch_confirm_release(batch=batch, actor=actor, reason=reason, enqueue=not synchronous)
    if synchronous:
        _log_chunks_process_here(chunk_ids, progress)
    batch.refresh_from_db()
    return batch


@transaction.atomic
def _log_batch_confirm_release(*, batch: LogBatch, actor: Any, reason: str, enqueue: bool) -> list[int]:
    if not reason.strip():
        raise ValidationFailed("a reason is required to count a duplicate", extra={"reason": ["required"]})
    locked = LogBatch.objects.select_for_update().get(pk=batch.pk)
    if locked.status != BatchStatus.AWAITING_CONFIRMATION:
        raise InvalidTransition(
            f"batch {locked.pk} is {locked.status}: only a batch awaiting confirmation can be confirmed"
        )
    if locked.purged_at is not None or not locked.file:
        raise Conflict(f"batch {locked.pk}: its file was removed by retention and cannot be read again")
    now = timezone.now()
    try:
        with transaction.atomic():
            LogBatch.objects.filter(pk=locked.pk).update(status=BatchStatus.PROCESSING, duplicate_confirmed_at=now)
    except IntegrityError as exc:
        raise Conflict(f"batch {locked.pk}: its source counts this content already (in another batch)") from exc
    held = LogChunk.objects.filter(batch=locked, status=ChunkStatus.HELD)
    chunk_ids = list(held.order_by("index").values_list("id", flat=True))
    held.update(status=ChunkStatus.PENDING, attempts=0, claimed_at=None, queued_at=now)
    other = locked.duplicate_of
    audit_log_record(
        event_type=events.LOG_BATCH_DUPLICATE_CONFIRMED,
        actor=actor,
        target=locked,
        reason=reason,
        extra_data={
            "duplicate_of": locked.duplicate_of_id,
            "duplicate_of_source": other.source.name if other is not None else "",
            "content_sha256": locked.content_sha256,
            "chunks": len(chunk_ids),
        },
    )
    if enqueue:
        _log_chunks_enqueue(chunk_ids)
    return chunk_ids


@dataclass(frozen=True, slots=True)
class ReapOutcome:
    """What one reaper run did: chunks handed to the queue again, chunks failed as lost."""

    requeued: int
    failed: int


def log_chunks_reap(*, now: datetime | None = None) -> ReapOutcome:
    """Beat: find chunks whose task was lost and put them right. A chunk is stuck when it has been ``processing``
    longer than the hard task time limit plus :data:`~discovery.constants.STALE_CHUNK_MARGIN_SECONDS` (its worker
    died: killed, out of memory, the broker lost the message), or ``pending`` for more than
    ``DISCOVERY_CHUNK_PENDING_TIMEOUT`` seconds since it was queued (the message never arrived). Each goes back to
    the queue while attempts remain, else ends ``failed`` ("timed out / lost") and its batch settles.

    Idempotent: each chunk is changed by a conditional UPDATE on the state it was seen in, and a re-queued chunk
    is not stale again before another full timeout. A duplicate message is harmless (the chunk commits once)."""
    now = now or timezone.now()
    limit = int(settings.CELERY_TASK_TIME_LIMIT)
    claimed_before = now - timedelta(seconds=limit + STALE_CHUNK_MARGIN_SECONDS)
    queued_before = now - timedelta(seconds=int(settings.DISCOVERY_CHUNK_PENDING_TIMEOUT))
    stale = LogChunk.objects.filter(
        Q(status=ChunkStatus.PROCESSING, claimed_at__lt=claimed_before)
        | Q(status=ChunkStatus.PROCESSING, claimed_at__isnull=True, batch__created_at__lt=claimed_before)
        | Q(status=ChunkStatus.PENDING, queued_at__lt=queued_before)
        | Q(status=ChunkStatus.PENDING, queued_at__isnull=True, batch__created_at__lt=queued_before)
    ).order_by("pk")
    requeued: list[int] = []
    failed = 0
    for chunk in stale.only("pk", "status", "attempts", "claimed_at", "queued_at")[:REAP_BATCH]:
        seen = LogChunk.objects.filter(
            pk=chunk.pk, status=chunk.status, attempts=chunk.attempts, claimed_at=chunk.claimed_at
        )
        if chunk.attempts < settings.DISCOVERY_CHUNK_MAX_ATTEMPTS:
            if seen.update(status=ChunkStatus.PENDING, queued_at=now):
                requeued.append(chunk.pk)
            continue
        if chunk.status == ChunkStatus.PROCESSING:
            error = (
                f"TimedOut: lost or timed out after {chunk.attempts} attempts (no result within the {limit} s task "
                "time limit; the worker was killed or the task lost)"
            )
        else:
            error = f"Lost: queued but never picked up after {chunk.attempts} attempts"
        if seen.exists() and _log_chunk_fail(chunk_id=chunk.pk, error=error):
            failed += 1
    if requeued:
        from discovery.tasks import ingest_log_chunk_task

        for chunk_id in requeued:
            ingest_log_chunk_task.delay(chunk_id)
    if requeued or failed:
        logger.warning("ingest reaper: %s chunks re-queued, %s failed as lost", len(requeued), failed)
    return ReapOutcome(requeued=len(requeued), failed=failed)


# --- privacy -----------------------------------------------------------------------------------------------------


@transaction.atomic
def pseudonym_reidentify(*, pseudonym: str, actor: Any, reason: str) -> str:
    """Reveal who is behind a pseudonym. Requires ``discovery.reidentify_pseudonym`` and a reason; every call is
    written to the audit log (who, which pseudonym, why) before the identity is returned."""
    _require_reidentify(actor, reason, "re-identify a pseudonym")
    row = Pseudonym.objects.filter(pseudonym=pseudonym).first()
    if row is None:
        raise ApplicationError(
            f"unknown pseudonym {pseudonym[:16]}... (purged, or issued before a key rotation whose "
            "re-pseudonymisation has converted it: look up its current pseudonym)"
        )
    identity = decrypt_identity(bytes(row.identity_encrypted), version=row.key_version)
    audit_log_record(
        event_type=events.PSEUDONYM_REIDENTIFIED,
        actor=actor,
        target=row,
        reason=reason,
        extra_data={"pseudonym": pseudonym, "key_version": row.key_version},
    )
    return identity


def _require_reidentify(actor: Any, reason: str, what: str) -> None:
    if not (actor is not None and actor.has_perm("discovery.reidentify_pseudonym")):
        raise PermissionDenied(f"{what} requires the discovery.reidentify_pseudonym permission")
    if not reason.strip():
        raise ValidationFailed(f"a reason is required to {what}")


@transaction.atomic
def log_batch_samples_reveal(*, batch: LogBatch, actor: Any, reason: str) -> list[dict[str, Any]]:
    """The raw (unredacted) malformed-line samples of a batch: the lines as read, with the user names and addresses
    the stored samples are redacted of. Requires ``discovery.reidentify_pseudonym`` and a reason, like
    :func:`pseudonym_reidentify`; every call is written to the audit log before the lines are returned. Samples
    sealed under a retired key, and those purged by retention, are gone (an empty list)."""
    _require_reidentify(actor, reason, "reveal raw malformed samples")
    samples: list[dict[str, Any]] = []
    unreadable = 0
    sealed_rows = (
        LogChunk.objects.filter(batch=batch).exclude(malformed_samples_sealed="").order_by("index")
    ).values_list("malformed_samples_sealed", flat=True)
    for sealed in sealed_rows:
        if len(samples) >= MAX_BATCH_SAMPLES:
            break
        try:
            chunk_samples = unseal_json(sealed)
        except (InvalidToken, ValueError):
            unreadable += 1
            continue
        samples.extend(chunk_samples[: MAX_BATCH_SAMPLES - len(samples)])
    audit_log_record(
        event_type=events.LOG_BATCH_SAMPLES_REVEALED,
        actor=actor,
        target=batch,
        reason=reason,
        extra_data={"samples": len(samples), "unreadable_chunks": unreadable},
    )
    return samples


def _delete_files_on_commit(files: list[tuple[Any, str]]) -> None:
    """Remove stored files once the rows that name them are gone for good (never for a rolled-back delete)."""

    def remove() -> None:
        for storage, name in files:
            storage.delete(name)

    if files:
        transaction.on_commit(remove)


@transaction.atomic
def log_batches_delete(*, batches: Iterable[LogBatch], actor: Any, reason: str = "") -> dict[str, int]:
    """Delete uploaded batches with their chunks and usage rows, and (after commit) their stored files. One
    audit-log entry per batch says what went (source, file, sha256, counts of chunks and usage rows and requests),
    so that a removed upload stays accountable; the batch-level counts it carried are copied into the entry."""
    totals = {"batches": 0, "chunks": 0, "usage_rows": 0}
    files: list[tuple[Any, str]] = []
    for batch in LogBatch.objects.select_for_update().filter(pk__in=[b.pk for b in batches]).select_related("source"):
        usage = UsageRecord.objects.filter(batch=batch)
        usage_rows = usage.count()
        requests = usage.aggregate(total=Sum("requests"))["total"] or 0
        chunks = LogChunk.objects.filter(batch=batch).count()
        audit_log_record(
            event_type=events.LOG_BATCH_DELETED,
            actor=actor,
            target=batch,
            reason=reason,
            extra_data={
                "source": batch.source.name,
                "original_name": batch.original_name,
                "sha256": batch.sha256,
                "status": batch.status,
                "chunks": chunks,
                "usage_rows": usage_rows,
                "usage_requests": requests,
                "records_read": batch.records_read,
                "records_matched": batch.records_matched,
                "file_removed": bool(batch.file),
            },
        )
        if batch.file:
            files.append((batch.file.storage, batch.file.name or ""))
        usage.delete()
        batch.delete()  # chunks cascade
        totals["batches"] += 1
        totals["chunks"] += chunks
        totals["usage_rows"] += usage_rows
    _delete_files_on_commit(files)
    return totals


def log_batch_delete(*, batch: LogBatch, actor: Any, reason: str = "") -> dict[str, int]:
    """Delete one uploaded batch: :func:`log_batches_delete` of one."""
    return log_batches_delete(batches=[batch], actor=actor, reason=reason)


@transaction.atomic
def usage_records_delete(*, records: Iterable[UsageRecord], actor: Any, reason: str = "") -> int:
    """Delete single usage rows (e.g. traffic wrongly attributed). One audit-log entry per affected batch counts
    the rows and requests removed per service and day, so the reports' totals stay explainable."""
    rows = list(
        UsageRecord.objects.select_for_update()
        .filter(pk__in=[r.pk for r in records])
        .select_related("batch__source", "service")
    )
    per_batch: dict[int, list[UsageRecord]] = {}
    for row in rows:
        per_batch.setdefault(row.batch_id, []).append(row)
    for group in per_batch.values():
        audit_log_record(
            event_type=events.USAGE_RECORD_DELETED,
            actor=actor,
            target=group[0].batch,
            reason=reason,
            extra_data={
                "usage_rows": len(group),
                "requests": sum(r.requests for r in group),
                "rows": [
                    {"id": r.pk, "service": r.service.slug, "day": r.day.isoformat(), "requests": r.requests}
                    for r in group[:100]
                ],
            },
        )
    UsageRecord.objects.filter(pk__in=[r.pk for r in rows]).delete()
    return len(rows)


def usage_record_delete(*, record: UsageRecord, actor: Any, reason: str = "") -> int:
    """Delete one usage row: :func:`usage_records_delete` of one."""
    return usage_records_delete(records=[record], actor=actor, reason=reason)


@transaction.atomic
def discovery_detail_purge(*, now: datetime | None = None, batch_size: int = PURGE_BATCH) -> bool:
    """Delete raw detail older than ``DISCOVERY_RETENTION_DAYS``: per-chunk usage rows, stored files and malformed
    samples (batch-level counts stay), and the pseudonyms (with their encrypted identities) that nothing within the
    retention period refers to any more: no usage row on or after the cutoff day and no alert seen since the cutoff
    or still open or acknowledged. One audit-log entry counts what went. Handles at most ``batch_size`` rows of each
    kind; returns True when more remain."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.DISCOVERY_RETENTION_DAYS)
    usage_ids = list(UsageRecord.objects.filter(day__lt=cutoff.date()).values_list("id", flat=True)[:batch_size])
    UsageRecord.objects.filter(id__in=usage_ids).delete()
    batches = list(LogBatch.objects.filter(created_at__lt=cutoff, purged_at__isnull=True)[:batch_size])
    for batch in batches:
        if batch.file:
            batch.file.delete(save=False)
        LogChunk.objects.filter(batch=batch).update(malformed_samples=[], malformed_samples_sealed="")
        LogBatch.objects.filter(pk=batch.pk).update(file="", malformed_samples=[], purged_at=now)
    # pseudonyms other apps still hold (alerts open or seen since the cutoff) are few next to usage rows: read once;
    # usage is checked per pseudonym through the (subject, day) index
    alerted = signals.retained_subjects(cutoff=cutoff)
    recent_usage = UsageRecord.objects.filter(subject=OuterRef("pseudonym"), day__gte=cutoff.date())
    pseudonym_ids: list[int] = []
    more_pseudonyms = False
    for pk, pseudonym in (
        Pseudonym.objects.filter(~Exists(recent_usage)).order_by("id").values_list("id", "pseudonym").iterator()
    ):
        if pseudonym in alerted:
            continue
        if len(pseudonym_ids) == batch_size:
            more_pseudonyms = True
            break
        pseudonym_ids.append(pk)
    Pseudonym.objects.filter(id__in=pseudonym_ids).delete()
    if usage_ids or batches or pseudonym_ids:
        audit_log_record(
            event_type=events.RETENTION_PURGED,
            actor=None,
            extra_data={
                "usage_rows": len(usage_ids),
                "batches": len(batches),
                "pseudonyms": len(pseudonym_ids),
                "cutoff": cutoff.isoformat(),
            },
        )
    return (
        more_pseudonyms
        or UsageRecord.objects.filter(day__lt=cutoff.date()).exists()
        or LogBatch.objects.filter(created_at__lt=cutoff, purged_at__isnull=True).exists()
    )


#: registry lifecycle stage -> discovery policy (stages not listed leave the policy alone)
STAGE_POLICY = {
    "pilot": PolicyStatus.TOLERATED,
    "approved": PolicyStatus.SANCTIONED,
    "production": PolicyStatus.SANCTIONED,
    "suspended": PolicyStatus.UNSANCTIONED,
    "retired": PolicyStatus.UNSANCTIONED,
}


# --- from shadow to governed --------------------------------------------------------------------------------------


def _usage_summary(service: AIService, *, days: int = 30) -> dict[str, Any]:
    since = timezone.now().date() - timedelta(days=days)
    qs = UsageRecord.objects.filter(service=service, day__gte=since)
    totals = qs.aggregate(requests=Sum("requests"), bytes_up=Sum("bytes_up"))
    departments = sorted({d for d in qs.values_list("department", flat=True).distinct() if d})
    users = qs.values("subject").distinct().count()
    return {
        "days": days,
        "users": users,
        "requests": totals["requests"] or 0,
        "bytes_up": totals["bytes_up"] or 0,
        "departments": departments,
    }


@transaction.atomic
def ai_service_promote(*, service: AIService, actor: Any, reason: str = "", alert: Any = None) -> ServicePromotion:
    """Register a discovered service as a draft AI system in the governance registry (through its
    ``ai_system_register`` service), so a compliance officer can classify it under the EU AI Act (Art. 26 deployer
    duties presuppose knowing the systems in use) and decide whether it is sanctioned. Needs
    ``governance.add_aisystem``: security analysts cannot write the registry."""
    from governance.services import ai_system_register

    if actor is None or not actor.has_perm("governance.add_aisystem"):
        raise PermissionDenied("promoting into the registry requires governance.add_aisystem")
    existing = ServicePromotion.objects.filter(service=service).select_related("system").first()
    if existing is not None:
        raise Conflict(f"{service} is already in the registry as {existing.system}")
    usage = _usage_summary(service)
    name = f"{service.name} (discovered)"
    purpose = (
        f"Public generative-AI service {service.name} by {service.vendor}, found in network logs (shadow AI). "
        f"Last {usage['days']} days: {usage['users']} pseudonymous users, {usage['requests']} requests, "
        f"{usage['bytes_up'] / 1_048_576:.1f} MB uploaded"
        + (f", departments: {', '.join(usage['departments'])}" if usage["departments"] else "")
        + f". Discovery risk score {service.risk_score}/10; current policy {service.policy}. "
        "Describe the intended purpose, then classify and decide sanctioned or not."
    )
    system = ai_system_register(
        actor=actor,
        reason=reason or "promoted from shadow-AI discovery",
        data={
            "name": name,
            "purpose": purpose,
            "vendor": service.vendor[:200],
            "sourcing": "third_party",
            "deployment": "cloud",
            "business_unit": ", ".join(usage["departments"])[:120],
        },
    )
    promotion = model_create(
        ServicePromotion,
        actor=actor,
        reason=reason or "promoted",
        data={"service": service, "system": system, "alert": alert, "promoted_by": actor, "synced_stage": ""},
    )
    audit_log_record(
        event_type=events.AI_SERVICE_PROMOTED,
        actor=actor,
        target=service,
        reason=reason,
        extra_data={"system": system.pk, "alert": getattr(alert, "pk", None), "usage": usage},
    )
    return promotion


def promotions_sync_policy() -> list[tuple[str, str]]:
    """Let the registry decision flow back: a promoted service's discovery policy follows its AI system's stage
    (pilot -> tolerated, approved/production -> sanctioned, suspended/retired -> unsanctioned). Returns the changes."""
    changes: list[tuple[str, str]] = []
    for promotion in ServicePromotion.objects.select_related("service", "system"):
        stage = promotion.system.lifecycle_stage
        if stage == promotion.synced_stage:
            continue
        policy = STAGE_POLICY.get(stage)
        with transaction.atomic():
            if policy is not None and promotion.service.policy != policy:
                ai_service_policy_update(
                    service=promotion.service,
                    policy=policy,
                    actor=None,
                    reason=f"registry: {promotion.system} is {stage}",
                    note=f"Follows AI system #{promotion.system.pk} ({stage}) in the governance registry.",
                )
                changes.append((promotion.service.slug, policy))
            ServicePromotion.objects.filter(pk=promotion.pk).update(synced_stage=stage)
    return changes


# --- pseudonym key rotation ---------------------------------------------------------------------------------------


@transaction.atomic
def pseudonym_rotation_start(*, actor: Any, reason: str = "", enqueue: bool = True) -> PseudonymRotation:
    """Start re-deriving every stored pseudonym of another key version under the current one (after
    ``DISCOVERY_PSEUDONYM_KEY_VERSION`` moved to a new secret of the key ring), so that usage baselines continue
    under the new key and the old key can leave the ring. Idempotent: while a run to the current version is
    ``running`` it is returned as it is. The run's task is
    enqueued on commit (``enqueue=False``: the caller steps it, as ``manage.py pseudonym_rotate`` does); starting
    again while it runs enqueues it again (a lost task is resumed; a duplicate finds less to do). A run to another
    version (the key moved on again) is ended ``failed`` as superseded, and a new one starts.

    Supports GDPR Art. 32(1)(a) (pseudonymisation that survives key rotation) and the accountability of
    Art. 5(2): the run is an audit-log event."""
    from discovery.tasks import rotate_pseudonyms_task  # tasks import services: avoid the cycle

    ring = key_ring()
    running = PseudonymRotation.objects.select_for_update().filter(status=RotationStatus.RUNNING).first()
    if running is not None and running.to_version != ring.current:
        # the key moved on again: that run's target is an old version now; this run converts to the current one
        _rotation_fail(rotation_id=running.pk, error=f"superseded: the current key version is now {ring.current}")
        running = None
    if running is not None:
        if enqueue:  # resumes a run whose task was lost (a duplicate message only finds less to do)
            transaction.on_commit(lambda: rotate_pseudonyms_task.delay(running.pk))
        return running
    versions = sorted(set(Pseudonym.objects.exclude(key_version=ring.current).values_list("key_version", flat=True)))
    rotation = PseudonymRotation.objects.create(to_version=ring.current, started_by=_user_or_none(actor))
    audit_log_record(
        event_type=events.PSEUDONYM_ROTATION_STARTED,
        actor=actor,
        target=rotation,
        reason=reason,
        extra_data={"to_version": ring.current, "from_versions": versions, "ring_versions": ring.versions},
    )
    if enqueue:
        transaction.on_commit(lambda: rotate_pseudonyms_task.delay(rotation.pk))
    return rotation


def _user_or_none(actor: Any) -> Any:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


class _RotationStop(Exception):
    """A stored row cannot be re-derived (its key version left the ring, or its secret no longer opens it)."""


def pseudonym_rotation_step(*, rotation_id: int, batch_size: int = ROTATION_BATCH) -> bool:
    """Convert one batch of a running re-pseudonymisation in one transaction; True while more remain (its task
    re-enqueues itself). The work left is read from the data (rows still of another version), under a lock on the
    run's row, so a redelivered, concurrent or restarted step converts what is left and never a row twice; a run
    that is gone or no longer ``running`` is left alone (False).

    A batch is first the pseudonyms (each Pseudonym row decrypted with its version's key and re-derived under the
    current one, with every usage row and registered holder's row of it), then the sealed malformed-line samples;
    with none left the run ends ``done`` with what is left per table. A row whose key version left the ring ends
    the run ``failed`` with that error and converts nothing of its batch."""
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                return _rotation_step_once(rotation_id=rotation_id, batch_size=batch_size)
        except _RotationStop as exc:
            _rotation_fail(rotation_id=rotation_id, error=str(exc))
            return False
        except IntegrityError:
            # ingestion committed a new-version pseudonym this batch was renaming a row to: the retry merges it
            if attempt == 2:
                raise
            logger.info("re-pseudonymisation batch met a concurrent insert; converting it again")
    raise AssertionError("unreachable")


def _rotation_step_once(*, rotation_id: int, batch_size: int) -> bool:
    rotation = PseudonymRotation.objects.select_for_update().filter(pk=rotation_id).first()
    if rotation is None or rotation.status != RotationStatus.RUNNING:
        return False
    if key_version() != rotation.to_version:
        raise _RotationStop(f"the current key version is {key_version()}, not {rotation.to_version}: start a new run")
    if _rotation_pseudonyms_batch(rotation, batch_size=batch_size):
        return True
    if _rotation_samples_batch(rotation, batch_size=min(batch_size, ROTATION_SAMPLES_BATCH)):
        return True
    _rotation_finish(rotation)
    return False


def _identity_open(row: Pseudonym) -> str:
    try:
        return decrypt_identity(bytes(row.identity_encrypted), version=row.key_version)
    except PseudonymKeyMissing as exc:
        raise _RotationStop(exc.message) from exc
    except InvalidToken as exc:
        raise _RotationStop(
            f"the secret of key version {row.key_version} does not open pseudonym {row.pseudonym[:16]}...: was the "
            "secret of that version changed? Put the original secret back under that version"
        ) from exc


def _rotation_pseudonyms_batch(rotation: PseudonymRotation, *, batch_size: int) -> bool:
    to = rotation.to_version
    rows = list(Pseudonym.objects.select_for_update().exclude(key_version=to).order_by("id")[:batch_size])
    if not rows:
        return False
    identities = {row.pk: _identity_open(row) for row in rows}  # every row opens, or nothing of the batch converts
    targets = {row.pk: pseudonymise(identities[row.pk], version=to) for row in rows}
    present = set(Pseudonym.objects.filter(pseudonym__in=set(targets.values())).values_list("pseudonym", flat=True))
    mapping: dict[str, str] = {}
    converted: list[Pseudonym] = []
    merged: list[int] = []
    for row in rows:
        target = targets[row.pk]
        mapping[row.pseudonym] = target
        if target in present:  # ingested under the new key since the rotation (or met twice in this batch)
            merged.append(row.pk)
            continue
        present.add(target)
        row.pseudonym, row.key_version, row.successor = target, to, ""
        row.identity_encrypted = encrypt_identity(identities[row.pk], version=to)
        converted.append(row)
    Pseudonym.objects.filter(pk__in=merged).delete()
    Pseudonym.objects.bulk_update(converted, ["pseudonym", "key_version", "successor", "identity_encrypted"])
    counts = dict(rotation.rows_converted)
    usage = UsageRecord.objects.filter(subject__in=list(mapping)).update(
        subject=_renamed("subject", mapping), key_version=to
    )
    counts["usage_records"] = counts.get("usage_records", 0) + usage
    for rekey, _remaining in signals.pseudonym_holders():
        for table, n in rekey(mapping=mapping, key_version=to).items():
            counts[table] = counts.get(table, 0) + n
    PseudonymRotation.objects.filter(pk=rotation.pk).update(
        batches=F("batches") + 1,
        pseudonyms_converted=F("pseudonyms_converted") + len(converted),
        pseudonyms_merged=F("pseudonyms_merged") + len(merged),
        rows_converted=counts,
        updated_at=timezone.now(),
    )
    return True


def _renamed(field_name: str, mapping: dict[str, str]) -> Any:
    """``CASE field WHEN old THEN new ... END`` for an UPDATE of the rows whose ``field`` is in ``mapping``."""
    from django.db.models import Case, CharField, Value, When

    return Case(
        *(When(**{field_name: old}, then=Value(new)) for old, new in mapping.items()),
        default=F(field_name),
        output_field=CharField(),
    )


def _rotation_samples_batch(rotation: PseudonymRotation, *, batch_size: int) -> bool:
    prefix = f"v{rotation.to_version}:"
    chunks = list(
        LogChunk.objects.select_for_update()
        .exclude(malformed_samples_sealed="")
        .exclude(malformed_samples_sealed__startswith=prefix)
        .only("id", "malformed_samples_sealed")
        .order_by("id")[:batch_size]
    )
    if not chunks:
        return False
    for chunk in chunks:
        sealed = chunk.malformed_samples_sealed
        try:
            chunk.malformed_samples_sealed = seal_json(unseal_json(sealed))
        except PseudonymKeyMissing as exc:
            raise _RotationStop(exc.message) from exc
        except InvalidToken as exc:
            raise _RotationStop(
                f"the secret of key version {sealed_version(sealed)} does not open the samples of chunk {chunk.pk}"
            ) from exc
    LogChunk.objects.bulk_update(chunks, ["malformed_samples_sealed"])
    PseudonymRotation.objects.filter(pk=rotation.pk).update(
        batches=F("batches") + 1, samples_resealed=F("samples_resealed") + len(chunks), updated_at=timezone.now()
    )
    return True


def _rotation_finish(rotation: PseudonymRotation) -> None:
    to = rotation.to_version
    left = {"usage_records": UsageRecord.objects.exclude(key_version=to).count()}
    for _rekey, remaining in signals.pseudonym_holders():
        left.update(remaining(key_version=to))
    left = {table: n for table, n in left.items() if n}
    rotation.refresh_from_db()
    rotation.status, rotation.rows_left, rotation.finished_at = RotationStatus.DONE, left, timezone.now()
    rotation.save(update_fields=["status", "rows_left", "finished_at", "updated_at"])
    audit_log_record(
        event_type=events.PSEUDONYM_ROTATION_FINISHED,
        actor=None,
        target=rotation,
        extra_data={
            "to_version": to,
            "pseudonyms_converted": rotation.pseudonyms_converted,
            "pseudonyms_merged": rotation.pseudonyms_merged,
            "rows_converted": rotation.rows_converted,
            "samples_resealed": rotation.samples_resealed,
            "rows_left": left,
        },
    )


@transaction.atomic
def _rotation_fail(*, rotation_id: int, error: str) -> None:
    rotation = PseudonymRotation.objects.select_for_update().filter(pk=rotation_id).first()
    if rotation is None or rotation.status != RotationStatus.RUNNING:
        return
    rotation.status, rotation.finished_at = RotationStatus.FAILED, timezone.now()
    rotation.error = error[:ERROR_MAX_CHARS]
    rotation.save(update_fields=["status", "error", "finished_at", "updated_at"])
    audit_log_record(
        event_type=events.PSEUDONYM_ROTATION_FAILED,
        actor=None,
        target=rotation,
        extra_data={"to_version": rotation.to_version, "error": rotation.error},
    )
