"""Retry timing for the alert outbox: exponential backoff with jitter, never sooner than ``Retry-After``."""

from __future__ import annotations

import random

#: first retry after ~30 s, doubling each attempt, at most one hour apart: 8 attempts span about two hours,
#: which rides out a receiver restart or a short outage without flooding it
BACKOFF_BASE_SECONDS = 30.0
BACKOFF_CAP_SECONDS = 3600.0
#: attempts before a delivery becomes a dead letter (visible and re-sendable in the admin)
MAX_ATTEMPTS = 8


def backoff_delay(
    attempt: int,
    *,
    retry_after: float | None = None,
    base: float = BACKOFF_BASE_SECONDS,
    cap: float = BACKOFF_CAP_SECONDS,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait after failed ``attempt`` (1-based): ``base * 2**(attempt-1)`` capped, with +/-25 % jitter so
    deliveries that failed together do not retry together; at least the receiver's ``Retry-After``."""
    raw = min(cap, base * 2 ** max(0, attempt - 1))
    jittered = raw * (rng or random).uniform(0.75, 1.25)
    if retry_after is not None:
        jittered = max(jittered, retry_after)
    return jittered
