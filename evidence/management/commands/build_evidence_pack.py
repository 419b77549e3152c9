"""Build a signed evidence pack for one AI system (optionally a period) or one audit run, and write it to a file."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured, ObjectDoesNotExist
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from audits.selectors import audit_run_list
from core.exceptions import ApplicationError
from evidence.build import deterministic_pack_id, evidence_pack_render, pack_created_at
from evidence.choices import EvidencePackStatus
from evidence.collect import Period
from evidence.pack import EvidencePackError
from evidence.services import evidence_pack_build, evidence_pack_download, evidence_pack_request
from evidence.signing import TimestampUnavailable
from governance.selectors import ai_system_list

if TYPE_CHECKING:  # annotations only: other apps' data is read through their selectors
    from audits.models import AuditRun
    from governance.models import AISystem


class Command(BaseCommand):
    help = (
        "Build a signed evidence pack in this process and write it to --out. Building again with the same "
        "--created-at from the same data gives a byte-identical file."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--system", type=int, help="AI system id.")
        parser.add_argument("--run", type=int, help="Audit run id (a pack for that run only).")
        parser.add_argument("--period", help="START:END, inclusive days, e.g. 2026-01-01:2026-03-31.")
        parser.add_argument(
            "--created-at",
            help="Pack time (ISO 8601, UTC if no offset). Default: the end of --period, else now.",
        )
        parser.add_argument("--out", type=Path, required=True, help="Where to write the ZIP.")
        parser.add_argument(
            "--store",
            action="store_true",
            help="Also keep it as a stored evidence pack (admin/API download; pack time = now, not --created-at).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if bool(options["system"]) == bool(options["run"]):
            raise CommandError("Give exactly one of --system and --run.")
        run = None
        try:
            if options["run"]:
                run = audit_run_list().get(pk=options["run"])
                system = run.definition.ai_system
            else:
                system = ai_system_list().get(pk=options["system"])
        except ObjectDoesNotExist as exc:
            raise CommandError(f"Not found: {exc}") from exc
        try:
            period = Period.parse(options["period"]) if options["period"] else None
        except ValueError as exc:
            raise CommandError(f"--period: {exc}") from exc
        if options["store"]:
            if options["created_at"]:
                raise CommandError("--created-at cannot be used with --store (a stored pack's time is its request).")
            data, summary = self._store(system, run, period)
        else:
            created_at = pack_created_at(self._created_at(options["created_at"], period))
            pack_id = deterministic_pack_id(
                system_id=system.pk, run_id=run.pk if run else None, period=period, created_at=created_at
            )
            try:
                rendered = evidence_pack_render(
                    system=system, created_at=created_at, pack_id=pack_id, period=period, run=run
                )
            except (ImproperlyConfigured, EvidencePackError, TimestampUnavailable) as exc:
                raise CommandError(str(exc)) from exc
            data = rendered.data
            summary = (
                f"pack {pack_id}, created at {created_at.isoformat()}, key {rendered.key_id}, "
                f"{'with' if rendered.timestamped else 'no'} trusted timestamp"
            )
        out: Path = options["out"]
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
        digest = hashlib.sha256(data).hexdigest()
        self.stdout.write(f"Wrote {out} ({len(data)} bytes, sha256 {digest}) for {system.name}: {summary}.")

    @staticmethod
    def _store(system: AISystem, run: AuditRun | None, period: Period | None) -> tuple[bytes, str]:
        try:
            pack = evidence_pack_request(
                ai_system=system,
                audit_run=run,
                period_start=period.start if period else None,
                period_end=period.end if period else None,
                actor=None,
                reason="manage.py build_evidence_pack --store",
                enqueue=False,
            )
            built = evidence_pack_build(pack_id=pack.pk)
        except (ApplicationError, TimestampUnavailable) as exc:
            raise CommandError(str(exc)) from exc
        if built is None or built.status != EvidencePackStatus.BUILT:
            raise CommandError(f"Evidence pack {pack.pk} was not built: {built.error if built else 'gone'}")
        data = evidence_pack_download(pack=built, actor=None, via="command")
        return data, f"stored pack {built.pk} ({built.storage_key}), key {built.key_id}"

    @staticmethod
    def _created_at(text: str | None, period: Period | None) -> datetime:
        if text:
            try:
                moment = datetime.fromisoformat(text)
            except ValueError as exc:
                raise CommandError(f"--created-at: {exc}") from exc
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        if period is not None:
            return period.end_at
        return timezone.now()
