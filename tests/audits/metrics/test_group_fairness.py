"""Impact ratios (NYC LL144), verdicts (four-fifths), group sizes, reference groups, bootstrap CIs, JSON shape."""

from __future__ import annotations

import json

import fairlearn
import numpy as np
import pandas as pd
import pytest
from fairlearn import metrics as flm

from audits.metrics import (
    ColumnMapping,
    FairnessResult,
    Threshold,
    Verdict,
    compute_fairness,
    default_thresholds,
    evaluate_verdicts,
)

# LL144 worked example, computed by hand from the 6 RCNY §5-300 definitions (the reference file gives the definitions
# but no numeric table): selection rate = selected / applicants, impact ratio = rate / highest rate.
# category, applicants, selected, selection rate, impact ratio, four-fifths verdict (fail < 0.8, warn < 0.9)
LL144_TABLE = [
    ("M,White", 100, 60, 0.60, 1.0, "pass"),
    ("M,Black", 100, 45, 0.45, 0.75, "fail"),
    ("F,White", 100, 56, 0.56, 0.56 / 0.60, "pass"),
    ("F,Black", 100, 50, 0.50, 0.50 / 0.60, "warn"),
]


def _table_frame(table: list[tuple[str, int, int]]) -> pd.DataFrame:
    """One row per applicant: ``selected`` rows with y_pred=1, the rest 0."""
    parts = []
    for key, applicants, selected in table:
        sex, race = key.split(",")
        pred = np.r_[np.ones(selected, dtype=int), np.zeros(applicants - selected, dtype=int)]
        parts.append(pd.DataFrame({"sex": sex, "race": race, "y_pred": pred, "y_true": pred}))
    return pd.concat(parts, ignore_index=True)


LL144_MAPPING = ColumnMapping(y_true="y_true", y_pred="y_pred", sensitive_features=("sex", "race"))


def test_impact_ratio_reproduces_the_hand_computed_ll144_table():
    # given
    df = _table_frame([row[:3] for row in LL144_TABLE])

    # when
    result = compute_fairness(df, LL144_MAPPING, n_boot=0)

    # then
    stratum = result.strata[0]
    groups = {g.group: g for g in stratum.groups}
    assert stratum.reference_group == "M,White"
    for key, applicants, _selected, rate, ratio, verdict in LL144_TABLE:
        group = groups[key]
        assert group.count == applicants
        assert group.metrics["selection_rate"].value == pytest.approx(rate, rel=1e-12)
        assert group.impact_ratio is not None
        assert group.impact_ratio.value == pytest.approx(ratio, rel=1e-12)
        assert group.impact_ratio.reference_group == "M,White"
        assert group.verdict == verdict
    assert result.verdicts.overall == "fail"
    assert stratum.aggregates["demographic_parity_difference"].value == pytest.approx(0.15, rel=1e-12)
    assert stratum.aggregates["demographic_parity_ratio"].value == pytest.approx(0.75, rel=1e-12)


def test_scoring_rate_impact_ratio_uses_the_share_above_the_overall_median():
    # given: median of all ten scores is 5.5; A has 2/5 above it, B 3/5 (LL144 scoring rate)
    df = pd.DataFrame({"g": ["A"] * 5 + ["B"] * 5, "score": [1, 2, 3, 8, 9, 4, 5, 6, 7, 10], "y": 0.0})
    mapping = ColumnMapping(y_true="y", y_pred="score", sensitive_features="g")

    # when
    result = compute_fairness(df, mapping, task="regression", min_group_size=0, n_boot=0)

    # then
    stratum = result.strata[0]
    groups = {g.group: g for g in stratum.groups}
    assert result.rate_metric == "scoring_rate"
    assert stratum.scoring_median == 5.5
    assert groups["A"].metrics["scoring_rate"].value == pytest.approx(0.4)
    assert groups["B"].metrics["scoring_rate"].value == pytest.approx(0.6)
    assert groups["A"].impact_ratio.value == pytest.approx(0.4 / 0.6)
    assert groups["A"].verdict == "fail"
    assert groups["B"].is_reference
    assert stratum.aggregates["mean_prediction_difference"].value == pytest.approx(6.4 - 4.6)


def test_groups_below_the_minimum_size_are_reported_but_not_judged_or_aggregated():
    # given: "X,White" has the highest rate but only 10 rows
    df = _table_frame([row[:3] for row in LL144_TABLE] + [("X,White", 10, 9)])

    # when
    result = compute_fairness(df, LL144_MAPPING, min_group_size=30, n_boot=0)

    # then
    stratum = result.strata[0]
    small = next(g for g in stratum.groups if g.group == "X,White")
    assert small.count == 10
    assert small.metrics["selection_rate"].value == pytest.approx(0.9)
    assert small.verdict == "insufficient_data"
    assert not small.eligible
    assert stratum.reference_group == "M,White"  # the small group cannot be the most favoured
    assert small.impact_ratio.value == pytest.approx(1.5)  # still reported, LL144 §5-301(d)
    assert "X,White" not in {v.group for v in result.verdicts.metrics}
    assert stratum.aggregates["selection_rate_group_max"].value == pytest.approx(0.6)
    empty = [g for g in stratum.groups if g.count == 0]  # X,Black: empty intersection of the cartesian product
    assert [g.group for g in empty] == ["X,Black"]
    assert empty[0].impact_ratio is None
    assert empty[0].metrics["selection_rate"].value is None


def test_a_single_eligible_group_gives_undefined_aggregates():
    # given
    df = _table_frame([("M,White", 100, 60), ("F,White", 5, 1)])

    # when
    result = compute_fairness(df, LL144_MAPPING, min_group_size=30, n_boot=0)

    # then
    aggregates = result.strata[0].aggregates
    assert aggregates["demographic_parity_difference"].value is None
    dpd = next(v for v in result.verdicts.metrics if v.metric == "demographic_parity_difference")
    assert dpd.verdict == "insufficient_data"
    assert result.verdicts.overall == "pass"  # only the reference's impact ratio (1.0) was judged


def test_no_eligible_group_means_no_reference_and_insufficient_data():
    # given
    df = _table_frame([("M,White", 10, 6), ("F,White", 10, 5)])

    # when
    result = compute_fairness(df, LL144_MAPPING, min_group_size=30, n_boot=0)

    # then
    assert result.strata[0].reference_group is None
    assert all(g.impact_ratio is None for g in result.strata[0].groups)
    assert result.verdicts.overall == "insufficient_data"


def test_an_explicit_reference_group_replaces_the_most_favoured_one():
    # given
    df = _table_frame([row[:3] for row in LL144_TABLE])

    # when
    result = compute_fairness(df, LL144_MAPPING, reference_group="F,Black", n_boot=0)

    # then
    groups = {g.group: g for g in result.strata[0].groups}
    assert result.strata[0].reference_group == "F,Black"
    assert groups["F,Black"].is_reference
    assert groups["F,Black"].impact_ratio.test is None
    assert groups["M,White"].impact_ratio.value == pytest.approx(1.2)
    assert groups["M,Black"].impact_ratio.value == pytest.approx(0.9)
    assert groups["M,White"].verdict == "pass"


def test_an_unknown_reference_group_is_rejected():
    # given
    df = _table_frame([row[:3] for row in LL144_TABLE])

    # when / then
    with pytest.raises(ValueError, match="Reference group 'Z,Z' not in the data"):
        compute_fairness(df, LL144_MAPPING, reference_group="Z,Z", n_boot=0)


def test_control_feature_gives_one_stratum_per_level_each_with_its_own_reference(make_outputs):
    # given
    df = make_outputs(40, 4000, control=True)
    df.loc[(df["site"] == "nyc") & (df["sex"] == "F"), "sex"] = "M"  # no F in nyc
    mapping = ColumnMapping(y_true="y_true", y_pred="y_pred", sensitive_features="sex", control_feature="site")

    # when
    result = compute_fairness(df, mapping, reference_group="F", n_boot=50)

    # then
    berlin, nyc = result.strata
    assert (berlin.control, nyc.control) == ("berlin", "nyc")
    assert berlin.count + nyc.count == result.n_rows == 4000
    assert berlin.reference_group == "F"
    assert nyc.reference_group is None
    assert all(g.impact_ratio is None for g in nyc.groups)
    raw = flm.MetricFrame(
        metrics=flm.selection_rate,
        y_true=df["y_true"],
        y_pred=df["y_pred"],
        sensitive_features=df["sex"],
        control_features=df["site"],
    )
    assert berlin.overall["selection_rate"] == raw.overall["berlin"]
    assert {v.control for v in result.verdicts.metrics} == {"berlin", "nyc"}


def test_bootstrap_intervals_contain_the_point_estimates(make_outputs):
    # given
    df = make_outputs(50, 5000, weights=True)
    mapping = ColumnMapping(y_true="y_true", y_pred="y_pred", sensitive_features=("sex", "race"), sample_weight="w")

    # when
    result = compute_fairness(df, mapping, n_boot=300, random_state=7)

    # then
    assert result.bootstrap is not None and result.bootstrap.n_boot == 300
    for group in result.strata[0].groups:
        for name, estimate in group.metrics.items():
            if name != "count":
                assert estimate.ci_low <= estimate.value <= estimate.ci_high, (group.group, name)
        ratio = group.impact_ratio
        assert ratio.ci_low <= ratio.value <= ratio.ci_high
    # Between-group max-min statistics are biased upwards (reference §1.1), so only check that bounds exist there.
    dpd = result.strata[0].aggregates["demographic_parity_difference"]
    assert dpd.ci_low is not None and dpd.ci_low < dpd.ci_high


def test_bootstrap_is_reproducible_with_a_seed_and_varies_without_it(make_outputs):
    # given
    df = make_outputs(51, 2000, task="regression")
    mapping = ColumnMapping(y_true="y_true", y_pred="y_pred", sensitive_features="sex")

    # when
    first = compute_fairness(df, mapping, task="regression", n_boot=100, random_state=3).to_dict()
    again = compute_fairness(df, mapping, task="regression", n_boot=100, random_state=3).to_dict()
    other = compute_fairness(df, mapping, task="regression", n_boot=100, random_state=4).to_dict()

    # then
    assert first == again
    assert first["strata"][0]["groups"][0]["metrics"] != other["strata"][0]["groups"][0]["metrics"]


def test_without_bootstrap_there_are_no_intervals():
    # given
    df = _table_frame([row[:3] for row in LL144_TABLE])

    # when
    result = compute_fairness(df, LL144_MAPPING, n_boot=0)

    # then
    assert result.bootstrap is None
    group = result.strata[0].groups[0]
    assert group.metrics["selection_rate"].ci_low is None
    assert group.impact_ratio.ci_high is None


@pytest.mark.parametrize(
    ("applicants", "expected_method"),
    [(8, "fisher_exact"), (400, "two_proportion_z")],
)
def test_each_impact_ratio_carries_a_test_chosen_by_group_size(applicants, expected_method):
    # given
    df = _table_frame([("M,White", applicants, applicants // 2), ("F,White", applicants, applicants // 4)])

    # when
    result = compute_fairness(df, LL144_MAPPING, min_group_size=0, n_boot=0)

    # then
    female = next(g for g in result.strata[0].groups if g.group == "F,White")
    test = female.impact_ratio.test
    assert test.method == expected_method
    assert test.table == ((applicants // 4, applicants - applicants // 4), (applicants // 2, applicants // 2))
    verdict = next(v for v in result.verdicts.metrics if v.group == "F,White")
    assert verdict.p_value == test.p_value


def test_result_is_json_serialisable_with_stable_keys(make_outputs):
    # given
    df = make_outputs(60, 500, weights=True)
    mapping = ColumnMapping(y_true="y_true", y_pred="y_pred", sensitive_features=("sex", "race"), sample_weight="w")

    # when
    payload = compute_fairness(df, mapping, n_boot=20).to_dict()
    text = json.dumps(payload, allow_nan=False)

    # then
    assert json.loads(text) == payload
    assert list(payload) == [
        "task", "n_rows", "n_rows_excluded", "n_cells", "fairlearn_version", "sensitive_features", "control_feature",
        "min_group_size", "rate_metric", "bootstrap", "strata", "verdicts", "schema_version",
    ]  # fmt: skip
    assert payload["fairlearn_version"] == fairlearn.__version__
    assert payload["n_rows"] == 500
    stratum = payload["strata"][0]
    assert list(stratum) == [
        "control", "count", "overall", "reference_group", "groups", "aggregates", "scoring_median",
    ]  # fmt: skip
    assert list(stratum["groups"][0]) == [
        "group", "features", "count", "weight", "share", "eligible", "is_reference", "metrics", "impact_ratio",
        "verdict",
    ]  # fmt: skip
    assert list(stratum["groups"][0]["metrics"]) == [
        "selection_rate", "true_positive_rate", "false_positive_rate", "false_negative_rate", "true_negative_rate",
        "precision_score", "accuracy_score", "count",
    ]  # fmt: skip
    assert list(payload["verdicts"]) == ["overall", "metrics"]
    assert isinstance(FairnessResult.__doc__, str)


def test_verdicts_can_be_re_evaluated_with_other_thresholds():
    # given
    df = _table_frame([row[:3] for row in LL144_TABLE])
    result = compute_fairness(df, LL144_MAPPING, n_boot=0)
    lenient = {"impact_ratio": Threshold(fail=0.7, warn=0.74, basis="ll144")}

    # when
    report = evaluate_verdicts(result.strata, lenient)

    # then
    assert report.overall == Verdict.PASS
    assert {v.basis for v in report.metrics} == {"ll144"}
    assert len(report.metrics) == 4


def test_thresholds_for_unknown_metrics_are_rejected():
    # given
    df = _table_frame([row[:3] for row in LL144_TABLE])

    # when / then
    with pytest.raises(ValueError, match="unknown metrics"):
        compute_fairness(df, LL144_MAPPING, n_boot=0, thresholds={"demographic_parity_diff": Threshold(fail=0.1)})


def test_metrics_without_a_threshold_are_not_judged():
    # given
    df = _table_frame([row[:3] for row in LL144_TABLE])

    # when
    result = compute_fairness(df, LL144_MAPPING, n_boot=0, thresholds={})

    # then
    assert {g.verdict for g in result.strata[0].groups} == {"not_judged"}
    assert result.verdicts.overall == "insufficient_data"
    assert result.verdicts.metrics == []


def test_regression_defaults_judge_only_the_scoring_rate_impact_ratio():
    # when
    thresholds = default_thresholds("regression")

    # then
    assert list(thresholds) == ["impact_ratio"]
    assert "demographic_parity_difference" in default_thresholds("binary")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mapping": None}, "column mapping is required"),
        ({"confidence": 1.0}, "confidence must be"),
    ],
)
def test_invalid_arguments_are_rejected(kwargs, message):
    # given
    df = _table_frame([row[:3] for row in LL144_TABLE])
    arguments = {"mapping": LL144_MAPPING, **kwargs}

    # when / then
    with pytest.raises(ValueError, match=message):
        compute_fairness(df, arguments.pop("mapping"), n_boot=0, **arguments)
