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
from fairlearn.metrics._base_metrics import _get_labels_for_confusion_matrix

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


#: The four rates fairlearn reads off one normalised confusion matrix, in ``.ravel()`` order.
CONFUSION_RATES = ("true_negative_rate", "false_positive_rate", "false_negative_rate", "true_positive_rate")


def confusion_rates(y_true: Any, y_pred: Any, sample_weight: Any = None, pos_label: Any = 1) -> tuple[Any, ...]:
    """fairlearn's ``true_negative_rate``, ``false_positive_rate``, ``false_negative_rate``, ``true_positive_rate``.

    Each of those four fairlearn functions (fairlearn/metrics/_base_metrics.py) makes this same call, scikit-learn's
    ``confusion_matrix(normalize="true")`` with fairlearn's label order, and returns one cell of it; here the call
    is made once and all four cells are returned. test_definitions.py checks the values against the four fairlearn
    functions, bit for bit.
    """
    labels = _get_labels_for_confusion_matrix(np.vstack((y_true, y_pred)), pos_label)
    matrix = skm.confusion_matrix(y_true, y_pred, sample_weight=sample_weight, labels=labels, normalize="true")
    return tuple(matrix.ravel())


def metric_evaluators(task: Task, median: float = 0.0) -> list[tuple[tuple[str, ...], MetricFn]]:
    """The callables that compute the group metrics except ``count``, with the names of the values each returns.

    The same functions as :func:`binary_metrics`/:func:`regression_metrics`, except that the four confusion-matrix
    rates come from one :func:`confusion_rates` call. Every callable takes ``sample_weight``; ``r2_score`` also takes
    ``row_count``.
    """
    if task is not Task.BINARY:
        return [((name,), fn) for name, fn in regression_metrics(median).items() if name != COUNT_METRIC]
    single = {name: fn for name, fn in binary_metrics().items() if name not in (*CONFUSION_RATES, COUNT_METRIC)}
    return [((name,), fn) for name, fn in single.items()] + [(CONFUSION_RATES, confusion_rates)]


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
