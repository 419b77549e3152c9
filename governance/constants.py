"""Declared rules of the registry: the lifecycle transition table, its gates, defaults and reminder windows."""

from __future__ import annotations

from governance.choices import LifecycleStage as S

#: Allowed lifecycle moves (django-oscar's declared pipeline). Anything not listed raises InvalidTransition.
#: Retired is terminal: a retired system that comes back is registered again, so its history stays readable.
AI_SYSTEM_TRANSITIONS: dict[str, frozenset[str]] = {
    S.PROPOSED: frozenset({S.PILOT, S.APPROVED, S.RETIRED}),
    S.PILOT: frozenset({S.PROPOSED, S.APPROVED, S.SUSPENDED, S.RETIRED}),
    S.APPROVED: frozenset({S.PILOT, S.PRODUCTION, S.SUSPENDED, S.RETIRED}),
    S.PRODUCTION: frozenset({S.SUSPENDED, S.RETIRED}),
    S.SUSPENDED: frozenset({S.PILOT, S.APPROVED, S.PRODUCTION, S.RETIRED}),
    S.RETIRED: frozenset(),
}

#: Stages in which a system is used on real people: an Art. 5 prohibited system may not enter them.
STAGES_BLOCKED_FOR_PROHIBITED: frozenset[str] = frozenset({S.PILOT, S.APPROVED, S.PRODUCTION})

#: Law version applied when none is given (the 2026 amended text; see docs/governance.md for its unverified items).
DEFAULT_LAW_VERSION = "eu-ai-act-2026"

#: Days before the due date at which the owner is reminded (one reminder per obligation, due date and window).
REMINDER_WINDOWS_DAYS: tuple[int, ...] = (30, 7)

#: Overview page horizons (days) for "obligations due soon".
OVERVIEW_HORIZONS_DAYS: tuple[int, ...] = (30, 90)
