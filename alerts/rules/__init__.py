"""Pure alert logic (no Django): rule evaluation over daily usage, fingerprints, windows and re-notification.

``alerts.services`` loads usage rows from the database, hands them to :func:`evaluate` and persists the
:class:`Finding` objects it returns as deduplicated alerts.
"""

from __future__ import annotations

from alerts.rules.dedup import fingerprint, should_notify, window_start
from alerts.rules.rules import (
    RULE_KINDS,
    Finding,
    RuleKind,
    RuleSpec,
    ServiceInfo,
    UsageDay,
    evaluate,
    zscore,
)

__all__ = [
    "RULE_KINDS",
    "Finding",
    "RuleKind",
    "RuleSpec",
    "ServiceInfo",
    "UsageDay",
    "evaluate",
    "fingerprint",
    "should_notify",
    "window_start",
    "zscore",
]
