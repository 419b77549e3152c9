"""Tests for the documented risk-score function."""

from __future__ import annotations

import pytest

from discovery.catalog import Category, Region, RiskAttributes, Training, score_risk
from discovery.catalog.risk import MAX_SCORE


@pytest.mark.parametrize(
    ("attributes", "category", "expected_points", "expected_score"),
    [
        # training, enterprise, region, retention, jurisdiction, category
        (RiskAttributes(Training.NO, "30 days", Region.EU, True, "FR"), Category.CHAT, [0, 0, 0, 0, 0, 0], 0),
        (RiskAttributes(Training.OPT_OUT, "30 days", Region.US, True, "US"), Category.CHAT, [2, 0, 2, 0, 0, 0], 4),
        (RiskAttributes(Training.UNKNOWN, "", Region.UNKNOWN, False, ""), Category.IMAGE, [2, 2, 2, 1, 1, 0], 8),
        (RiskAttributes(Training.NO, "none", Region.EU_AVAILABLE, True, "IL"), Category.CODE, [0, 0, 1, 0, 0, 1], 2),
        (RiskAttributes(Training.NO, "x", Region.OTHER, True, "SG"), Category.AGENT, [0, 0, 2, 0, 1, 1], 4),
        # 3 + 2 + 3 + 1 + 1 + 1 = 11, capped at 10
        (RiskAttributes(Training.YES, "  ", Region.CN, False, "CN"), Category.CODE, [3, 2, 3, 1, 1, 1], 10),
    ],
)
def test_risk_score_sums_documented_factor_points_capped_at_ten(
    attributes: RiskAttributes, category: Category, expected_points: list[int], expected_score: int
) -> None:
    # given risk attributes and a category
    # when the risk is scored
    risk = score_risk(attributes, category)
    # then one factor per dimension explains the score, and the score is their capped sum
    assert [factor.code for factor in risk.factors] == [
        "training",
        "enterprise",
        "region",
        "retention",
        "jurisdiction",
        "category",
    ]
    assert [factor.points for factor in risk.factors] == expected_points
    assert risk.raw_points == sum(expected_points)
    assert risk.score == expected_score == min(sum(expected_points), MAX_SCORE)
    assert all(factor.reason for factor in risk.factors)


def test_unknown_headquarters_is_named_in_the_reason() -> None:
    # given a service whose headquarters country is unknown
    attributes = RiskAttributes(Training.NO, "1 day", Region.EU, True, "")
    # when it is scored
    risk = score_risk(attributes, Category.CHAT)
    # then the jurisdiction factor says so
    assert risk.factors[4].reason.startswith("headquartered in unknown")
