"""Quick fairness check of a predictions file; stores nothing. Per-group counts and metrics use fairlearn's names."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audits.metrics import ColumnMapping, compute_fairness, load_outputs


class Command(BaseCommand):
    help = (
        "Audit a CSV / CSV.gz / Parquet file of model outputs without storing anything: per-group counts, "
        "fairlearn metrics (selection_rate, true_positive_rate, ...), impact ratios and aggregates."
    )
    # no database, nothing stored: the system checks (URLconf, admin, API schema imports: ~1 s) buy it nothing
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--y-true", required=True, help="Column with the true outcome.")
        parser.add_argument(
            "--y-pred", required=True, help="Column with the prediction (label, or score with --threshold)."
        )
        parser.add_argument(
            "--sensitive", action="append", required=True, help="Sensitive feature column (repeatable)."
        )
        parser.add_argument("--threshold", type=float, help="Treat --y-pred as a score: selected = score >= T.")
        parser.add_argument("--pos-label", default="1", help="Label meaning selected/positive (default 1).")
        parser.add_argument("--min-group-size", type=int, default=30)
        parser.add_argument("--n-boot", type=int, default=0, help="Bootstrap replicates for CIs (default none).")
        parser.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        from audits.validation import parse_pos_label

        score = options["threshold"] is not None
        try:
            mapping = ColumnMapping(
                y_true=options["y_true"],
                y_pred=None if score else options["y_pred"],
                y_score=options["y_pred"] if score else None,
                threshold=options["threshold"],
                sensitive_features=tuple(options["sensitive"]),
                pos_label=parse_pos_label(options["pos_label"]),
            )
            compressed = load_outputs(options["file"], mapping=mapping)
            result = compute_fairness(compressed, min_group_size=options["min_group_size"], n_boot=options["n_boot"])
        except (OSError, ValueError, KeyError) as exc:
            raise CommandError(str(exc)) from exc
        stratum = result.strata[0]
        out = {
            "file": options["file"],
            "n_rows": result.n_rows,
            "n_rows_excluded": result.n_rows_excluded,
            "fairlearn_version": result.fairlearn_version,
            "sensitive_features": result.sensitive_features,
            "reference_group": stratum.reference_group,
            "overall": stratum.overall,
            "by_group": {
                g.group: {
                    "count": g.count,
                    **{name: est.value for name, est in g.metrics.items() if name != "count"},
                    "impact_ratio": g.impact_ratio.value if g.impact_ratio else None,
                    "eligible": g.eligible,
                    "verdict": g.verdict,
                }
                for g in stratum.groups
            },
            "aggregates": {name: est.value for name, est in stratum.aggregates.items()},
            "verdict": result.verdicts.overall,
        }
        if options["json"]:
            self.stdout.write(json.dumps(out, indent=2, default=str))
            return
        self.stdout.write(
            f"{result.n_rows} rows, verdict {result.verdicts.overall}, reference {stratum.reference_group}"
        )
        for group, row in out["by_group"].items():
            ir = row["impact_ratio"]
            self.stdout.write(
                f"  {group:<24} n={row['count']:<8} selection_rate={row['selection_rate']!s:<22} impact_ratio={ir}"
            )
