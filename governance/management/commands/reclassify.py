"""``manage.py reclassify --law <version> [--as-of DATE] [--dry-run]``: re-run every system, print what changes."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import track

from governance.classification import list_law_versions
from governance.models import AISystem
from governance.services import ReclassifyOutcome, ai_systems_reclassify


def _parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--as-of must be YYYY-MM-DD, got {value!r}") from exc


def format_outcome(outcome: ReclassifyOutcome) -> list[str]:
    """Human-readable lines for one system's diff (class, obligations added/removed/changed, dates)."""
    name = outcome.system.name
    if outcome.diff is None:
        return [f"{name}: first classification → {outcome.new_risk_class}"]
    diff = outcome.diff
    if not diff["changed"]:
        return [f"{name}: unchanged ({outcome.new_risk_class})"]
    lines = [f"{name}: changed"]
    if diff["risk_class"]:
        lines.append(f"  class: {diff['risk_class']['old']} → {diff['risk_class']['new']}")
    for flag, values in diff["flags"].items():
        lines.append(f"  {flag}: {values['old']} → {values['new']}")
    roles = diff["effective_roles"]
    if roles["added"] or roles["removed"]:
        lines.append(f"  roles: +{roles['added']} -{roles['removed']}")
    lines += [f"  + {o['article']} ({o['id']}) from {o['applies_from']}" for o in diff["obligations_added"]]
    lines += [f"  - {o['article']} ({o['id']})" for o in diff["obligations_removed"]]
    for o in diff["obligations_changed"]:
        parts = [f"{k}: {v['old']} → {v['new']}" for k, v in o["changes"].items()]
        lines.append(f"  ~ {o['article']} ({o['id']}): {'; '.join(parts)}")
    return lines


class Command(BaseCommand):
    help = "Re-classify every AI system under a law version and print the diff against its latest record."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--law", required=True, choices=list_law_versions(), help="Law version to apply.")
        parser.add_argument("--as-of", type=_parse_date, default=None, help="Date to evaluate at (default today).")
        parser.add_argument("--dry-run", action="store_true", help="Show the diff; store nothing.")
        parser.add_argument("--json", action="store_true", help="Print the diffs as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        systems = list(AISystem.objects.order_by("name"))
        # progress goes to stderr so stdout stays a clean report (or JSON)
        progress = track(
            systems,
            description="Reclassifying",
            console=Console(stderr=True),
            disable=options["json"] or not systems or options["verbosity"] < 1,
        )
        outcomes = ai_systems_reclassify(
            actor=None, law_version=options["law"], as_of=options["as_of"], dry_run=options["dry_run"], systems=progress
        )
        if options["json"]:
            payload = [{"system": o.system.name, "new_risk_class": o.new_risk_class, "diff": o.diff} for o in outcomes]
            self.stdout.write(json.dumps(payload, indent=2))
            return
        for outcome in outcomes:
            for line in format_outcome(outcome):
                self.stdout.write(line)
        changed = sum(1 for o in outcomes if o.diff is None or o.diff["changed"])
        mode = "dry run, nothing stored" if options["dry_run"] else "records stored"
        self.stdout.write(f"{len(outcomes)} system(s), {changed} changed ({mode}).")
