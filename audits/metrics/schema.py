"""Vocabulary of the fairness metrics core: task types, verdicts, legal bases and the column mapping.

Pure Python, no Django imports (HOUSE_STYLE A.3). The string values of the enums are part of the stable JSON output
of :class:`audits.metrics.result.FairnessResult` and must not be renamed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

#: Level used for missing sensitive/control values. fairlearn 0.15 rejects missing values in grouping features, and
#: NYC LL144 (6 RCNY §5-303) requires the number of individuals in an unknown category to be reported, so missing
#: values become an explicit, reported category instead of being dropped.
UNKNOWN_LEVEL = "Unknown"


class Task(StrEnum):
    """What the audited model outputs."""

    BINARY = "binary"
    REGRESSION = "regression"


class Verdict(StrEnum):
    """Outcome of judging one metric value against its threshold bands."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    INSUFFICIENT_DATA = "insufficient_data"  # below the minimum group size, or the value is undefined
    NOT_JUDGED = "not_judged"  # no threshold configured for this metric


class LegalBasis(StrEnum):
    """Where a threshold comes from.

    * ``art_10``: EU AI Act (Reg. (EU) 2024/1689) Art. 10(2)(f)-(g) bias examination; the Act sets no number.
    * ``ll144``: NYC Local Law 144, 6 RCNY §5-300/§5-301 impact ratios; the rule sets no pass/fail number.
    * ``four_fifths``: EEOC Uniform Guidelines, 29 CFR §1607.4(D): a rate below 4/5 of the highest rate.
    * ``internal``: an organisation's own policy.
    """

    ART_10 = "art_10"
    LL144 = "ll144"
    FOUR_FIFTHS = "four_fifths"
    INTERNAL = "internal"


@dataclass(frozen=True)
class ColumnMapping:
    """Which input columns hold what.

    For binary classification give either ``y_pred`` (labels) or ``y_score`` plus ``threshold``; a score becomes the
    prediction ``score >= threshold``. Labels equal to ``pos_label`` count as the positive/selected outcome (LL144
    "selected to move forward"). For regression give ``y_pred`` (the score); ``y_score`` is not used.
    Several ``sensitive_features`` are analysed intersectionally, as fairlearn does (LL144 §5-301(b) sex x race).
    """

    y_true: str
    sensitive_features: tuple[str, ...]
    y_pred: str | None = None
    y_score: str | None = None
    threshold: float | None = None
    sample_weight: str | None = None
    control_feature: str | None = None
    pos_label: Any = 1

    def __post_init__(self) -> None:
        if isinstance(self.sensitive_features, str):
            object.__setattr__(self, "sensitive_features", (self.sensitive_features,))
        else:
            object.__setattr__(self, "sensitive_features", tuple(self.sensitive_features))
        if not self.sensitive_features:
            raise ValueError("At least one sensitive feature is required.")
        if (self.y_pred is None) == (self.y_score is None):
            raise ValueError("Give exactly one of y_pred or y_score.")
        if self.y_score is not None and self.threshold is None:
            raise ValueError("y_score needs a threshold to turn scores into predictions.")
        names = [*self.sensitive_features, *([self.control_feature] if self.control_feature else [])]
        if len(set(names)) != len(names):
            raise ValueError("Sensitive and control features must be distinct columns.")
        reserved = {c for c in names if c.startswith("_")}
        if reserved:
            raise ValueError(f"Feature names starting with '_' are reserved: {sorted(reserved)}")

    @property
    def group_columns(self) -> tuple[str, ...]:
        """Sensitive features, then the control feature if any."""
        return (*self.sensitive_features, *((self.control_feature,) if self.control_feature else ()))

    @property
    def input_columns(self) -> list[str]:
        """Every column to read from the input, without duplicates."""
        cols = [self.y_true, self.y_pred or self.y_score, self.sample_weight, *self.group_columns]
        return list(dict.fromkeys(c for c in cols if c is not None))
