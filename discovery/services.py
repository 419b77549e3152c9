"""Writes for shadow-AI discovery. Each service runs in one transaction and records actor and reason."""

from __future__ import annotations

import csv
import os
import zlib
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, Field, Max, Min, OuterRef, Q
from django.db.models.constants import OnConflict
from django.utils import timezone

from core.exceptions import ApplicationError, ValidationFailed
from core.services import audit_log_record, model_create, model_delete, model_update
from discovery import ingest
from discovery.alert_services import alerts_evaluate_after_batch
from discovery.choices import BatchStatus, ChunkStatus, PolicyStatus
from discovery.models import AIService, LogBatch, LogChunk, LogSource, PolicyException, Pseudonym, UsageRecord
from discovery.parsers import ArchiveError, UnknownFormat, get_parser
from discovery.parsers.pcap import CaptureError
from discovery.pseudonyms import decrypt_identity, key_version

#: usage rows written per INSERT statement (large enough to amortise round trips, small enough for SQLite's limits)
INSERT_BATCH = 2000
#: rows/batches handled per retention-purge run before the task re-enqueues itself
PURGE_BATCH = 5000
MAX_BATCH_SAMPLES = 20
#: chunks the synchronous path parses at once on helper threads while the main thread commits (one: a column scan
#: already keeps two cores busy with its read-ahead threads, and a second chunk in flight only adds memory)
PARSE_THREADS = 1


@transaction.atomic
def log_source_create(*, actor: Any, reason: str = "", data: dict[str, Any]) -> LogSource:
    """Register a proxy/firewall/sensor whose logs will be ingested."""
    return model_create(LogSource, actor=actor, reason=reason or "created", data=data)


@transaction.atomic
def log_source_update(*, source: LogSource, actor: Any, reason: str = "", data: dict[str, Any]) -> LogSource:
    """Change a log source's settings; the history keeps before/after."""
    return model_update(source, actor=actor, reason=reason, data=data)


@transaction.atomic
def log_source_delete(*, source: LogSource, actor: Any, reason: str = "") -> None:
    """Delete a log source; its history is kept."""
    model_delete(source, actor=actor, reason=reason)


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
        event_type="discovery.ai_service.policy_changed",
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
        event_type="discovery.policy_exception.created",
        actor=actor,
        target=exception,
        reason=reason,
        extra_data={"department": exception.department, "group": exception.group, "policy": exception.policy},
    )
    return exception


# --- ingestion ---------------------------------------------------------------------------------------------------


#: what reading an uploaded file's first lines may raise on bytes that are no log (parser bugs aside)
_UNREADABLE = (ArchiveError, ValueError, csv.Error, EOFError, OSError, zlib.error)


@dataclass(slots=True)
class IngestOutcome:
    batch: LogBatch
    duplicate: bool


def _size_of(fileobj: IO[bytes]) -> int | None:
    size = getattr(fileobj, "size", None)
    if size is None:
        try:
            size = os.fstat(fileobj.fileno()).st_size
        except (AttributeError, OSError, ValueError):
            return None
    return int(size)


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
    ingested (``duplicate``), else store it, cut it into chunks and process them (here, or on the ingest queue).
    """
    size = _size_of(fileobj)
    if size is not None and size > settings.DISCOVERY_UPLOAD_MAX_BYTES:
        message = f"file is {size} bytes; the limit is {settings.DISCOVERY_UPLOAD_MAX_BYTES}"
        raise ValidationFailed(message, extra={"file": [message]})
    fileobj.seek(0)
    plan = ingest.plan_file(fileobj, chunk_bytes=settings.DISCOVERY_CHUNK_BYTES)
    if plan.size > settings.DISCOVERY_UPLOAD_MAX_BYTES:
        message = f"file is {plan.size} bytes; the limit is {settings.DISCOVERY_UPLOAD_MAX_BYTES}"
        raise ValidationFailed(message, extra={"file": [message]})
    existing = LogBatch.objects.filter(source=source, sha256=plan.sha256).first()
    if existing is not None:
        return IngestOutcome(existing, True)
    fmt = log_format or source.log_format
    try:
        if not fmt:
            fmt = ingest.detect_file_format(fileobj, plan.head)
        elif fmt != ingest.CAPTURE_FORMAT:
            get_parser(fmt)
    except UnknownFormat as exc:
        raise ValidationFailed(str(exc), extra={"log_format": [str(exc)]}) from exc
    except _UNREADABLE as exc:
        # Random bytes, a broken archive, a stray \r in a CSV header: the file cannot be read, which is the
        # uploader's 400 (a field error on ``file``), never a 500.
        message = f"the file could not be read as a log or capture: {exc}"
        raise ValidationFailed(message, extra={"file": [message]}) from exc
    try:
        batch = _log_batch_create(
            source=source, fileobj=fileobj, name=name, actor=actor, fmt=fmt, plan=plan, enqueue=not synchronous
        )
    except IntegrityError:  # the same file raced in through another upload
        return IngestOutcome(LogBatch.objects.get(source=source, sha256=plan.sha256), True)
    if synchronous:
        _log_chunks_process_here(list(batch.chunks.order_by("index").values_list("id", flat=True)), progress)
        batch.refresh_from_db()
    return IngestOutcome(batch, False)


@transaction.atomic
def _log_batch_create(
    *, source: LogSource, fileobj: IO[bytes], name: str, actor: Any, fmt: str, plan: ingest.FilePlan, enqueue: bool
) -> LogBatch:
    batch = LogBatch(
        source=source,
        sha256=plan.sha256,
        original_name=os.path.basename(name)[:255],
        size_bytes=plan.size,
        log_format=fmt,
        is_capture=fmt == ingest.CAPTURE_FORMAT,
        uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
        chunks_total=len(plan.chunks),
    )
    fileobj.seek(0)
    batch.file.save(f"{plan.sha256[:16]}-{batch.original_name or 'upload'}", File(fileobj), save=False)
    batch.save()
    LogChunk.objects.bulk_create(
        LogChunk(batch=batch, index=i, start_offset=start, end_offset=end, first_line=line)
        for i, (start, end, line) in enumerate(plan.chunks)
    )
    audit_log_record(
        event_type="discovery.log_batch.uploaded",
        actor=actor,
        target=batch,
        extra_data={"sha256": plan.sha256, "size": plan.size, "format": fmt, "chunks": len(plan.chunks)},
    )
    if enqueue:
        from discovery.tasks import ingest_log_chunk_task  # tasks import services: avoid the cycle

        ids = list(batch.chunks.values_list("id", flat=True))
        transaction.on_commit(lambda: [ingest_log_chunk_task.delay(chunk_id) for chunk_id in ids])
    return batch


def log_chunk_process(*, chunk_id: int) -> bool:
    """Parse, match and aggregate one chunk, then commit its usage rows, its counts and ``status=done`` in ONE
    transaction. Returns False when there was nothing to do (gone, or already done by an earlier delivery): a
    task redelivered after a crash either finds the chunk done or finds nothing of its partial work committed.
    """
    chunk = _log_chunk_claim(chunk_id)
    if chunk is None:
        return False
    return _log_chunk_finish(chunk.pk, _log_chunk_parse(chunk, ingest.catalog_snapshot(), _Adapters.current()))


def _log_chunk_claim(chunk_id: int) -> LogChunk | None:
    """The chunk with its batch and source, its attempt counted; None when it is gone or already done."""
    chunk = LogChunk.objects.select_related("batch__source").filter(pk=chunk_id).first()
    if chunk is None or chunk.status == ChunkStatus.DONE:
        return None
    LogChunk.objects.filter(pk=chunk.pk).update(attempts=F("attempts") + 1)
    return chunk


@dataclass(frozen=True, slots=True)
class _Adapters:
    """The main thread's database adapters for the values of a usage row that need one (days and datetimes): taken
    before a parse so that it can build rows ready to insert on a helper thread, whose own connection is never
    used."""

    adapt_date: Callable[[date], Any]
    adapt_datetime: Callable[[datetime], Any]

    @classmethod
    def current(cls) -> _Adapters:
        return cls(connection.ops.adapt_datefield_value, _datetime_adapter())


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
                result = ingest.run_chunk(batch, chunk, raw, snapshot=snapshot)
        except (ArchiveError, CaptureError, UnknownFormat, OSError, UnicodeError) as exc:
            return f"{type(exc).__name__}: {exc}"
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
        requests, uploads, bytes_up, bytes_down, first, last, policy, largest = row
        rows.append(
            [
                *(chunk.pk, chunk.batch_id, service_ids[slug], pseudonym, kind, version, department, stored_day),
                *(requests, uploads, bytes_up, bytes_down, largest, adapt_datetime(first), adapt_datetime(last)),
                policy,
            ]
        )
    return rows


def _log_chunk_finish(chunk_id: int, outcome: _ParsedChunk | str) -> bool:
    if isinstance(outcome, str):
        _log_chunk_fail(chunk_id=chunk_id, error=outcome)
        return False
    return _log_chunk_commit(chunk_id=chunk_id, parsed=outcome)


def _log_chunks_process_here(chunk_ids: list[int], progress: ingest.ProgressCallback | None) -> None:
    """The synchronous path (``ingest_logs`` without ``--queue``): every chunk committed in its own transaction as a
    worker would, while the next :data:`PARSE_THREADS` chunks parse on helper threads (the column scan's numpy/Arrow
    work and SQLite's or psycopg's statement execution run without the GIL, so they overlap on the other cores).
    A chunk commits as soon as its parse is done, whichever that is, as workers finish in any order; only the main
    thread touches the database."""
    snapshot, adapters = ingest.catalog_snapshot(), _Adapters.current()
    waiting = iter(chunk_ids)
    settled = 0  # chunks committed, failed, or found done already

    def report() -> None:
        if progress is not None:
            progress(settled, len(chunk_ids))

    with ThreadPoolExecutor(max_workers=PARSE_THREADS, thread_name_prefix="ingest-parse") as pool:
        parsing: dict[Future[_ParsedChunk | str], int] = {}

        def start_next() -> None:
            nonlocal settled
            for chunk_id in waiting:
                chunk = _log_chunk_claim(chunk_id)
                if chunk is not None:
                    parsing[pool.submit(_log_chunk_parse, chunk, snapshot, adapters)] = chunk.pk
                    return
                settled += 1  # already done (by a worker, or an earlier run)
                report()

        for _ in range(PARSE_THREADS):
            start_next()
        while parsing:
            done, _ = wait(parsing, return_when=FIRST_COMPLETED)
            for future in done:
                chunk_id = parsing.pop(future)
                start_next()  # the next parse runs while this one commits
                _log_chunk_finish(chunk_id, future.result())
                settled += 1
                report()


@transaction.atomic
def _log_chunk_fail(*, chunk_id: int, error: str) -> None:
    LogChunk.objects.filter(pk=chunk_id).exclude(status=ChunkStatus.DONE).update(status=ChunkStatus.FAILED, error=error)
    chunk = LogChunk.objects.get(pk=chunk_id)
    LogBatch.objects.filter(pk=chunk.batch_id).update(status=BatchStatus.FAILED, error=error[:2000])


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
)


def _datetime_adapter() -> Callable[[datetime], Any]:
    """The backend's ``adapt_datetimefield_value``, short-cut on SQLite for the UTC datetimes ingestion produces:
    Django makes an aware value naive in the connection's zone and stores ``str()`` of it, so a value already in UTC
    with the connection in UTC is ``str()`` of itself less its ``+00:00`` (a third of the commit's Python time with
    the generic adapter)."""
    adapt = connection.ops.adapt_datetimefield_value
    if connection.vendor != "sqlite" or not settings.USE_TZ or connection.timezone is not UTC:
        return adapt

    def adapt_sqlite(value: datetime) -> Any:
        if value.tzinfo is UTC:
            return str(value)[:-6]  # "YYYY-MM-DD HH:MM:SS[.ffffff]+00:00"
        return adapt(value)

    return adapt_sqlite


def _rows_insert(
    model: Any, columns: tuple[str, ...], rows: list[list[Any]], *, ignore_conflicts: bool = False
) -> None:
    """Insert ``rows`` (values already adapted, in ``columns`` order): with ``COPY`` on PostgreSQL, else with one
    prepared INSERT run by ``executemany`` in batches of :data:`INSERT_BATCH`. Rows that would violate a unique
    constraint are skipped when asked (always with INSERT ... ON CONFLICT: ``COPY`` cannot skip rows)."""
    if not rows:
        return
    ops = connection.ops
    fields = [model._meta.get_field(name) for name in columns]
    db_columns = [field.column for field in fields if isinstance(field, Field) and field.column]
    assert len(db_columns) == len(columns)
    on_conflict = OnConflict.IGNORE if ignore_conflicts else None
    suffix = ops.on_conflict_suffix_sql(fields, on_conflict, None, None) if ignore_conflicts else ""
    sql = "{} {} ({}) VALUES ({}) {}".format(
        ops.insert_statement(on_conflict=on_conflict),
        ops.quote_name(model._meta.db_table),
        ", ".join(ops.quote_name(c) for c in db_columns),
        ", ".join(["%s"] * len(db_columns)),
        suffix,
    ).rstrip()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and not ignore_conflicts:
            # COPY: PostgreSQL's bulk load, several times faster than INSERTs (which it spends its time parsing and
            # planning row by row); the values go through psycopg's own adapters
            copy_sql = "COPY {} ({}) FROM STDIN".format(
                ops.quote_name(model._meta.db_table), ", ".join(ops.quote_name(c) for c in db_columns)
            )
            with cursor.cursor.copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)
            return
        for start in range(0, len(rows), INSERT_BATCH):
            cursor.executemany(sql, rows[start : start + INSERT_BATCH])


def _pseudonyms_insert(identities: dict[str, tuple[str, bytes]], *, version: int) -> None:
    """Record the chunk's pseudonyms; those already known (from earlier chunks and files) are left as they are.
    One prepared INSERT-or-ignore instead of ``bulk_create(ignore_conflicts=True)``, whose per-value preparation
    cost as much as the usage rows' insert."""
    created = _datetime_adapter()(timezone.now())
    binary = connection.Database.Binary  # type: ignore[attr-defined]  # the DB-API module of the backend
    _rows_insert(
        Pseudonym,
        ("pseudonym", "key_version", "kind", "identity_encrypted", "created_at"),
        [[p, version, kind, binary(token), created] for p, (kind, token) in identities.items()],
        ignore_conflicts=True,
    )


@transaction.atomic
def _log_chunk_commit(*, chunk_id: int, parsed: _ParsedChunk) -> bool:
    chunk = LogChunk.objects.select_for_update().get(pk=chunk_id)
    if chunk.status == ChunkStatus.DONE:
        return False  # another delivery committed first
    result = parsed.result
    _pseudonyms_insert(result.identities, version=key_version())
    _rows_insert(UsageRecord, _USAGE_COLUMNS, parsed.usage_rows)
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
        malformed_samples=result.malformed_samples,
        first_seen=result.first_seen,
        last_seen=result.last_seen,
        **counts,
    )
    LogBatch.objects.filter(pk=chunk.batch_id).update(
        chunks_done=F("chunks_done") + 1, **{name: F(name) + value for name, value in counts.items()}
    )
    _log_batch_finalise_if_complete(batch_id=chunk.batch_id)
    return True


def _log_batch_finalise_if_complete(*, batch_id: int) -> None:
    """Called inside the chunk's transaction: the last chunk to commit closes the batch."""
    batch = LogBatch.objects.select_for_update().get(pk=batch_id)
    chunks = LogChunk.objects.filter(batch_id=batch_id)
    span = chunks.aggregate(first=Min("first_seen"), last=Max("last_seen"))
    samples: list[dict[str, Any]] = []
    for chunk_samples in chunks.filter(records_malformed__gt=0).values_list("malformed_samples", flat=True):
        samples.extend(chunk_samples[: MAX_BATCH_SAMPLES - len(samples)])
    update: dict[str, Any] = {"first_seen": span["first"], "last_seen": span["last"], "malformed_samples": samples}
    if batch.chunks_done >= batch.chunks_total and batch.status == BatchStatus.PROCESSING:
        update.update(status=BatchStatus.DONE, finished_at=timezone.now())
        alerts_evaluate_after_batch(batch_id=batch_id)
    LogBatch.objects.filter(pk=batch_id).update(**update)


# --- privacy -----------------------------------------------------------------------------------------------------


@transaction.atomic
def pseudonym_reidentify(*, pseudonym: str, actor: Any, reason: str) -> str:
    """Reveal who is behind a pseudonym. Requires ``discovery.reidentify_pseudonym`` and a reason; every call is
    written to the audit log (who, which pseudonym, why) before the identity is returned."""
    if not (actor is not None and actor.has_perm("discovery.reidentify_pseudonym")):
        raise PermissionDenied("re-identification requires the discovery.reidentify_pseudonym permission")
    if not reason.strip():
        raise ValidationFailed("a reason is required to re-identify a pseudonym")
    row = Pseudonym.objects.filter(pseudonym=pseudonym).first()
    if row is None:
        raise ApplicationError(f"unknown pseudonym {pseudonym[:16]}...")
    identity = decrypt_identity(bytes(row.identity_encrypted), version=row.key_version)
    audit_log_record(
        event_type="discovery.pseudonym.reidentified",
        actor=actor,
        target=row,
        reason=reason,
        extra_data={"pseudonym": pseudonym, "key_version": row.key_version},
    )
    return identity


@transaction.atomic
def discovery_detail_purge(*, now: datetime | None = None, batch_size: int = PURGE_BATCH) -> bool:
    """Delete raw detail older than ``DISCOVERY_RETENTION_DAYS``: per-chunk usage rows, stored files and malformed
    samples (batch-level counts stay), and the pseudonyms (with their encrypted identities) that nothing within the
    retention period refers to any more: no usage row on or after the cutoff day and no alert seen since the cutoff
    or still open or acknowledged. One audit-log entry counts what went. Handles at most ``batch_size`` rows of each
    kind; returns True when more remain."""
    from discovery.alert_choices import ACTIVE_STATUSES
    from discovery.alert_models import Alert

    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.DISCOVERY_RETENTION_DAYS)
    usage_ids = list(UsageRecord.objects.filter(day__lt=cutoff.date()).values_list("id", flat=True)[:batch_size])
    UsageRecord.objects.filter(id__in=usage_ids).delete()
    batches = list(LogBatch.objects.filter(created_at__lt=cutoff, purged_at__isnull=True)[:batch_size])
    for batch in batches:
        if batch.file:
            batch.file.delete(save=False)
        LogChunk.objects.filter(batch=batch).update(malformed_samples=[])
        LogBatch.objects.filter(pk=batch.pk).update(file="", malformed_samples=[], purged_at=now)
    # alerts are few next to usage rows: their pseudonyms are read once; usage is checked per pseudonym through the
    # (subject, day) index
    alerted = set(
        Alert.objects.filter(Q(last_seen__gte=cutoff) | Q(status__in=ACTIVE_STATUSES))
        .exclude(subject="")
        .values_list("subject", flat=True)
        .distinct()
    )
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
            event_type="discovery.retention.purged",
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
