"""Metric callables handed to ``fairlearn.metrics.MetricFrame``, keyed by their stable result names.

Names follow fairlearn/scikit-learn function names (``selection_rate``, ``true_positive_rate``, ``precision_score``,
``accuracy_score``, ``r2_score``, ``mean_prediction``, ...), which is also how fairlearn names its derived metrics
(``accuracy_score_difference``, ``r2_score_group_min``). Every callable takes ``sample_weight`` so that the
compressed cells (weight = row count x sample weight) give exactly the row-level numbers.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import sklearn.metrics as skm
from fairlearn.metrics import (
    false_negative_rate,
    false_positive_rate,
    mean_prediction,
    selection_rate,
    true_negative_rate,
    true_positive_rate,
)

from audits.metrics.schema import Task

MetricFn = Callable[..., Any]

SELECTION_RATE = "selection_rate"
SCORING_RATE = "scoring_rate"
COUNT_METRIC = "count"


def count(y_true: Any, y_pred: Any, sample_weight: Any) -> float:
    """Number of input rows in the group (fairlearn's ``count`` on raw rows; here the sum of cell multiplicities)."""
    return float(np.sum(sample_weight))


def scoring_rate(y_true: Any, y_pred: Any, sample_weight: Any = None, *, median: float) -> float:
    """NYC LL144 scoring rate (6 RCNY §5-300): share of the group scoring above the sample's median score.

    Computed by fairlearn's ``selection_rate`` on ``score > median``.
    """
    return float(selection_rate(y_true, np.asarray(y_pred) > median, pos_label=True, sample_weight=sample_weight))


def r2_score(y_true: Any, y_pred: Any, sample_weight: Any, row_count: Any) -> float:
    """scikit-learn ``r2_score`` that sees a single compressed cell of n >= 2 identical rows as those n rows.

    scikit-learn returns NaN for fewer than two samples but 1.0/0.0 (``force_finite``) for a constant target, so a
    group made of one cell needs two half-weight copies of it to give the row-level answer.
    """
    y_t, y_p, w = np.asarray(y_true), np.asarray(y_pred), np.asarray(sample_weight, dtype=np.float64)
    if len(y_t) == 1 and float(np.sum(row_count)) >= 2:
        y_t, y_p, w = np.repeat(y_t, 2), np.repeat(y_p, 2), np.repeat(w / 2, 2)
    return float(skm.r2_score(y_t, y_p, sample_weight=w))


def binary_metrics() -> dict[str, MetricFn]:
    """Group metrics for binary classification (EU AI Act Art. 10(2)(f); LL144 §5-301 selection rates)."""
    return {
        SELECTION_RATE: selection_rate,
        "true_positive_rate": functools.partial(true_positive_rate, pos_label=1),
        "false_positive_rate": functools.partial(false_positive_rate, pos_label=1),
        "false_negative_rate": functools.partial(false_negative_rate, pos_label=1),
        "true_negative_rate": functools.partial(true_negative_rate, pos_label=1),
        # NaN, not 0, when a group has no positive predictions: precision is undefined there (JSON null).
        "precision_score": functools.partial(skm.precision_score, zero_division=np.nan),
        "accuracy_score": skm.accuracy_score,
        COUNT_METRIC: count,
    }


def regression_metrics(median: float) -> dict[str, MetricFn]:
    """Group metrics for regression/scoring models (Art. 10(2)(f); LL144 scoring rate against ``median``)."""
    return {
        "mean_absolute_error": skm.mean_absolute_error,
        "mean_squared_error": skm.mean_squared_error,
        "r2_score": r2_score,
        "mean_prediction": mean_prediction,
        SCORING_RATE: functools.partial(scoring_rate, median=median),
        COUNT_METRIC: count,
    }


def metric_names(task: Task) -> list[str]:
    """Stable metric keys for ``task``, in output order."""
    return list(binary_metrics() if task is Task.BINARY else regression_metrics(0.0))


def rate_metric(task: Task) -> str:
    """The rate an impact ratio is built on: LL144 selection rate (binary) or scoring rate (regression)."""
    return SELECTION_RATE if task is Task.BINARY else SCORING_RATE
