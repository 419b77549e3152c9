"""Significance test for an impact ratio: is a group's rate different from the reference group's rate?

29 CFR §1607.4(D) (four-fifths rule) notes that a ratio below 4/5 based on small numbers may not be adverse impact
if it is not statistically significant, and smaller differences may be if they are. Evidence therefore carries the
2x2 counts and a p-value next to each ratio. The test uses unweighted row counts (individuals), also when the rates
are sample-weighted.
"""

from __future__ import annotations

import math
from typing import Literal

from scipy import stats

from audits.metrics.result import SignificanceTest

#: Cochran's rule of thumb: the normal approximation behind the z-test is trusted when every expected cell count of
#: the 2x2 table is at least 5; below that, Fisher's exact test is used.
MIN_EXPECTED_FOR_Z_TEST = 5.0

TestMethod = Literal["fisher_exact", "two_proportion_z"]


def choose_test(table: tuple[tuple[int, int], tuple[int, int]]) -> TestMethod:
    """Fisher's exact test if any expected count is below :data:`MIN_EXPECTED_FOR_Z_TEST`, else the z-test."""
    (a, b), (c, d) = table
    n = a + b + c + d
    rows, cols = (a + b, c + d), (a + c, b + d)
    min_expected = min(r * k / n for r in rows for k in cols)
    return "fisher_exact" if min_expected < MIN_EXPECTED_FOR_Z_TEST else "two_proportion_z"


def impact_ratio_test(selected: int, total: int, ref_selected: int, ref_total: int) -> SignificanceTest | None:
    """Two-sided test of equal rates for a group vs the reference group; ``None`` if either group is empty.

    The table is ``((selected, not selected) of the group, (selected, not selected) of the reference)``.
    """
    if total <= 0 or ref_total <= 0:
        return None
    table = ((int(selected), int(total - selected)), (int(ref_selected), int(ref_total - ref_selected)))
    method = choose_test(table)
    if method == "fisher_exact":
        statistic, p_value = stats.fisher_exact(table, alternative="two-sided")
        return SignificanceTest(method=method, statistic=float(statistic), p_value=float(p_value), table=table)
    p1, p2 = selected / total, ref_selected / ref_total
    pooled = (selected + ref_selected) / (total + ref_total)
    se = math.sqrt(pooled * (1 - pooled) * (1 / total + 1 / ref_total))
    # se > 0 here: the z-test is only chosen when both outcome columns have expected counts >= 5.
    z = (p1 - p2) / se
    p_value = float(2 * stats.norm.sf(abs(z)))
    return SignificanceTest(method=method, statistic=float(z), p_value=p_value, table=table)
