"""``manage.py ingest_logs PATH [--format F] [--source NAME] [--json]``: ingest one log file or capture now."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from core.exceptions import ApplicationError
from discovery.models import LogSource
from discovery.services import log_batch_ingest, log_source_create


class Command(BaseCommand):
    help = "Ingest a proxy/firewall/sensor log or a pcap/pcapng capture synchronously (no worker needed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument(
            "--format", dest="log_format", default="", help="Parser name; default: the source's, else detect."
        )
        parser.add_argument("--source", default="cli", help="Log source name (created if missing). Default: cli")
        parser.add_argument("--json", action="store_true", help="Print one JSON object with the batch's counts.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        source = LogSource.objects.filter(name=options["source"]).first()
        if source is None:
            source = log_source_create(actor=None, reason="created by ingest_logs", data={"name": options["source"]})
        try:
            with path.open("rb") as handle:
                if options["json"]:
                    outcome = log_batch_ingest(
                        source=source,
                        fileobj=handle,
                        name=path.name,
                        log_format=options["log_format"],
                        synchronous=True,
                    )
                else:
                    with Progress(
                        TextColumn("[bold]ingesting {task.description}"),
                        BarColumn(),
                        MofNCompleteColumn(),
                        TextColumn("chunks"),
                        TimeElapsedColumn(),
                        transient=False,
                    ) as bar:
                        task = bar.add_task(path.name, total=None)

                        def progress(done: int, total: int) -> None:
                            bar.update(task, completed=done, total=total)

                        outcome = log_batch_ingest(
                            source=source,
                            fileobj=handle,
                            name=path.name,
                            log_format=options["log_format"],
                            synchronous=True,
                            progress=progress,
                        )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        batch = outcome.batch
        summary = {
            "batch_id": batch.pk,
            "duplicate": outcome.duplicate,
            "status": batch.status,
            "format": batch.log_format,
            "records_read": batch.records_read,
            "records_parsed": batch.records_parsed,
            "records_malformed": batch.records_malformed,
            "records_matched": batch.records_matched,
            "records_unmatched": batch.records_unmatched,
            "first_seen": batch.first_seen.isoformat() if batch.first_seen else None,
            "last_seen": batch.last_seen.isoformat() if batch.last_seen else None,
            "malformed_samples": batch.malformed_samples[:5],
        }
        if options["json"]:
            self.stdout.write(json.dumps(summary))
            return
        verb = "already ingested as" if outcome.duplicate else "ingested as"
        self.stdout.write(
            f"{path.name} {verb} batch {batch.pk} ({batch.log_format}, {batch.status}): "
            f"{batch.records_read} read, {batch.records_parsed} parsed, {batch.records_malformed} malformed, "
            f"{batch.records_matched} matched to AI services"
        )
