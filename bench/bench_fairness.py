"""Benchmark: plain fairlearn MetricFrame on raw rows vs the compressed path (audits.metrics) vs a pandas groupby.

Synthetic binary-classification outputs (seeded numpy RNG, generated in-process), two sensitive features
(5 race x 2 sex = 10 intersectional groups), the eight group metrics of audits.metrics. Every path produces
by_group + overall + between-groups difference/ratio. The script asserts that all three give identical by-group
numbers and prints the largest absolute difference.

Run:  .venv/bin/python bench/bench_fairness.py [--rows 100000 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sklearn.metrics as skm
from fairlearn import metrics as flm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from audits.metrics import ColumnMapping, compress_frame, compute_fairness

SENSITIVE = ["race", "sex"]
MAPPING = ColumnMapping(y_true="y_true", y_pred="y_pred", sensitive_features=tuple(SENSITIVE))
METRICS = [
    "selection_rate",
    "true_positive_rate",
    "false_positive_rate",
    "false_negative_rate",
    "true_negative_rate",
    "precision_score",
    "accuracy_score",
    "count",
]


def make_data(n: int, seed: int = 2024) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    race = rng.choice(np.array(["Asian", "Black", "Hispanic", "White", "Two or more"]), size=n)
    sex = rng.choice(np.array(["F", "M"]), size=n)
    y_true = (rng.random(n) < 0.3 + 0.1 * (sex == "M")).astype(np.int64)
    score = rng.random(n) * 0.6 + 0.35 * y_true + 0.04 * (race == "White")
    return pd.DataFrame({"race": race, "sex": sex, "y_true": y_true, "y_pred": (score >= 0.5).astype(np.int64)})


def plain_fairlearn(df: pd.DataFrame) -> pd.DataFrame:
    """MetricFrame on every raw row (the constructor also computes overall/min/max/difference/ratio)."""
    metrics = {
        "selection_rate": flm.selection_rate,
        "true_positive_rate": flm.true_positive_rate,
        "false_positive_rate": flm.false_positive_rate,
        "false_negative_rate": flm.false_negative_rate,
        "true_negative_rate": flm.true_negative_rate,
        "precision_score": functools.partial(skm.precision_score, zero_division=np.nan),
        "accuracy_score": skm.accuracy_score,
        "count": flm.count,
    }
    mf = flm.MetricFrame(metrics=metrics, y_true=df["y_true"], y_pred=df["y_pred"], sensitive_features=df[SENSITIVE])
    mf.difference()
    mf.ratio()
    return mf.by_group


def compressed_core(df: pd.DataFrame) -> pd.DataFrame:
    """audits.metrics: compress to cells, then the full compute_fairness (no bootstrap), as the service runs it."""
    result = compute_fairness(df, MAPPING, min_group_size=0, n_boot=0)
    rows = {
        tuple(g.features[f] for f in SENSITIVE): {m: g.metrics[m].value for m in METRICS}
        for g in result.strata[0].groups
    }
    frame = pd.DataFrame.from_dict(rows, orient="index").astype(float)
    frame.index = pd.MultiIndex.from_tuples(frame.index, names=SENSITIVE)
    return frame


def plain_groupby(df: pd.DataFrame) -> pd.DataFrame:
    """Vectorised confusion counts per group with one pandas groupby, then the same rate formulas."""
    yt, yp = df["y_true"].to_numpy(), df["y_pred"].to_numpy()
    counts = pd.DataFrame(
        {"tp": yt & yp, "fp": (1 - yt) & yp, "fn": yt & (1 - yp), "tn": (1 - yt) & (1 - yp)}, index=df.index
    )
    g = counts.groupby([df[c] for c in SENSITIVE], observed=True).sum().astype(float)
    n = g.sum(axis=1)
    p, q = g.tp + g.fn, g.fp + g.tn
    out = pd.DataFrame(
        {
            "selection_rate": (g.tp + g.fp) / n,
            "true_positive_rate": (g.tp / p).where(p > 0, 0.0),
            "false_positive_rate": (g.fp / q).where(q > 0, 0.0),
            "false_negative_rate": (g.fn / p).where(p > 0, 0.0),
            "true_negative_rate": (g.tn / q).where(q > 0, 0.0),
            "precision_score": g.tp / (g.tp + g.fp),
            "accuracy_score": (g.tp + g.tn) / n,
            "count": n,
        }
    )
    _ = out.max() - out.min(), out.min() / out.max()  # difference and ratio, like the other two paths
    return out


def timed(fn: Callable[[pd.DataFrame], Any], df: pd.DataFrame, repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn(df)
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def max_abs_diff(a: pd.DataFrame, b: pd.DataFrame) -> float:
    a, b = a[METRICS].sort_index(), b[METRICS].reindex(a.index)
    both_nan = a.isna() & b.isna()
    diff = (a - b).abs().where(~both_nan, 0.0)
    return float(diff.to_numpy().max()) if not diff.isna().any().any() else float("inf")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3, help="runs per fast path (median); fairlearn runs once")
    args = parser.parse_args()

    print(f"{'rows':>9} | {'fairlearn raw':>13} | {'compressed':>10} | {'groupby':>8} | {'fl/comp':>8} | "
          f"{'comp/groupby':>12} | {'cells':>5} | max |diff| comp-vs-fl, groupby-vs-fl")  # fmt: skip
    for n in args.rows:
        df = make_data(n)
        t_fl, by_fl = timed(plain_fairlearn, df, 1)
        t_comp, by_comp = timed(compressed_core, df, args.repeat)
        t_gb, by_gb = timed(plain_groupby, df, args.repeat)
        d_comp, d_gb = max_abs_diff(by_fl, by_comp), max_abs_diff(by_fl, by_gb)
        cells = len(compress_frame(df, MAPPING).frame)
        print(
            f"{n:>9,} | {t_fl:>12.3f}s | {t_comp:>9.3f}s | {t_gb:>7.3f}s | {t_fl / t_comp:>7.1f}x | "
            f"{t_comp / t_gb:>11.2f}x | {cells:>5} | {d_comp:.1e}, {d_gb:.1e}"
        )
        assert d_comp == 0.0, f"compressed path differs from fairlearn by {d_comp}"
        assert d_gb == 0.0, f"groupby differs from fairlearn by {d_gb}"

    # Breakdown of the compressed path at the largest size, and the cost of the bootstrap on top.
    df = make_data(max(args.rows))
    t_compress, compressed = timed(lambda d: compress_frame(d, MAPPING), df, args.repeat)
    t_full, _ = timed(lambda c: compute_fairness(c, n_boot=0), compressed, args.repeat)
    t_boot, _ = timed(lambda c: compute_fairness(c, n_boot=1000, random_state=0), compressed, 1)
    print(
        f"\ncompressed path at {max(args.rows):,} rows: compress {t_compress:.3f}s, fairlearn on "
        f"{len(compressed.frame)} cells + impact ratios/tests/result {t_full:.3f}s; "
        f"with n_boot=1000 bootstrap: {t_boot:.3f}s"
    )
    print("all by-group numbers identical (max |diff| = 0.0)")


if __name__ == "__main__":
    main()
