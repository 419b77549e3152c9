"""Benchmark, as a user runs it: ``manage.py audit_file`` on a predictions CSV, in a fresh process (start-up included),
next to a plain script run the same way that imports fairlearn.metrics and pandas, reads the CSV and groups the
confusion counts per intersectional group (the least a hand-written audit does).

Data: a CSV shaped like a real model-output export: an applicant id, a timestamp, a score, the label and the
prediction, two sensitive features (5 races x 3 sexes, "Unknown"/blank in 0.2% of rows), a free-text column,
seeded. The headline is the ratio of wall times (median of rounds, alternating); the in-process figure
(load_outputs + compute_fairness, start-up excluded) is the second line.

Run:  .venv/bin/python bench/bench_audit_file.py [--rows 1000000] [--rounds 3]
Target (issue 15): audit_file <= 1.2x the plain script.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BASELINE = textwrap.dedent(
    """
    import sys
    import pandas as pd
    from fairlearn import metrics  # noqa: F401  (what a hand-written audit imports)

    df = pd.read_csv(sys.argv[1], usecols=["y_true", "y_pred", "race", "sex"])
    df = df.dropna(subset=["race", "sex"])
    yt, yp = df["y_true"].to_numpy(), df["y_pred"].to_numpy()
    df["tp"], df["fp"] = yt & yp, (1 - yt) & yp
    df["fn"], df["tn"] = yt & (1 - yp), (1 - yt) & (1 - yp)
    counts = df.groupby(["race", "sex"])[["tp", "fp", "fn", "tn"]].sum()
    rate = (counts.tp + counts.fp) / counts.sum(axis=1)
    print(len(df), round(float(rate.min() / rate.max()), 4))
    """
)


def write_csv(path: Path, rows: int, seed: int = 2024) -> None:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    race = rng.choice(np.array(["Asian", "Black", "Hispanic", "White", "Two or more"], dtype=object), size=rows)
    sex = rng.choice(np.array(["F", "M", "X"], dtype=object), size=rows, p=[0.49, 0.49, 0.02])
    unknown = rng.random(rows) < 0.002
    race[unknown] = ""
    y_true = (rng.random(rows) < 0.3 + 0.1 * (sex == "M")).astype(np.int64)
    score = np.round(rng.random(rows) * 0.6 + 0.35 * y_true + 0.04 * (race == "White"), 4)
    start = np.datetime64("2026-01-01T00:00:00")
    frame = pd.DataFrame(
        {
            "applicant_id": [f"A{n:08d}" for n in rng.permutation(rows)],
            "scored_at": (start + rng.integers(0, 300 * 86400, size=rows).astype("timedelta64[s]")).astype(str),
            "score": score,
            "y_true": y_true,
            "y_pred": (score >= 0.5).astype(np.int64),
            "race": race,
            "sex": sex,
            "note": rng.choice(np.array(["", "manual review", "re-scored, model 1.4", "appeal"]), size=rows),
        }
    )
    frame.to_csv(path, index=False)


def run(cmd: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    with tempfile.TemporaryDirectory(prefix="bench-audit-file-") as tmp:
        csv = Path(tmp) / "outputs.csv"
        write_csv(csv, args.rows)
        env["DATA_DIR"] = tmp
        script = Path(tmp) / "baseline.py"
        script.write_text(BASELINE)
        candidate = [
            sys.executable,
            "manage.py",
            "audit_file",
            str(csv),
            "--y-true",
            "y_true",
            "--y-pred",
            "y_pred",
            "--sensitive",
            "race",
            "--sensitive",
            "sex",
            "--json",
        ]
        baseline = [sys.executable, str(script), str(csv)]
        run(baseline, env)  # warm the page cache and the bytecode of both
        run(candidate, env)
        ours, theirs = [], []
        for _ in range(args.rounds):
            theirs.append(run(baseline, env))
            ours.append(run(candidate, env))
        ours_s, theirs_s = statistics.median(ours), statistics.median(theirs)
        print(f"{args.rows:,} rows, {csv.stat().st_size / 2**20:.0f} MiB CSV, median of {args.rounds} rounds")
        print(f"  plain pandas+fairlearn script process  {theirs_s:6.2f} s")
        print(f"  manage.py audit_file process           {ours_s:6.2f} s   {ours_s / theirs_s:.2f}x the script")

        sys.path.insert(0, str(ROOT))
        from audits.metrics import ColumnMapping, compute_fairness, load_outputs

        mapping = ColumnMapping(y_true="y_true", y_pred="y_pred", sensitive_features=("race", "sex"))
        started = time.perf_counter()
        result = compute_fairness(load_outputs(str(csv), mapping=mapping), min_group_size=30)
        inside = time.perf_counter() - started
        print(f"  in process (load_outputs + compute_fairness, no start-up): {inside:.2f} s, {result.n_rows:,} rows")


if __name__ == "__main__":
    main()
