"""Threshold bands (pass / warn / fail) per metric and the verdict functions.

Config shape (also accepted as plain JSON via :func:`thresholds_from_dict`)::

    {"impact_ratio": {"fail": 0.8, "warn": 0.9, "higher_is_better": true, "basis": "four_fifths"},
     "demographic_parity_difference": {"fail": 0.1, "warn": 0.05, "higher_is_better": false, "basis": "internal"}}

Keys are ``"impact_ratio"`` (judged per eligible group) or any aggregate key of a stratum (judged per stratum).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from audits.metrics.schema import LegalBasis, Verdict

IMPACT_RATIO = "impact_ratio"

_SEVERITY = {Verdict.PASS: 0, Verdict.WARN: 1, Verdict.FAIL: 2}


@dataclass(frozen=True)
class Threshold:
    """Bands for one metric.

    ``higher_is_better``: FAIL if value < fail, WARN if value < warn, else PASS (ratios).
    Otherwise: FAIL if value > fail, WARN if value > warn, else PASS (differences).
    A value exactly on a bound passes that band: 29 CFR §1607.4(D) flags rates "less than four-fifths".
    """

    fail: float
    warn: float | None = None
    higher_is_better: bool = True
    basis: LegalBasis = LegalBasis.INTERNAL

    def __post_init__(self) -> None:
        object.__setattr__(self, "basis", LegalBasis(self.basis))
        if self.warn is not None and (self.warn < self.fail if self.higher_is_better else self.warn > self.fail):
            raise ValueError(f"warn band {self.warn} is beyond the fail band {self.fail}")

    def judge(self, value: float | None) -> Verdict:
        """Verdict for ``value``; a missing or NaN value is INSUFFICIENT_DATA, never a pass."""
        if value is None or math.isnan(value):
            return Verdict.INSUFFICIENT_DATA
        sign = 1.0 if self.higher_is_better else -1.0
        if sign * value < sign * self.fail:
            return Verdict.FAIL
        if self.warn is not None and sign * value < sign * self.warn:
            return Verdict.WARN
        return Verdict.PASS


ThresholdConfig = Mapping[str, Threshold]

#: Defaults. Impact ratio and demographic parity ratio: the EEOC four-fifths rule (fail < 0.8) with an internal early
#: warning at 0.9. LL144 defines the impact ratio but sets no threshold. Difference metrics: internal policy (fail
#: above 0.1 = ten percentage points, warn above 0.05), in line with Holistic AI's (-0.1, 0.1) statistical-parity band;
#: the EU AI Act Art. 10 requires the examination but gives no number.
DEFAULT_THRESHOLDS: dict[str, Threshold] = {
    IMPACT_RATIO: Threshold(fail=0.8, warn=0.9, higher_is_better=True, basis=LegalBasis.FOUR_FIFTHS),
    "demographic_parity_ratio": Threshold(fail=0.8, warn=0.9, higher_is_better=True, basis=LegalBasis.FOUR_FIFTHS),
    "demographic_parity_difference": Threshold(fail=0.1, warn=0.05, higher_is_better=False),
    "equalized_odds_difference": Threshold(fail=0.1, warn=0.05, higher_is_better=False),
    "equal_opportunity_difference": Threshold(fail=0.1, warn=0.05, higher_is_better=False),
}


def thresholds_from_dict(config: Mapping[str, Mapping[str, Any]]) -> dict[str, Threshold]:
    """Build a threshold config from JSON-like data (e.g. stored on an audit definition)."""
    return {name: Threshold(**dict(bands)) for name, bands in config.items()}


def worst_verdict(verdicts: Iterable[Verdict | str]) -> Verdict:
    """Overall verdict: the worst of the judged verdicts (FAIL > WARN > PASS); INSUFFICIENT_DATA entries are not
    judgements and are skipped, as are NOT_JUDGED ones; if nothing was judged the result is INSUFFICIENT_DATA."""
    judged = [Verdict(v) for v in verdicts if Verdict(v) in _SEVERITY]
    if not judged:
        return Verdict.INSUFFICIENT_DATA
    return max(judged, key=_SEVERITY.__getitem__)
