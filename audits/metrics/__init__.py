"""Pure-Python fairness metrics core (no Django imports; HOUSE_STYLE A.3).

Group metrics computed by fairlearn on compressed cells, LL144 impact ratios with significance tests, bootstrap
CIs and threshold verdicts, for EU AI Act Art. 10 bias examinations, NYC LL144 bias audits and the EEOC four-fifths
rule. Entry points: :func:`load_outputs` / :func:`compress_frame`, then :func:`compute_fairness`.
"""

from __future__ import annotations

from audits.metrics.compress import CompressedOutputs, compress_chunks, compress_frame, group_key, load_outputs
from audits.metrics.definitions import metric_names
from audits.metrics.group_fairness import (
    DEFAULT_MIN_GROUP_SIZE,
    DEFAULT_N_BOOT,
    compute_fairness,
    default_thresholds,
    evaluate_verdicts,
)
from audits.metrics.result import (
    SCHEMA_VERSION,
    BootstrapInfo,
    Estimate,
    FairnessResult,
    GroupResult,
    ImpactRatio,
    MetricVerdict,
    SignificanceTest,
    StratumResult,
    VerdictReport,
)
from audits.metrics.schema import UNKNOWN_LEVEL, ColumnMapping, LegalBasis, Task, Verdict
from audits.metrics.significance import choose_test, impact_ratio_test
from audits.metrics.thresholds import (
    DEFAULT_THRESHOLDS,
    IMPACT_RATIO,
    Threshold,
    ThresholdConfig,
    thresholds_from_dict,
    worst_verdict,
)

__all__ = [
    "DEFAULT_MIN_GROUP_SIZE",
    "DEFAULT_N_BOOT",
    "DEFAULT_THRESHOLDS",
    "IMPACT_RATIO",
    "SCHEMA_VERSION",
    "UNKNOWN_LEVEL",
    "BootstrapInfo",
    "ColumnMapping",
    "CompressedOutputs",
    "Estimate",
    "FairnessResult",
    "GroupResult",
    "ImpactRatio",
    "LegalBasis",
    "MetricVerdict",
    "SignificanceTest",
    "StratumResult",
    "Task",
    "Threshold",
    "ThresholdConfig",
    "Verdict",
    "VerdictReport",
    "choose_test",
    "compress_chunks",
    "compress_frame",
    "compute_fairness",
    "default_thresholds",
    "evaluate_verdicts",
    "group_key",
    "impact_ratio_test",
    "load_outputs",
    "metric_names",
    "thresholds_from_dict",
    "worst_verdict",
]
