"""``manage.py classify --facts FILE.json [--law VERSION] [--as-of DATE] --json``: run the engine on a facts file
without touching the database."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from governance.classification import (
    FactsValidationError,
    classify,
    facts_from_dict,
    list_law_versions,
    result_to_dict,
)
from governance.constants import DEFAULT_LAW_VERSION


class Command(BaseCommand):
    help = "Classify a facts JSON file under the EU AI Act and print the result (no database access)."
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
        self.stdout.write(f"Risk class: {result.risk_class.value} ({result.law_version}, as of {as_of.isoformat()})")
        for step in result.rationale:
            self.stdout.write(f"  {step.provision} [{step.outcome.value}] {step.reason}")
        for ob in result.obligations:
            extra = f" — {ob.deadline_text}" if ob.deadline_text else ""
            self.stdout.write(f"  * {ob.article} from {ob.applies_from.isoformat()}: {ob.duty}{extra}")

    def stdin_read(self) -> str:
        import sys

        return sys.stdin.read()
