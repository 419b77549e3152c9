"""Group fairness of a model's outputs, computed by fairlearn's MetricFrame on compressed cells.

Serves EU AI Act Art. 10(2)(f)-(g) (examination of possible biases, per group and intersection), NYC Local Law 144
(6 RCNY §5-300/§5-301: selection/scoring rates and impact ratios per category, with counts, incl. intersectional
categories) and the EEOC four-fifths rule (29 CFR §1607.4(D): impact ratio < 0.8, read with significance).

The numbers are fairlearn's: ``MetricFrame`` receives one row per unique (y_true, y_pred, [weight], features) cell
with ``sample_weight = count x weight``, which gives the row-level result (exactly for counts; to float rounding
with real-valued weights) at a fraction of the cost. Aggregates follow fairlearn's ``between_groups`` definitions
(difference = group max - group min, ratio = group min / group max) over the groups of at least
``min_group_size`` rows.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import fairlearn
import numpy as np
import pandas as pd
import sklearn
from fairlearn.metrics import MetricFrame

from audits.metrics.bootstrap import (
    group_metrics_from_counts,
    median_from_counts,
    multinomial_replicates,
    percentile_interval,
)
from audits.metrics.compress import Y_PRED, Y_TRUE, CompressedOutputs, compress_frame, group_key
from audits.metrics.definitions import COUNT_METRIC, metric_evaluators, metric_names, rate_metric
from audits.metrics.result import (
    BootstrapInfo,
    Estimate,
    FairnessResult,
    GroupResult,
    ImpactRatio,
    MetricVerdict,
    StratumResult,
    VerdictReport,
)
from audits.metrics.schema import ColumnMapping, Task, Verdict
from audits.metrics.significance import impact_ratio_test
from audits.metrics.thresholds import (
    DEFAULT_THRESHOLDS,
    IMPACT_RATIO,
    Threshold,
    ThresholdConfig,
    worst_verdict,
)

#: Groups with fewer rows are reported (count, rates) but not judged and left out of the aggregates. 30 is the usual
#: floor for the normal approximation of a proportion; LL144 §5-301(d) similarly lets auditors set aside categories
#: under 2 % of the data as long as their counts and rates are still reported.
DEFAULT_MIN_GROUP_SIZE = 30

#: Bootstrap replicates. 1000 gives stable 95 % percentile bounds (±~0.5 pp on the quantile level) and costs well
#: under a second on compressed binary data.
DEFAULT_N_BOOT = 1000

#: Named aggregates built from fairlearn's per-metric ``difference``/``ratio`` (fairlearn.metrics derived metrics).
_BINARY_NAMED = {
    "demographic_parity_difference": ("max", "selection_rate_difference"),
    "demographic_parity_ratio": ("min", "selection_rate_ratio"),
    "equalized_odds_difference": ("max", "true_positive_rate_difference", "false_positive_rate_difference"),
    "equalized_odds_ratio": ("min", "true_positive_rate_ratio", "false_positive_rate_ratio"),
    "equal_opportunity_difference": ("max", "true_positive_rate_difference"),
    "equal_opportunity_ratio": ("min", "true_positive_rate_ratio"),
}


def default_thresholds(task: Task | str) -> dict[str, Threshold]:
    """The default bands that apply to ``task`` (see :data:`audits.metrics.thresholds.DEFAULT_THRESHOLDS`)."""
    if Task(task) is Task.BINARY:
        return dict(DEFAULT_THRESHOLDS)
    return {IMPACT_RATIO: DEFAULT_THRESHOLDS[IMPACT_RATIO]}


_COMBINED = "metrics"


class _CombinedMetric:
    """Several metric callables as one fairlearn metric whose value for a group is the tuple of all their values.

    fairlearn supports non-scalar metrics (its by_group then holds the objects, and its min/max/difference/ratio are
    not defined for them; this module computes those from the scalars with fairlearn's ``between_groups``
    definitions, see :func:`_aggregates`). Every callable receives the group's cells exactly as it would as a metric
    of its own; ``row_count`` goes only to ``r2_score``.
    """

    def __init__(self, evaluators: list[tuple[tuple[str, ...], Any]]) -> None:
        self.names = [name for names, _ in evaluators for name in names]
        self.calls = [(fn, len(names) > 1, names == ("r2_score",)) for names, fn in evaluators]

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any, row_count: Any) -> tuple[float, ...]:
        values: list[float] = []
        for fn, several, takes_rows in self.calls:
            extra = {"row_count": row_count} if takes_rows else {}
            value = fn(y_true, y_pred, sample_weight=sample_weight, **extra)
            values.extend(value if several else (value,))
        return tuple(values)

    def unpack(self, values: pd.Series) -> dict[str, np.ndarray]:
        """One float array per metric from a column of tuples; NaN where fairlearn had no rows (empty group)."""
        nan = (np.nan,) * len(self.names)
        rows = [v if isinstance(v, tuple) else nan for v in values]
        table = np.array(rows, dtype=np.float64).reshape(len(rows), len(self.names))
        return {name: table[:, i] for i, name in enumerate(self.names)}


@dataclass(frozen=True)
class _Stratum:
    control: str | None
    groups: np.ndarray  # indices into the by_group rows
    eligible: np.ndarray  # bool, aligned with groups
    reference: int | None  # index into the by_group rows


def _aggregates(values: dict[str, np.ndarray], stratum: _Stratum, task: Task) -> dict[str, np.ndarray]:
    """fairlearn ``between_groups`` aggregates over the eligible groups, for each replicate row of ``values``."""
    chosen = stratum.groups[stratum.eligible]
    out: dict[str, np.ndarray] = {}
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices: the aggregate is undefined (null)
        for name, array in values.items():
            if name == COUNT_METRIC:
                continue
            sub = array[:, chosen]
            if len(chosen) < 2:  # a single group has nothing to be compared with
                sub = np.full((array.shape[0], 1), np.nan)
            gmin, gmax = np.nanmin(sub, axis=1), np.nanmax(sub, axis=1)
            out[f"{name}_group_min"], out[f"{name}_group_max"] = gmin, gmax
            out[f"{name}_difference"], out[f"{name}_ratio"] = gmax - gmin, gmin / gmax
    if task is Task.BINARY:
        for name, (how, *parts) in _BINARY_NAMED.items():
            stacked = np.stack([out[p] for p in parts])
            out[name] = stacked.max(axis=0) if how == "max" else stacked.min(axis=0)
    return out


def _impact_ratios(values: dict[str, np.ndarray], stratum: _Stratum, rate: str) -> np.ndarray:
    """LL144 impact ratio of every group of the stratum against its reference group, per replicate row."""
    rates = values[rate][:, stratum.groups]
    if stratum.reference is None:
        return np.full_like(rates, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        return rates / values[rate][:, [stratum.reference]]


def _judge(thresholds: ThresholdConfig, metric: str, value: float | None) -> Verdict:
    threshold = thresholds.get(metric)
    return Verdict.NOT_JUDGED if threshold is None else threshold.judge(value)


def _finite(value: Any) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None


def evaluate_verdicts(strata: list[StratumResult], thresholds: ThresholdConfig) -> VerdictReport:
    """Per-metric verdicts and the overall verdict (worst judged) for computed strata.

    Judges each eligible group's impact ratio (key ``"impact_ratio"``) and each configured aggregate per stratum.
    Groups below the minimum size are never judged.
    """
    verdicts: list[MetricVerdict] = []

    def add(metric: str, control: str | None, group: str | None, value: float | None, p: float | None) -> None:
        threshold = thresholds[metric]
        verdicts.append(
            MetricVerdict(
                metric=metric,
                control=control,
                group=group,
                value=value,
                verdict=threshold.judge(value).value,
                basis=threshold.basis.value,
                fail=threshold.fail,
                warn=threshold.warn,
                higher_is_better=threshold.higher_is_better,
                p_value=p,
            )
        )

    for stratum in strata:
        if IMPACT_RATIO in thresholds:
            for group in stratum.groups:
                if group.eligible and group.impact_ratio is not None:
                    test = group.impact_ratio.test
                    add(
                        IMPACT_RATIO,
                        stratum.control,
                        group.group,
                        group.impact_ratio.value,
                        test.p_value if test else None,
                    )
        for metric in thresholds:
            if metric != IMPACT_RATIO:
                add(metric, stratum.control, None, stratum.aggregates[metric].value, None)
    return VerdictReport(overall=worst_verdict(v.verdict for v in verdicts).value, metrics=verdicts)


def compute_fairness(
    data: pd.DataFrame | CompressedOutputs,
    mapping: ColumnMapping | None = None,
    *,
    task: Task | str = Task.BINARY,
    reference_group: str | None = None,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    thresholds: ThresholdConfig | None = None,
    n_boot: int = DEFAULT_N_BOOT,
    confidence: float = 0.95,
    random_state: int | None = 0,
) -> FairnessResult:
    """Compute group metrics, aggregates, LL144 impact ratios, bootstrap CIs, significance tests and verdicts.

    ``data`` is a raw frame (then ``mapping`` and ``task`` are required) or the output of
    :func:`audits.metrics.compress.load_outputs`/``compress_frame``. ``reference_group`` is a group key as in the
    result (``"F,Black"`` for intersections); by default each stratum's most favoured eligible group (highest
    selection/scoring rate, LL144 "most selected category") is the reference. ``thresholds`` defaults to
    :func:`default_thresholds`; ``n_boot=0`` skips the bootstrap.
    """
    if isinstance(data, CompressedOutputs):
        compressed = data
    else:
        if mapping is None:
            raise ValueError("A column mapping is required for a raw DataFrame.")
        compressed = compress_frame(data, mapping, task=task)
    task = compressed.task
    thresholds = default_thresholds(task) if thresholds is None else thresholds
    if not 0 < confidence < 1:
        raise ValueError("confidence must be in (0, 1).")
    m = compressed.mapping
    frame = compressed.frame
    y_true = frame[Y_TRUE].to_numpy()
    y_pred = frame[Y_PRED].to_numpy()
    counts = compressed.counts
    weight = compressed.sample_weight
    median = float(median_from_counts(y_pred, counts[None, :])[0]) if task is Task.REGRESSION else None
    metrics = metric_names(task)
    # fairlearn's fixed cost is per metric and group (a pandas apply, column look-ups, result frames for every
    # min/max/difference/ratio variant), so the metrics go to MetricFrame as one non-scalar metric returning all
    # their values for a group: the same fairlearn/scikit-learn functions on the same groups, called once per group
    # instead of once per metric and group. ``count`` is not sent: it is the sum of the cell counts (np.bincount).
    combined = _CombinedMetric(metric_evaluators(task, median or 0.0))
    params = {"sample_weight": weight, "row_count": counts}
    # fairlearn calls scikit-learn once per metric and group; on a few dozen cells its input checks are most of the
    # cost. The metric parameters are fixed constants above, and binary cells are 0/1 by construction, so skipping
    # parameter validation and (binary only) the finiteness scan cannot change a number; test_equivalence.py checks
    # the results against plain fairlearn on raw rows with all validation on.
    sk_config = {"skip_parameter_validation": True, "assume_finite": task is Task.BINARY}
    with warnings.catch_warnings(), sklearn.config_context(**sk_config):
        warnings.simplefilter("ignore", RuntimeWarning)  # 0/0 for empty intersections: fairlearn reports NaN
        mf = MetricFrame(
            metrics={_COMBINED: combined},
            y_true=y_true,
            y_pred=y_pred,
            sensitive_features=frame[list(m.sensitive_features)],
            control_features=frame[[m.control_feature]] if m.control_feature else None,
            sample_params={_COMBINED: params},
        )

    # One row per (control level, group), in fairlearn's order (cartesian product of the levels).
    by_group = mf.by_group.reset_index()
    level_cols = list(m.group_columns if not m.control_feature else (m.control_feature, *m.sensitive_features))
    n_groups = len(by_group)
    cell_index = pd.MultiIndex.from_frame(by_group[level_cols]).get_indexer(pd.MultiIndex.from_frame(frame[level_cols]))
    group_counts = np.bincount(cell_index, weights=counts, minlength=n_groups).astype(np.int64)
    group_weights = np.bincount(cell_index, weights=weight, minlength=n_groups)
    point = combined.unpack(by_group[_COMBINED])
    point[COUNT_METRIC] = group_counts.astype(np.float64)
    point = {name: point[name][None, :] for name in metrics}
    rate = rate_metric(task)
    selected = y_pred > median if median is not None else y_pred.astype(bool)
    group_selected = np.bincount(cell_index, weights=counts * selected, minlength=n_groups).astype(np.int64)
    keys = [group_key([str(v) for v in row]) for row in by_group[list(m.sensitive_features)].itertuples(index=False)]
    if reference_group is not None and reference_group not in keys:
        raise ValueError(f"Reference group {reference_group!r} not in the data; groups: {sorted(set(keys))}")

    controls = list(by_group[m.control_feature].astype(str)) if m.control_feature else [None] * n_groups
    strata: list[_Stratum] = []
    for control in dict.fromkeys(controls):
        idx = np.array([i for i, c in enumerate(controls) if c == control])
        eligible = (group_counts[idx] >= max(min_group_size, 1)) & np.isfinite(point[rate][0, idx])
        if reference_group is not None:
            ref = next((int(i) for i in idx if keys[i] == reference_group and group_counts[i] > 0), None)
        elif eligible.any():
            ref = int(idx[eligible][np.argmax(point[rate][0, idx[eligible]])])
        else:
            ref = None
        strata.append(_Stratum(control=control, groups=idx, eligible=eligible, reference=ref))

    def derived(values: dict[str, np.ndarray]) -> list[tuple[dict[str, np.ndarray], np.ndarray]]:
        return [(_aggregates(values, s, task), _impact_ratios(values, s, rate)) for s in strata]

    point_derived = derived(point)
    ci: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    ci_derived: list[tuple[dict[str, tuple[np.ndarray, np.ndarray]], tuple[np.ndarray, np.ndarray]]] = []
    if n_boot > 0:
        rng = np.random.default_rng(random_state)
        unit_weight = weight / counts
        blocks: list[dict[str, np.ndarray]] = []
        derived_blocks: list[list[tuple[dict[str, np.ndarray], np.ndarray]]] = []
        group_of_cell = cell_index
        for replicate_counts in multinomial_replicates(counts, n_boot, rng):
            values = group_metrics_from_counts(
                task,
                y_true.astype(np.float64),
                y_pred.astype(np.float64),
                unit_weight,
                group_of_cell,
                n_groups,
                replicate_counts,
            )
            blocks.append(values)
            derived_blocks.append(derived(values))
        ci = {name: percentile_interval(np.concatenate([b[name] for b in blocks]), confidence) for name in metrics}
        for s_pos in range(len(strata)):
            aggs = {
                k: percentile_interval(np.concatenate([d[s_pos][0][k] for d in derived_blocks]), confidence)
                for k in point_derived[s_pos][0]
            }
            irs = percentile_interval(np.concatenate([d[s_pos][1] for d in derived_blocks]), confidence)
            ci_derived.append((aggs, irs))

    def estimate(value: Any, bounds: tuple[np.ndarray, np.ndarray] | None, pos: Any) -> Estimate:
        if bounds is None:
            return Estimate(value=_finite(value))
        low, high = (bounds[0], bounds[1]) if pos is None else (bounds[0][pos], bounds[1][pos])
        return Estimate(value=_finite(value), ci_low=_finite(low), ci_high=_finite(high))

    overall = mf.overall[_COMBINED]  # the tuple, or a Series of tuples by control level
    stratum_results: list[StratumResult] = []
    for s_pos, stratum in enumerate(strata):
        aggs_point, ir_point = point_derived[s_pos]
        aggs_ci, ir_ci = ci_derived[s_pos] if ci_derived else ({}, None)
        packed = overall if stratum.control is None else overall.loc[_control_label(overall.index, stratum.control)]
        n_stratum = int(group_counts[stratum.groups].sum())
        row = {name: float(v[0]) for name, v in combined.unpack(pd.Series([packed])).items()}
        row[COUNT_METRIC] = float(n_stratum)
        ref = stratum.reference
        groups: list[GroupResult] = []
        for g_pos, (g, is_eligible) in enumerate(zip(stratum.groups, stratum.eligible, strict=True)):
            n_g = int(group_counts[g])
            impact: ImpactRatio | None = None
            if ref is not None and n_g > 0:
                test = (
                    None
                    if g == ref
                    else impact_ratio_test(group_selected[g], n_g, group_selected[ref], int(group_counts[ref]))
                )
                ir = estimate(ir_point[0, g_pos], ir_ci, g_pos)
                impact = ImpactRatio(
                    value=ir.value,
                    ci_low=ir.ci_low,
                    ci_high=ir.ci_high,
                    rate_metric=rate,
                    reference_group=keys[ref],
                    test=test,
                )
            metric_values = {
                name: Estimate(value=float(n_g))
                if name == COUNT_METRIC
                else estimate(point[name][0, g], ci.get(name), g)
                for name in metrics
            }
            verdict = (
                _judge(thresholds, IMPACT_RATIO, impact.value if impact else None)
                if is_eligible
                else Verdict.INSUFFICIENT_DATA
            )
            groups.append(
                GroupResult(
                    group=keys[g],
                    features={f: str(by_group.at[g, f]) for f in m.sensitive_features},
                    count=n_g,
                    weight=float(group_weights[g]),
                    share=n_g / n_stratum if n_stratum else 0.0,
                    eligible=bool(is_eligible),
                    is_reference=g == ref,
                    metrics=metric_values,
                    impact_ratio=impact,
                    verdict=verdict.value,
                )
            )
        stratum_results.append(
            StratumResult(
                control=stratum.control,
                count=n_stratum,
                overall={name: _finite(row[name]) for name in metrics},
                reference_group=keys[ref] if ref is not None else None,
                groups=groups,
                aggregates={k: estimate(v[0], aggs_ci.get(k), None) for k, v in aggs_point.items()},
                scoring_median=median,
            )
        )

    unknown = set(thresholds) - {IMPACT_RATIO} - set(point_derived[0][0])
    if unknown:
        raise ValueError(f"Thresholds for unknown metrics: {sorted(unknown)}")
    return FairnessResult(
        task=task.value,
        n_rows=compressed.n_rows,
        n_rows_excluded=compressed.n_rows_excluded,
        n_cells=len(frame),
        fairlearn_version=fairlearn.__version__,
        sensitive_features=list(m.sensitive_features),
        control_feature=m.control_feature,
        min_group_size=min_group_size,
        rate_metric=rate,
        bootstrap=BootstrapInfo(n_boot=n_boot, confidence=confidence, random_state=random_state) if n_boot else None,
        strata=stratum_results,
        verdicts=evaluate_verdicts(stratum_results, thresholds),
    )


def _control_label(index: pd.Index, control: str) -> Any:
    """fairlearn indexes ``overall`` by the original control values; ours are their string forms."""
    return next(label for label in index if str(label) == control)
