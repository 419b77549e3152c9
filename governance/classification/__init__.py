"""Pure-Python EU AI Act classification engine (Regulation (EU) 2024/1689 and its 2026 amendment).

Public API: :func:`classify`, :func:`list_law_versions`, :func:`diff_results`, the :class:`Facts` questionnaire with
:func:`facts_from_dict` / :func:`facts_to_dict` / :func:`facts_json_schema`, and the result dataclasses. No Django.
"""

from __future__ import annotations

from governance.classification.engine import classify, diff_results, list_law_versions
from governance.classification.facts import (
    Facts,
    FactsValidationError,
    facts_from_dict,
    facts_json_schema,
    facts_to_dict,
)
from governance.classification.law import LawVersion, UnknownLawVersion, get_law_version
from governance.classification.result import (
    ApplicableObligation,
    ClassificationResult,
    ClassificationStatus,
    OpenQuestion,
    Outcome,
    RationaleStep,
    RiskClass,
    RoleChange,
    result_from_dict,
    result_to_dict,
)

__all__ = [
    "ApplicableObligation",
    "ClassificationResult",
    "ClassificationStatus",
    "Facts",
    "FactsValidationError",
    "LawVersion",
    "OpenQuestion",
    "Outcome",
    "RationaleStep",
    "RiskClass",
    "RoleChange",
    "UnknownLawVersion",
    "classify",
    "diff_results",
    "facts_from_dict",
    "facts_json_schema",
    "facts_to_dict",
    "get_law_version",
    "list_law_versions",
    "result_from_dict",
    "result_to_dict",
]
