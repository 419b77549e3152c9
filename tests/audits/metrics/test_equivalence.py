"""The compressed computation gives fairlearn's numbers on the raw rows, for every metric and aggregate."""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn.metrics as skm
from fairlearn import metrics as flm
from fairlearn.utils._input_validation import _merge_columns
from sklearn.exceptions import UndefinedMetricWarning

from audits.metrics import ColumnMapping, Task, compress_frame, compute_fairness, group_key
from audits.metrics.bootstrap import group_metrics_from_counts, median_from_counts
from audits.metrics.compress import COUNT, Y_PRED, Y_TRUE

REL = 1e-12

BINARY_CASES = [
    # seed, n, weights, sensitive features, n_sex, n_race, control
    pytest.param(0, 3000, False, ("sex",), 2, 1, False, id="one-feature"),
    pytest.param(1, 3000, True, ("sex", "race"), 2, 4, False, id="weighted-intersectional"),
    pytest.param(2, 5000, False, ("sex", "race"), 3, 5, False, id="intersectional-3x5"),
    pytest.param(3, 4000, True, ("race", "sex"), 3, 4, True, id="weighted-control"),
    pytest.param(4, 40, True, ("sex", "race"), 3, 5, False, id="tiny-with-empty-intersections"),
]


def _raw_binary_frame(df: pd.DataFrame, sensitive: tuple[str, ...], weighted: bool, control: bool) -> flm.MetricFrame:
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
    params = {name: {"sample_weight": df["w"].to_numpy()} for name in metrics if name != "count"} if weighted else None
    return flm.MetricFrame(
        metrics=metrics,
        y_true=df["y_true"],
        y_pred=df["y_pred"],
        sensitive_features=df[list(sensitive)],
        control_features=df[["site"]] if control else None,
        sample_params=params,
    )


def _raw_key(index_value: object, n_sensitive: int, control: bool) -> tuple[str | None, str]:
    values = index_value if isinstance(index_value, tuple) else (index_value,)
    ctrl = str(values[0]) if control else None
    return ctrl, group_key([str(v) for v in values[-n_sensitive:]])


@pytest.mark.parametrize(("seed", "n", "weighted", "sensitive", "n_sex", "n_race", "control"), BINARY_CASES)
def test_compressed_binary_metrics_equal_plain_fairlearn_on_raw_rows(
    make_outputs, seed, n, weighted, sensitive, n_sex, n_race, control
):
    # given
    df = make_outputs(seed, n, weights=weighted, n_sex=n_sex, n_race=n_race, control=control)
    mapping = ColumnMapping(
        y_true="y_true",
        y_pred="y_pred",
        sensitive_features=sensitive,
        sample_weight="w" if weighted else None,
        control_feature="site" if control else None,
    )
    raw = _raw_binary_frame(df, sensitive, weighted, control)

    # when
    result = compute_fairness(df, mapping, min_group_size=0, n_boot=0)

    # then
    ours = {(s.control, g.group): g for s in result.strata for g in s.groups}
    assert len(ours) == len(raw.by_group)
    for index_value, row in raw.by_group.iterrows():
        group = ours[_raw_key(index_value, len(sensitive), control)]
        for name, expected in row.items():
            got = group.metrics[name].value
            if name == "count":
                assert group.count == (0 if np.isnan(expected) else expected)
            elif np.isnan(expected):
                assert got is None
            elif weighted:
                assert got == pytest.approx(expected, rel=REL)
            else:  # integer counts as weights: the very same floating-point operations
                assert got == expected
    for stratum in result.strata:
        overall = raw.overall if stratum.control is None else raw.overall.loc[stratum.control]
        for name, expected in overall.items():
            assert stratum.overall[name] == pytest.approx(expected, rel=REL)
        difference = raw.difference() if stratum.control is None else raw.difference().loc[stratum.control]
        ratio = raw.ratio() if stratum.control is None else raw.ratio().loc[stratum.control]
        for name in difference.index:
            if name != "count":
                assert stratum.aggregates[f"{name}_difference"].value == pytest.approx(difference[name], rel=REL)
                assert stratum.aggregates[f"{name}_ratio"].value == pytest.approx(ratio[name], rel=REL, nan_ok=True)


@pytest.mark.parametrize(("seed", "weighted", "sensitive"), [(10, False, ("sex",)), (11, True, ("sex", "race"))])
def test_named_aggregates_equal_fairlearn_derived_metrics(make_outputs, seed, weighted, sensitive):
    # given
    df = make_outputs(seed, 4000, weights=weighted)
    mapping = ColumnMapping(
        y_true="y_true", y_pred="y_pred", sensitive_features=sensitive, sample_weight="w" if weighted else None
    )
    kwargs = {"sensitive_features": df[list(sensitive)], "sample_weight": df["w"] if weighted else None}
    y_true, y_pred = df["y_true"], df["y_pred"]
    expected = {
        "demographic_parity_difference": flm.demographic_parity_difference(y_true, y_pred, **kwargs),
        "demographic_parity_ratio": flm.demographic_parity_ratio(y_true, y_pred, **kwargs),
        "equalized_odds_difference": flm.equalized_odds_difference(y_true, y_pred, **kwargs),
        "equalized_odds_ratio": flm.equalized_odds_ratio(y_true, y_pred, **kwargs),
        "equal_opportunity_difference": flm.equal_opportunity_difference(y_true, y_pred, **kwargs),
        "equal_opportunity_ratio": flm.equal_opportunity_ratio(y_true, y_pred, **kwargs),
    }

    # when
    aggregates = compute_fairness(df, mapping, min_group_size=0, n_boot=0).strata[0].aggregates

    # then
    for name, value in expected.items():
        assert aggregates[name].value == pytest.approx(value, rel=REL)


def _raw_regression_frame(df: pd.DataFrame, sensitive: list[str], weighted: bool) -> flm.MetricFrame:
    median = float(np.median(df["y_pred"]))
    metrics = {
        "mean_absolute_error": skm.mean_absolute_error,
        "mean_squared_error": skm.mean_squared_error,
        "r2_score": skm.r2_score,
        "mean_prediction": flm.mean_prediction,
        "scoring_rate": lambda y_t, y_p, sample_weight=None: flm.selection_rate(
            y_t, np.asarray(y_p) > median, pos_label=True, sample_weight=sample_weight
        ),
        "count": flm.count,
    }
    params = {name: {"sample_weight": df["w"].to_numpy()} for name in metrics if name != "count"} if weighted else None
    return flm.MetricFrame(
        metrics=metrics,
        y_true=df["y_true"],
        y_pred=df["y_pred"],
        sensitive_features=df[sensitive],
        sample_params=params,
    )


@pytest.mark.parametrize(("seed", "n", "weighted"), [(20, 3000, False), (21, 3000, True), (22, 500, False)])
def test_compressed_regression_metrics_equal_plain_fairlearn_on_raw_rows(make_outputs, seed, n, weighted):
    # given
    df = make_outputs(seed, n, task="regression", weights=weighted)
    mapping = ColumnMapping(
        y_true="y_true", y_pred="y_pred", sensitive_features=("sex", "race"), sample_weight="w" if weighted else None
    )
    raw = _raw_regression_frame(df, ["sex", "race"], weighted)

    # when
    result = compute_fairness(df, mapping, task=Task.REGRESSION, min_group_size=0, n_boot=0)

    # then
    stratum = result.strata[0]
    assert stratum.scoring_median == np.median(df["y_pred"])
    assert result.n_cells < n  # the grid-rounded scores repeat
    groups = {g.group: g for g in stratum.groups}
    for index_value, row in raw.by_group.iterrows():
        group = groups[group_key([str(v) for v in index_value])]
        for name, expected in row.items():
            assert group.metrics[name].value == pytest.approx(expected, rel=1e-10 if name == "r2_score" else REL)
    for name, expected in raw.overall.items():
        assert stratum.overall[name] == pytest.approx(expected, rel=1e-10 if name == "r2_score" else REL)


@pytest.mark.parametrize(
    ("y_true", "y_pred", "expected"),
    [
        pytest.param([3.0, 3.0, 3.0], [3.0, 3.0, 3.0], 1.0, id="constant-target-perfect"),
        pytest.param([3.0, 3.0], [4.0, 4.0], 0.0, id="constant-target-imperfect"),
        pytest.param([3.0], [4.0], None, id="single-row"),
    ],
)
def test_r2_of_a_group_made_of_one_cell_matches_the_rows(y_true, y_pred, expected):
    # given
    df = pd.DataFrame({"y": y_true, "p": y_pred, "g": "a"})
    mapping = ColumnMapping(y_true="y", y_pred="p", sensitive_features="g")

    # when
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)  # sklearn warns on one row, on raw rows too
        group = compute_fairness(df, mapping, task="regression", min_group_size=0, n_boot=0).strata[0].groups[0]
        on_rows = skm.r2_score(y_true, y_pred)

    # then
    assert group.metrics["r2_score"].value == expected
    assert np.isnan(on_rows) if expected is None else on_rows == expected


@pytest.mark.parametrize(
    "values",
    [("F", "Black"), ("a,b", "c"), ("back\\slash", "x,y\\z"), ("solo",), ("1", "2", "3")],
)
def test_group_key_joins_values_like_fairlearn_merge_columns(values):
    # given
    expected = values[0] if len(values) == 1 else _merge_columns(np.array([values]))[0]

    # when
    key = group_key(values)

    # then
    assert key == expected


@pytest.mark.parametrize(("task", "weighted"), [("binary", False), ("binary", True), ("regression", True)])
def test_bootstrap_engine_equals_fairlearn_on_a_resampled_data_set(make_outputs, task, weighted):
    # given: a multinomial draw over the cells, and the same draw as expanded raw rows
    df = make_outputs(30, 2000, task=task, weights=weighted)
    mapping = ColumnMapping(
        y_true="y_true", y_pred="y_pred", sensitive_features=("sex", "race"), sample_weight="w" if weighted else None
    )
    compressed = compress_frame(df, mapping, task=task)
    frame = compressed.frame
    counts = compressed.counts
    draw = np.random.default_rng(5).multinomial(int(counts.sum()), counts / counts.sum())
    rows = frame.loc[np.repeat(frame.index, draw)].reset_index(drop=True)
    unit_weight = compressed.sample_weight / counts
    groups = pd.MultiIndex.from_frame(frame[["sex", "race"]])
    levels = groups.unique().sort_values()
    sample_weight = np.repeat(unit_weight, draw)
    sw_params = {"sample_weight": sample_weight}
    if task == "binary":
        expected_frame = flm.MetricFrame(
            metrics={
                "selection_rate": flm.selection_rate,
                "true_positive_rate": flm.true_positive_rate,
                "false_positive_rate": flm.false_positive_rate,
                "precision_score": functools.partial(skm.precision_score, zero_division=np.nan),
                "accuracy_score": skm.accuracy_score,
            },
            y_true=rows[Y_TRUE],
            y_pred=rows[Y_PRED],
            sensitive_features=rows[["sex", "race"]],
            sample_params=dict.fromkeys(
                ["selection_rate", "true_positive_rate", "false_positive_rate", "precision_score", "accuracy_score"],
                sw_params,
            ),
        )
    else:
        median = float(np.median(rows[Y_PRED]))
        expected_frame = flm.MetricFrame(
            metrics={
                "mean_absolute_error": skm.mean_absolute_error,
                "r2_score": skm.r2_score,
                "scoring_rate": lambda y_t, y_p, sample_weight: flm.selection_rate(
                    y_t, np.asarray(y_p) > median, pos_label=True, sample_weight=sample_weight
                ),
            },
            y_true=rows[Y_TRUE],
            y_pred=rows[Y_PRED],
            sensitive_features=rows[["sex", "race"]],
            sample_params=dict.fromkeys(["mean_absolute_error", "r2_score", "scoring_rate"], sw_params),
        )

    # when
    got = group_metrics_from_counts(
        compressed.task,
        frame[Y_TRUE].to_numpy(dtype=float),
        frame[Y_PRED].to_numpy(dtype=float),
        unit_weight,
        levels.get_indexer(groups),
        len(levels),
        draw[None, :],
    )

    # then
    for name, column in expected_frame.by_group.items():
        expected = column.reindex(levels).to_numpy()
        assert got[name][0] == pytest.approx(expected, rel=1e-9, nan_ok=True)
    assert got["count"][0].sum() == counts.sum() == frame[COUNT].sum()


@pytest.mark.parametrize("n", [1, 2, 7, 10])
def test_median_from_counts_equals_numpy_median_of_the_rows(n):
    # given
    rng = np.random.default_rng(n)
    values = rng.choice(np.array([1.0, 2.5, 4.0, 9.0]), size=n)
    unique, counts = np.unique(values, return_counts=True)

    # when
    median = median_from_counts(unique[::-1].copy(), counts[::-1][None, :].astype(float))[0]

    # then
    assert median == np.median(values)
