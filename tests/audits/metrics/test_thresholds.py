"""Threshold bands, the four-fifths rule and the overall verdict."""

from __future__ import annotations

import math

import pytest

from audits.metrics import DEFAULT_THRESHOLDS, LegalBasis, Threshold, Verdict, thresholds_from_dict, worst_verdict

FOUR_FIFTHS = DEFAULT_THRESHOLDS["impact_ratio"]
DIFFERENCE = DEFAULT_THRESHOLDS["demographic_parity_difference"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.5, Verdict.FAIL),
        (0.799, Verdict.FAIL),
        (0.8, Verdict.WARN),  # 29 CFR §1607.4(D): "less than four-fifths" fails, exactly 4/5 does not
        (0.85, Verdict.WARN),
        (0.9, Verdict.PASS),
        (1.0, Verdict.PASS),
        (1.3, Verdict.PASS),
        (None, Verdict.INSUFFICIENT_DATA),
        (math.nan, Verdict.INSUFFICIENT_DATA),
    ],
)
def test_impact_ratio_follows_the_four_fifths_rule(value, expected):
    # when
    verdict = FOUR_FIFTHS.judge(value)

    # then
    assert verdict is expected
    assert FOUR_FIFTHS.basis is LegalBasis.FOUR_FIFTHS


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.0, Verdict.PASS), (0.05, Verdict.PASS), (0.07, Verdict.WARN), (0.1, Verdict.WARN), (0.11, Verdict.FAIL)],
)
def test_difference_metrics_fail_above_the_band(value, expected):
    # when / then
    assert DIFFERENCE.judge(value) is expected


def test_a_threshold_without_warn_band_only_passes_or_fails():
    # given
    threshold = Threshold(fail=0.2, higher_is_better=False, basis="art_10")

    # when / then
    assert [threshold.judge(v) for v in (0.19, 0.21)] == [Verdict.PASS, Verdict.FAIL]
    assert threshold.basis is LegalBasis.ART_10


@pytest.mark.parametrize(
    ("bands", "higher_is_better"), [({"fail": 0.8, "warn": 0.7}, True), ({"fail": 0.1, "warn": 0.2}, False)]
)
def test_a_warn_band_beyond_the_fail_band_is_rejected(bands, higher_is_better):
    # when / then
    with pytest.raises(ValueError, match="beyond the fail band"):
        Threshold(**bands, higher_is_better=higher_is_better)


def test_thresholds_load_from_json_like_config():
    # given
    config = {"impact_ratio": {"fail": 0.8, "warn": 0.9, "higher_is_better": True, "basis": "ll144"}}

    # when
    thresholds = thresholds_from_dict(config)

    # then
    assert thresholds == {"impact_ratio": Threshold(fail=0.8, warn=0.9, basis=LegalBasis.LL144)}


@pytest.mark.parametrize(
    ("verdicts", "expected"),
    [
        (["pass", "warn", "pass"], Verdict.WARN),
        (["pass", "fail", "warn"], Verdict.FAIL),
        (["pass", "insufficient_data"], Verdict.PASS),
        (["insufficient_data", "not_judged"], Verdict.INSUFFICIENT_DATA),
        ([], Verdict.INSUFFICIENT_DATA),
    ],
)
def test_overall_verdict_is_the_worst_judged_one(verdicts, expected):
    # when / then
    assert worst_verdict(verdicts) is expected
