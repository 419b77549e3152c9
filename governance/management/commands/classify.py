"""``manage.py classify --facts FILE.json [--law VERSION] [--as-of DATE] --json``: run the engine on a facts file
without touching the database."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from governance.classification import (
    ClassificationResult,
    FactsValidationError,
    classify,
    facts_from_dict,
    list_law_versions,
    result_to_dict,
)
from governance.constants import DEFAULT_LAW_VERSION


class Command(BaseCommand):
    help = (
        "Classify a facts JSON file under the EU AI Act and print the result, its status (complete/incomplete) and "
        "the open questions (no database access, no SECRET_KEY needed)."
    )
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--facts", required=True, help="Path to a facts JSON file ('-' for stdin).")
        parser.add_argument("--law", default=DEFAULT_LAW_VERSION, choices=list_law_versions())
        parser.add_argument("--as-of", default=None, help="YYYY-MM-DD (default today).")
        parser.add_argument("--json", action="store_true", help="Print the full result as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            raw = Path(options["facts"]).read_text() if options["facts"] != "-" else self.stdin_read()
            data = json.loads(raw)
        except (OSError, json.JSONDecodeError) as exc:
            raise CommandError(f"cannot read facts: {exc}") from exc
        try:
            as_of = date.fromisoformat(options["as_of"]) if options["as_of"] else date.today()
        except ValueError as exc:
            raise CommandError(f"--as-of must be YYYY-MM-DD, got {options['as_of']!r}") from exc
        if not isinstance(data, dict):
            raise CommandError("the facts file must hold a JSON object")
        try:
            facts = facts_from_dict(data)
        except FactsValidationError as exc:
            raise CommandError("invalid facts:\n  " + "\n  ".join(exc.errors)) from exc
        result = classify(facts, law_version=options["law"], as_of=as_of)
        if options["json"]:
            self.stdout.write(json.dumps(result_to_dict(result), indent=2))
            return
        self.write_text(result)

    def write_text(self, result: ClassificationResult) -> None:
        """The result for a reader: class and status, flags, rationale, obligations, open questions and notes."""
        out = self.stdout.write
        out(f"Risk class: {result.risk_class.value} ({result.law_version}, as of {result.as_of.isoformat()})")
        out(f"Status: {result.status.value}" + ("" if result.is_complete else f" - {result.summary}"))
        flags = [
            name
            for name, on in (
                ("FRIA required (Art. 27)", result.fria_required),
                ("GPAI model", result.is_gpai_model),
                ("GPAI systemic risk", result.gpai_systemic_risk),
                ("Art. 6(3) derogation", result.art_6_3_derogation_applied),
                ("Art. 6(3) assessment to document and register", result.art_6_3_derogation_record_required),
            )
            if on
        ]
        if result.pending_prohibited_practices:
            flags.append("ban not yet in force: " + ", ".join(result.pending_prohibited_practices))
        if flags:
            out("Flags: " + "; ".join(flags))
        if result.effective_roles:
            out("Roles: " + ", ".join(r.value for r in result.effective_roles))
        out("Rationale:")
        for step in result.rationale:
            out(f"  {step.provision} [{step.outcome.value}] {step.reason}")
        out("Obligations:" if result.obligations else "Obligations: none")
        for ob in result.obligations:
            extra = f" — {ob.deadline_text}" if ob.deadline_text else ""
            pending = "" if ob.in_force_on_as_of else " (not yet in force)"
            out(f"  * {ob.article} from {ob.applies_from.isoformat()}{pending}: {ob.duty}{extra}")
        if result.open_questions:
            out("Open questions (each answered alone):")
            for q in result.open_questions:
                out(f"  ? {q.title} [{q.text}]")
        if result.notes:
            out("Notes:")
            for note in result.notes:
                out(f"  - {note}")

    def stdin_read(self) -> str:
        import sys

        return sys.stdin.read()
