"""The shared confusion-matrix call gives exactly fairlearn's four rate functions."""

from __future__ import annotations

import numpy as np
import pytest
from fairlearn import metrics as flm

from audits.metrics.definitions import CONFUSION_RATES, confusion_rates, metric_evaluators, metric_names
from audits.metrics.schema import Task

FAIRLEARN_RATES = {
    "true_negative_rate": flm.true_negative_rate,
    "false_positive_rate": flm.false_positive_rate,
    "false_negative_rate": flm.false_negative_rate,
    "true_positive_rate": flm.true_positive_rate,
}


@pytest.mark.parametrize(
    ("y_true", "y_pred", "weight"),
    [
        pytest.param([0, 1, 1, 0, 1, 0], [0, 1, 0, 1, 1, 0], None, id="mixed"),
        pytest.param([0, 1, 1, 0, 1, 0], [0, 1, 0, 1, 1, 0], [3.0, 1.0, 7.0, 2.0, 11.0, 5.0], id="counts-as-weights"),
        pytest.param([0, 1, 1, 0], [0, 1, 0, 1], [0.5, 1.7, 3.25, 0.1], id="real-weights"),
        pytest.param([1, 1, 1], [1, 0, 1], [2.0, 5.0, 1.0], id="only-positive-outcomes"),
        pytest.param([0, 0], [0, 1], [4.0, 9.0], id="only-negative-outcomes"),
        pytest.param([1], [1], [12.0], id="one-positive-cell"),
        pytest.param([0], [0], [12.0], id="one-negative-cell"),
        pytest.param([1, 1], [0, 0], None, id="no-positive-prediction"),
    ],
)
def test_confusion_rates_equal_fairlearns_four_rate_functions_bit_for_bit(y_true, y_pred, weight):
    # given
    yt, yp = np.array(y_true, dtype=np.int8), np.array(y_pred, dtype=np.int8)
    w = None if weight is None else np.array(weight)

    # when
    ours = dict(zip(CONFUSION_RATES, confusion_rates(yt, yp, sample_weight=w), strict=True))

    # then
    for name, fn in FAIRLEARN_RATES.items():
        expected = fn(yt, yp, sample_weight=w, pos_label=1)
        assert ours[name] == expected or (np.isnan(expected) and np.isnan(ours[name])), name


@pytest.mark.parametrize("task", list(Task))
def test_evaluators_cover_every_metric_but_count_once(task):
    # when
    names = [name for names, _ in metric_evaluators(task) for name in names]

    # then
    assert sorted(names) == sorted(n for n in metric_names(task) if n != "count")
