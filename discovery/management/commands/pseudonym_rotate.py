"""``manage.py pseudonym_rotate [--queue] [--batch-size N] [--status]``: re-pseudonymise stored rows under the
current key version of the pseudonym key ring (after a key rotation)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from discovery.choices import RotationStatus
from discovery.constants import ROTATION_BATCH
from discovery.selectors import pseudonym_rotation_list
from discovery.services import pseudonym_rotation_start, pseudonym_rotation_step


class Command(BaseCommand):
    help = (
        "Re-derive every stored pseudonym of an older key version under DISCOVERY_PSEUDONYM_KEY_VERSION (usage rows, "
        "alerts, silences, sealed samples), a batch per transaction. Safe to interrupt and run again: it resumes. "
        "--queue hands the batches to the workers instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--queue", action="store_true", help="Start the run on the workers and return.")
        parser.add_argument("--batch-size", type=int, default=ROTATION_BATCH, help=f"Default: {ROTATION_BATCH}.")
        parser.add_argument("--status", action="store_true", help="Show the latest runs and return.")
        parser.add_argument("--reason", default="key rotation", help="Recorded in the audit log.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["status"]:
            for run in pseudonym_rotation_list()[:5]:
                self.stdout.write(self._describe(run))
            return
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        rotation = pseudonym_rotation_start(actor=None, reason=options["reason"], enqueue=options["queue"])
        if options["queue"]:
            self.stdout.write(f"re-pseudonymisation #{rotation.pk} to key version {rotation.to_version} queued")
            return
        while pseudonym_rotation_step(rotation_id=rotation.pk, batch_size=options["batch_size"]):
            rotation.refresh_from_db()
            self.stdout.write(f"  batch {rotation.batches}: {rotation.pseudonyms_converted} pseudonyms converted")
        rotation.refresh_from_db()
        if rotation.status == RotationStatus.FAILED:
            raise CommandError(f"re-pseudonymisation #{rotation.pk} failed: {rotation.error}")
        self.stdout.write(self._describe(rotation))

    @staticmethod
    def _describe(run: Any) -> str:
        text = (
            f"#{run.pk} to v{run.to_version}: {run.status}, {run.pseudonyms_converted} pseudonyms converted, "
            f"{run.pseudonyms_merged} merged, rows {run.rows_converted or {}}, {run.samples_resealed} samples resealed"
        )
        if run.rows_left:
            text += f"; left without identity: {run.rows_left}"
        if run.error:
            text += f"; error: {run.error}"
        return text
