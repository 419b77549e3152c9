"""``manage.py ingest_logs PATH [--format F] [--source NAME] [--json] [--queue [--no-wait] [--timeout S]]``,
``manage.py ingest_logs --retry BATCH_ID [--json] [--queue ...]``,
``manage.py ingest_logs --confirm-duplicate BATCH_ID --reason R [--json] [--queue ...]``.

By default the chunks are processed here, one after the other (no worker needed). With ``--queue`` they go to the
Celery workers on the ``ingest`` queue, processed in parallel on as many workers as run, and the command follows the
batch's progress until it is done (or returns at once with ``--no-wait``). ``--retry`` starts the failed chunks of a
failed or partial batch again. ``--confirm-duplicate`` counts a batch awaiting confirmation (its content was already
ingested under another source), audited with ``--reason``. The command exits non-zero when the batch ends failed or
partial.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from core.exceptions import ApplicationError
from discovery.choices import BatchStatus
from discovery.models import LogBatch, LogSource
from discovery.services import (
    IngestOutcome,
    log_batch_confirm,
    log_batch_ingest,
    log_batch_retry,
    log_source_create,
)

POLL_SECONDS = 0.5


@contextmanager
def _progress_bar(name: str, enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A rich progress bar over chunks (or nothing, for ``--json``); yields the callback that moves it."""
    if not enabled:
        yield None
        return
    with Progress(
        TextColumn("[bold]ingesting {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("chunks"),
        TimeElapsedColumn(),
        transient=False,
    ) as bar:
        task = bar.add_task(name, total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield progress


class Command(BaseCommand):
    help = (
        "Ingest a proxy/firewall/sensor log or a pcap/pcapng capture: here (default, no worker needed) or on the "
        "Celery workers of the ingest queue (--queue)."
    )
    # Django's system checks (admin, URLconf, templates, models...) vouch for none of what ingestion uses and took
    # 0.5-1 s of every run (a third of a 1M-line file's ingestion once parsing was fast); `manage.py check` and the
    # web server still run them
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", help="The log file or capture (not with --retry).")
        parser.add_argument(
            "--retry",
            type=int,
            metavar="BATCH_ID",
            help="Retry the failed chunks of this failed or partial batch (instead of ingesting a file).",
        )
        parser.add_argument(
            "--confirm-duplicate",
            type=int,
            metavar="BATCH_ID",
            help="Count this batch awaiting confirmation (same content as another source's batch); needs --reason.",
        )
        parser.add_argument("--reason", default="", help="With --confirm-duplicate: why (kept in the audit log).")
        parser.add_argument(
            "--format", dest="log_format", default="", help="Parser name; default: the source's, else detect."
        )
        parser.add_argument("--source", default="cli", help="Log source name (created if missing). Default: cli")
        parser.add_argument("--json", action="store_true", help="Print one JSON object with the batch's counts.")
        parser.add_argument(
            "--queue",
            action="store_true",
            help="Hand the chunks to the Celery workers (queue 'ingest', in parallel) and follow their progress.",
        )
        parser.add_argument("--no-wait", action="store_true", help="With --queue: return once the chunks are queued.")
        parser.add_argument(
            "--timeout",
            type=float,
            default=3600.0,
            help="With --queue: give up waiting after this many seconds (the workers carry on). Default: 3600",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["no_wait"] and not options["queue"]:
            raise CommandError("--no-wait only makes sense with --queue")
        found: LogBatch | None = None
        if options["retry"] is not None and options["confirm_duplicate"] is not None:
            raise CommandError("give --retry or --confirm-duplicate, not both")
        batch_id = options["retry"] if options["retry"] is not None else options["confirm_duplicate"]
        if batch_id is not None:
            if options["path"]:
                raise CommandError("give a file to ingest or a batch id (--retry, --confirm-duplicate), not both")
            found = LogBatch.objects.filter(pk=batch_id).first()
            if found is None:
                raise CommandError(f"no batch {batch_id}")
            name = found.original_name or f"batch {found.pk}"
        else:
            if not options["path"]:
                raise CommandError("give the file to ingest (or --retry BATCH_ID)")
            path = Path(options["path"])
            if not path.is_file():
                raise CommandError(f"no such file: {path}")
            name = path.name
        queued = bool(options["queue"])
        with _progress_bar(name, enabled=not options["json"] and not options["no_wait"]) as progress:
            try:
                if found is not None and options["confirm_duplicate"] is not None:
                    outcome = IngestOutcome(
                        log_batch_confirm(
                            batch=found,
                            actor=None,
                            reason=options["reason"],
                            synchronous=not queued,
                            progress=progress,
                        ),
                        duplicate=False,
                    )
                elif found is not None:
                    outcome = IngestOutcome(
                        log_batch_retry(
                            batch=found,
                            actor=None,
                            reason="ingest_logs --retry",
                            synchronous=not queued,
                            progress=progress,
                        ),
                        duplicate=False,
                        retried=True,
                    )
                else:
                    outcome = self._ingest(path, options, synchronous=not queued, progress=progress)
            except ApplicationError as exc:
                raise CommandError(exc.message) from exc
            batch = outcome.batch
            if queued and (outcome.retried or not outcome.duplicate) and not options["no_wait"]:
                batch = self._wait(batch, timeout=options["timeout"], progress=progress)
        self._report(name, batch, outcome=outcome, as_json=options["json"])
        if batch.status in (BatchStatus.FAILED, BatchStatus.PARTIAL):
            raise CommandError(
                f"batch {batch.pk} ended {batch.status}: {batch.error} Retry it with: manage.py ingest_logs --retry "
                f"{batch.pk}"
            )

    def _ingest(
        self, path: Path, options: dict[str, Any], *, synchronous: bool, progress: Callable[[int, int], None] | None
    ) -> IngestOutcome:
        source = LogSource.objects.filter(name=options["source"]).first()
        if source is None:
            source = log_source_create(actor=None, reason="created by ingest_logs", data={"name": options["source"]})
        with path.open("rb") as handle:
            return log_batch_ingest(
                source=source,
                fileobj=handle,
                name=path.name,
                log_format=options["log_format"],
                synchronous=synchronous,
                progress=progress,
            )

    def _wait(self, batch: LogBatch, *, timeout: float, progress: Callable[[int, int], None] | None) -> LogBatch:
        """Follow a queued batch until the workers finish it; the batch row is the only shared state."""
        deadline = time.monotonic() + timeout
        while True:
            batch.refresh_from_db()
            if progress is not None:
                progress(batch.chunks_done + batch.chunks_failed, batch.chunks_total)
            if batch.status != BatchStatus.PROCESSING:
                return batch
            if time.monotonic() >= deadline:
                raise CommandError(
                    f"batch {batch.pk} is still processing after {timeout:g} s "
                    f"({batch.chunks_done}/{batch.chunks_total} chunks); the workers carry on — is a worker consuming "
                    "the 'ingest' queue? Follow it in the admin under Log batches."
                )
            time.sleep(POLL_SECONDS)

    def _report(self, name: str, batch: LogBatch, *, outcome: IngestOutcome, as_json: bool) -> None:
        summary = {
            "batch_id": batch.pk,
            "duplicate": outcome.duplicate,
            "retried": outcome.retried,
            "status": batch.status,
            "duplicate_of": batch.duplicate_of_id,
            "continues": batch.continues_id,
            "content_skipped": batch.content_skipped,
            "message": outcome.message,
            "format": batch.log_format,
            "chunks_total": batch.chunks_total,
            "chunks_done": batch.chunks_done,
            "chunks_failed": batch.chunks_failed,
            "error": batch.error,
            "records_read": batch.records_read,
            "records_parsed": batch.records_parsed,
            "records_malformed": batch.records_malformed,
            "records_matched": batch.records_matched,
            "records_unmatched": batch.records_unmatched,
            "first_seen": batch.first_seen.isoformat() if batch.first_seen else None,
            "last_seen": batch.last_seen.isoformat() if batch.last_seen else None,
            "malformed_samples": batch.malformed_samples[:5],
        }
        if as_json:
            self.stdout.write(json.dumps(summary))
            return
        if batch.status in (BatchStatus.AWAITING_CONFIRMATION, BatchStatus.DUPLICATE):
            hint = (
                f" Count it anyway with: manage.py ingest_logs --confirm-duplicate {batch.pk} --reason '...'"
                if batch.status == BatchStatus.AWAITING_CONFIRMATION
                else ""
            )
            self.stdout.write(f"{name} {outcome.message}.{hint}")
            return
        if batch.status == BatchStatus.PROCESSING:
            self.stdout.write(
                f"{name} queued as batch {batch.pk} ({batch.log_format}): {batch.chunks_total} chunks on the "
                "'ingest' queue; follow it in the admin under Log batches."
            )
            return
        verb = "retried as" if outcome.retried else "already ingested as" if outcome.duplicate else "ingested as"
        failed = f", {batch.chunks_failed} of {batch.chunks_total} chunks failed" if batch.chunks_failed else ""
        self.stdout.write(
            f"{name} {verb} batch {batch.pk} ({batch.log_format}, {batch.status}{failed}): "
            f"{batch.records_read} read, {batch.records_parsed} parsed, {batch.records_malformed} malformed, "
            f"{batch.records_matched} matched to AI services"
        )
