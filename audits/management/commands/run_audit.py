"""Run one audit definition synchronously and print the stored run (``--json``) or a summary."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audits.api.serializers import AuditRunDetailSerializer
from audits.choices import RunStatus, RunTrigger
from audits.models import AuditDefinition
from audits.services import audit_run_execute, audit_run_request


class Command(BaseCommand):
    help = "Run one fairness audit now, in this process (no Celery), and print the result."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("definition_id", type=int)
        parser.add_argument("--json", action="store_true", help="Print the stored run as JSON (as the API does).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            definition = AuditDefinition.objects.get(pk=options["definition_id"])
        except AuditDefinition.DoesNotExist as exc:
            raise CommandError(f"No audit definition with id {options['definition_id']}.") from exc
        run = audit_run_request(
            definition=definition, actor=None, reason="manage.py run_audit", trigger=RunTrigger.COMMAND, enqueue=False
        )
        executed = audit_run_execute(run_id=run.pk)
        if executed is None:
            raise CommandError(f"Run {run.pk} was claimed by another worker.")
        if options["json"]:
            self.stdout.write(json.dumps(AuditRunDetailSerializer(executed).data, indent=2, default=str))
        elif executed.status == RunStatus.SUCCEEDED:
            self.stdout.write(
                f"Run {executed.pk}: {executed.verdict} ({executed.row_count} rows, sha256 {executed.input_sha256})"
            )
        else:
            self.stdout.write(f"Run {executed.pk} failed: {executed.error}")
        if executed.status == RunStatus.FAILED:
            raise CommandError(f"Audit run {executed.pk} failed: {executed.error}")
