"""JSON-serialisable result dataclasses of a fairness audit.

The field names are a public contract: the API and ``manage.py audit_file --json`` print ``to_dict()`` verbatim.
Add fields rather than rename them, and bump :data:`SCHEMA_VERSION` on any incompatible change. Non-finite floats
(NaN, undefined rates) become ``null``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = 1


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if hasattr(value, "item"):  # numpy scalar
        return _jsonable(value.item())
    return value


class _ToDict:
    def to_dict(self) -> dict[str, Any]:
        """Plain dict of JSON types (str, int, float, bool, None, list, dict); NaN/inf become None."""
        result: dict[str, Any] = _jsonable(self)
        return result


@dataclass(frozen=True)
class Estimate(_ToDict):
    """A point estimate (fairlearn's number) with its bootstrap percentile interval, if one was computed."""

    value: float | None
    ci_low: float | None = None
    ci_high: float | None = None


@dataclass(frozen=True)
class SignificanceTest(_ToDict):
    """Two-sided test of equal rates, group vs reference (29 CFR §1607.4(D) statistical significance)."""

    method: str  # "fisher_exact" | "two_proportion_z"
    statistic: float  # odds ratio (Fisher) or z
    p_value: float
    table: tuple[tuple[int, int], tuple[int, int]]  # ((group selected, not), (reference selected, not))


@dataclass(frozen=True)
class ImpactRatio(_ToDict):
    """NYC LL144 impact ratio (6 RCNY §5-300): the group's rate divided by the reference group's rate."""

    value: float | None
    ci_low: float | None
    ci_high: float | None
    rate_metric: str  # "selection_rate" or "scoring_rate"
    reference_group: str
    test: SignificanceTest | None


@dataclass(frozen=True)
class GroupResult(_ToDict):
    """One (intersectional) group: counts always shown (LL144 §5-303), metrics, impact ratio, verdict."""

    group: str  # fairlearn-style key, e.g. "F,Black"
    features: dict[str, str]
    count: int  # input rows
    weight: float  # sum of sample weights (= count without weights)
    share: float  # count / rows in the stratum
    eligible: bool  # count >= min_group_size: judged and part of the aggregates
    is_reference: bool
    metrics: dict[str, Estimate]
    impact_ratio: ImpactRatio | None
    verdict: str


@dataclass(frozen=True)
class StratumResult(_ToDict):
    """Results for one level of the control feature (or the whole data when there is none, ``control=None``)."""

    control: str | None
    count: int
    overall: dict[str, float | None]
    reference_group: str | None
    groups: list[GroupResult]
    aggregates: dict[str, Estimate]
    scoring_median: float | None = None  # regression: the sample median the scoring rate is measured against


@dataclass(frozen=True)
class MetricVerdict(_ToDict):
    """One judged value: an aggregate (``group=None``) or a group's impact ratio."""

    metric: str
    control: str | None
    group: str | None
    value: float | None
    verdict: str
    basis: str
    fail: float
    warn: float | None
    higher_is_better: bool
    p_value: float | None = None


@dataclass(frozen=True)
class VerdictReport(_ToDict):
    """Overall verdict (the worst judged one) plus every per-metric verdict."""

    overall: str
    metrics: list[MetricVerdict] = field(default_factory=list)


@dataclass(frozen=True)
class BootstrapInfo(_ToDict):
    """How the confidence intervals were made (multinomial resampling of cell counts = row bootstrap)."""

    n_boot: int
    confidence: float
    random_state: int | None
    method: str = "multinomial_percentile"


@dataclass(frozen=True)
class FairnessResult(_ToDict):
    """Everything one fairness computation produced; see the module docstring for the stability contract."""

    task: str
    n_rows: int
    n_rows_excluded: int
    n_cells: int
    fairlearn_version: str
    sensitive_features: list[str]
    control_feature: str | None
    min_group_size: int
    rate_metric: str
    bootstrap: BootstrapInfo | None
    strata: list[StratumResult]
    verdicts: VerdictReport
    schema_version: int = SCHEMA_VERSION
