"""Synthetic model outputs for the fairness-core tests (seeded, generated in-process)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

MakeOutputs = Callable[..., pd.DataFrame]


def _make_outputs(
    seed: int,
    n: int = 3000,
    *,
    task: str = "binary",
    weights: bool = False,
    n_sex: int = 2,
    n_race: int = 4,
    control: bool = False,
) -> pd.DataFrame:
    """Outputs with group-dependent selection/true-positive rates, so groups really differ."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(np.array(["F", "M", "X"][:n_sex]), size=n, p=None)
    race = rng.choice(np.array(["Asian", "Black", "Hispanic, Latino", "White", "Two\\More"][:n_race]), size=n)
    base = 0.3 + 0.1 * (sex == "M") + 0.05 * (race == "White")
    y_true = rng.random(n) < base
    df = pd.DataFrame({"sex": sex, "race": race})
    if task == "binary":
        score = rng.random(n) * 0.6 + 0.35 * y_true + 0.05 * (sex == "M")
        df["y_true"] = y_true.astype(int)
        df["score"] = score
        df["y_pred"] = (score >= 0.5).astype(int)
    else:
        # Scores rounded to a grid so that cells repeat and compression has something to do.
        df["y_true"] = np.round(rng.normal(50 + 5 * (sex == "M"), 10, n))
        df["y_pred"] = np.round(df["y_true"] + rng.normal(0, 5, n))
    if weights:
        df["w"] = rng.choice(np.array([0.5, 1.0, 1.7, 3.25]), size=n)
    if control:
        df["site"] = rng.choice(np.array(["berlin", "nyc"]), size=n)
    return df


@pytest.fixture
def make_outputs() -> MakeOutputs:
    return _make_outputs
