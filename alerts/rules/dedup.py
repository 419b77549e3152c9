"""Deduplication vocabulary borrowed from Prometheus Alertmanager: fingerprint, window, repeat interval."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

SEVERITY_ORDER = {"low": 0, "medium": 1, "high": 2, "critical": 3}


def fingerprint(rule_key: str, subject: str, service: str) -> str:
    """``sha256(rule | pseudonymous subject | service)``: the same detection always has the same fingerprint."""
    return hashlib.sha256(f"{rule_key}|{subject}|{service}".encode()).hexdigest()


def window_start(when: datetime, window: timedelta) -> datetime:
    """The start of the fixed window (aligned on the Unix epoch, UTC) that contains ``when``.

    Repeats of one fingerprint inside a window update a single alert; the next window opens a new one.
    """
    seconds = int(window.total_seconds())
    if seconds <= 0:
        raise ValueError("window must be positive")
    epoch = int(when.astimezone(UTC).timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=UTC)


def severity_rank(severity: str) -> int:
    return SEVERITY_ORDER.get(severity, 1)


def should_notify(
    *,
    notified_at: datetime | None,
    notified_severity: str,
    severity: str,
    now: datetime,
    repeat_interval: timedelta,
) -> bool:
    """Notify on open, then only after ``repeat_interval`` since the last notification or on a severity increase."""
    if notified_at is None:
        return True
    if severity_rank(severity) > severity_rank(notified_severity):
        return True
    return now - notified_at >= repeat_interval
