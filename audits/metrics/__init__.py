"""Pure-Python fairness metrics core (no Django imports; HOUSE_STYLE A.3).

Group metrics computed by fairlearn on compressed cells, LL144 impact ratios with significance tests, bootstrap
CIs and threshold verdicts, for EU AI Act Art. 10 bias examinations, NYC LL144 bias audits and the EEOC four-fifths
rule. Entry points: :func:`load_outputs` / :func:`compress_frame`, then :func:`compute_fairness`.

The names backed by pandas, scikit-learn, fairlearn or SciPy are imported on first access (see ``_LAZY``), not with
the package.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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
from audits.metrics.thresholds import (
    DEFAULT_THRESHOLDS,
    IMPACT_RATIO,
    Threshold,
    ThresholdConfig,
    thresholds_from_dict,
    worst_verdict,
)

if TYPE_CHECKING:
    from audits.metrics.compress import CompressedOutputs, compress_chunks, compress_frame, group_key, load_outputs
    from audits.metrics.definitions import metric_names
    from audits.metrics.group_fairness import (
        DEFAULT_MIN_GROUP_SIZE,
        DEFAULT_N_BOOT,
        compute_fairness,
        default_thresholds,
        evaluate_verdicts,
    )
    from audits.metrics.significance import choose_test, impact_ratio_test

#: names whose modules import pandas, scikit-learn, fairlearn or SciPy: loaded on first use (PEP 562), so that
#: importing the result types, the schema or the thresholds (Django models, validation, the URLconf) stays light
_LAZY = {
    "CompressedOutputs": "audits.metrics.compress",
    "compress_chunks": "audits.metrics.compress",
    "compress_frame": "audits.metrics.compress",
    "group_key": "audits.metrics.compress",
    "load_outputs": "audits.metrics.compress",
    "metric_names": "audits.metrics.definitions",
    "DEFAULT_MIN_GROUP_SIZE": "audits.metrics.group_fairness",
    "DEFAULT_N_BOOT": "audits.metrics.group_fairness",
    "compute_fairness": "audits.metrics.group_fairness",
    "default_thresholds": "audits.metrics.group_fairness",
    "evaluate_verdicts": "audits.metrics.group_fairness",
    "choose_test": "audits.metrics.significance",
    "impact_ratio_test": "audits.metrics.significance",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups find it without coming here
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


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
