"""Fisher's exact test for small counts, the two-proportion z-test otherwise."""

from __future__ import annotations

import math

import pytest
from scipy import stats

from audits.metrics import choose_test, impact_ratio_test


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        (((2, 8), (6, 4)), "fisher_exact"),
        (((1, 9), (20, 20)), "fisher_exact"),  # expected selected count in the small group: 10 * 21 / 50 = 4.2
        (((4, 96), (10, 90)), "two_proportion_z"),  # smallest expected count: 100 * 14 / 200 = 7
        (((50, 50), (60, 40)), "two_proportion_z"),
        (((0, 500), (0, 500)), "fisher_exact"),  # nobody selected: expected count 0
    ],
)
def test_the_test_is_chosen_by_the_smallest_expected_count(table, expected):
    # when / then
    assert choose_test(table) == expected


def test_small_counts_use_fishers_exact_test():
    # when
    test = impact_ratio_test(selected=2, total=10, ref_selected=7, ref_total=10)

    # then
    odds, p = stats.fisher_exact([[2, 8], [7, 3]])
    assert test is not None
    assert (test.method, test.statistic, test.p_value) == ("fisher_exact", odds, p)
    assert test.table == ((2, 8), (7, 3))


def test_large_counts_use_the_pooled_two_proportion_z_test():
    # when
    test = impact_ratio_test(selected=450, total=1000, ref_selected=600, ref_total=1000)

    # then
    pooled = 1050 / 2000
    z = (0.45 - 0.6) / math.sqrt(pooled * (1 - pooled) * (2 / 1000))
    assert test is not None
    assert test.method == "two_proportion_z"
    assert test.statistic == pytest.approx(z, rel=1e-12)
    assert test.p_value == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-12)
    assert test.p_value < 1e-10


@pytest.mark.parametrize(("total", "ref_total"), [(0, 10), (10, 0)])
def test_an_empty_group_has_no_test(total, ref_total):
    # when / then
    assert impact_ratio_test(selected=0, total=total, ref_selected=0, ref_total=ref_total) is None
