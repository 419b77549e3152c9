"""Shadow-AI alert rules over daily usage aggregates: plain Python, table-tested, no database.

Each rule kind turns usage rows (one per pseudonymous subject, service and day) into :class:`Finding` objects,
grouped per (subject, service, window). The window is derived from when the traffic happened, not from when the
rule ran, so evaluating the same traffic again yields the same findings (and the same alert rows).
"""

from __future__ import annotations

import enum
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from alerts.rules.dedup import SEVERITY_ORDER, window_start

MB = 1024 * 1024


class RuleKind(enum.StrEnum):
    UNSANCTIONED = "unsanctioned"
    FIRST_USE_ORG = "first_use_org"
    FIRST_USE_USER = "first_use_user"
    UPLOAD_VOLUME = "upload_volume"
    LARGE_UPLOAD = "large_upload"
    BASELINE_ZSCORE = "baseline_zscore"
    HIGH_RISK_SERVICE = "high_risk_service"


#: default parameters per kind (a rule's ``params`` override them); sizes in bytes
RULE_KINDS: dict[RuleKind, dict[str, Any]] = {
    RuleKind.UNSANCTIONED: {},
    RuleKind.FIRST_USE_ORG: {"policies": ["unsanctioned", "tolerated", "sanctioned"]},
    RuleKind.FIRST_USE_USER: {"policies": ["unsanctioned", "tolerated"]},
    # 500 MB/day for the whole organisation per service (issue 6), 100 MB/day per user and service
    RuleKind.UPLOAD_VOLUME: {"org_bytes_per_day": 500 * MB, "user_bytes_per_day": 100 * MB, "escalate_factor": 4},
    RuleKind.LARGE_UPLOAD: {"request_bytes": 25 * MB, "escalate_factor": 4},
    # z >= 3 over the subject's own last 30 days (missing days count as 0), only with >= 5 active days of history
    RuleKind.BASELINE_ZSCORE: {
        "metric": "bytes_up",
        "baseline_days": 30,
        "min_active_days": 5,
        "z_threshold": 3.0,
        "min_value": 10 * MB,
    },
    RuleKind.HIGH_RISK_SERVICE: {"min_risk_score": 7},
}

_LEVELS = list(SEVERITY_ORDER)


@dataclass(frozen=True, slots=True)
class UsageDay:
    """Usage of one service by one pseudonymous subject on one day (the chunk rows summed)."""

    subject: str
    subject_kind: str
    service: str
    day: date
    requests: int
    bytes_up: int
    policy: str
    first_seen: datetime
    last_seen: datetime
    upload_requests: int = 0
    max_request_bytes: int | None = None


@dataclass(frozen=True, slots=True)
class ServiceInfo:
    slug: str
    name: str
    domain: str
    risk_score: int
    policy: str


@dataclass(frozen=True, slots=True)
class RuleSpec:
    key: str
    kind: RuleKind
    severity: str
    window: timedelta
    params: Mapping[str, Any] = field(default_factory=dict)

    def param(self, name: str) -> Any:
        return self.params.get(name, RULE_KINDS[self.kind].get(name))


@dataclass(slots=True)
class Finding:
    """One detection, ready to be stored as (or merged into) the alert of its fingerprint and window."""

    rule_key: str
    kind: RuleKind
    subject: str  # pseudonym; "" for organisation-wide findings
    subject_kind: str
    service: str
    window_start: datetime
    first_seen: datetime
    last_seen: datetime
    count: int
    severity: str
    summary: str
    details: dict[str, Any] = field(default_factory=dict)


def escalate(severity: str, steps: int = 1) -> str:
    index = _LEVELS.index(severity) if severity in _LEVELS else 1
    return _LEVELS[min(len(_LEVELS) - 1, index + steps)]


def zscore(value: float, baseline: Sequence[float]) -> float | None:
    """How many standard deviations ``value`` lies above the baseline mean (population std).

    None without a baseline; with a flat baseline any increase is infinitely unusual and anything else is 0.
    """
    if not baseline:
        return None
    mean = sum(baseline) / len(baseline)
    std = math.sqrt(sum((x - mean) ** 2 for x in baseline) / len(baseline))
    if std == 0:
        return math.inf if value > mean else 0.0
    return (value - mean) / std


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _short(subject: str) -> str:
    return subject[:12] if subject else "organisation"


def _mb(n: float) -> str:
    return f"{n / MB:.1f} MB"


def _group(
    rule: RuleSpec,
    rows: Iterable[UsageDay],
    *,
    org_wide: bool = False,
) -> dict[tuple[str, str, datetime], list[UsageDay]]:
    groups: dict[tuple[str, str, datetime], list[UsageDay]] = defaultdict(list)
    for row in rows:
        subject = "" if org_wide else row.subject
        groups[(subject, row.service, window_start(_day_start(row.day), rule.window))].append(row)
    return groups


def _finding(
    rule: RuleSpec,
    key: tuple[str, str, datetime],
    rows: Sequence[UsageDay],
    services: Mapping[str, ServiceInfo],
    *,
    summary: Callable[..., str],
    severity: str | None = None,
    details: dict[str, Any] | None = None,
) -> Finding:
    subject, service, start = key
    kinds = {r.subject_kind for r in rows}
    return Finding(
        rule_key=rule.key,
        kind=rule.kind,
        subject=subject,
        subject_kind=(kinds.pop() if len(kinds) == 1 else "") if subject else "",
        service=service,
        window_start=start,
        first_seen=min(r.first_seen for r in rows),
        last_seen=max(r.last_seen for r in rows),
        count=sum(r.requests for r in rows),
        severity=severity or rule.severity,
        summary=summary(_short(subject), services[service].name if service in services else service),
        details={
            "bytes_up": sum(r.bytes_up for r in rows),
            "days": sorted({r.day.isoformat() for r in rows}),
            **({"users": len({r.subject for r in rows})} if not subject else {}),
            **(details or {}),
        },
    )


def evaluate(
    rule: RuleSpec,
    *,
    rows: Sequence[UsageDay],
    since: date,
    services: Mapping[str, ServiceInfo],
    first_day_user: Mapping[tuple[str, str], date] | None = None,
    first_day_org: Mapping[str, date] | None = None,
) -> list[Finding]:
    """Findings of ``rule`` for usage on or after ``since``.

    ``rows`` may also hold earlier days: the baseline rule reads them. ``first_day_user`` / ``first_day_org`` are
    the first day each (subject, service) / service was ever seen (all history, not just ``rows``).
    """
    current = [r for r in rows if r.day >= since]
    handler = _HANDLERS[rule.kind]
    findings = handler(rule, current, rows, services, first_day_user or {}, first_day_org or {})
    return sorted(findings, key=lambda f: (f.window_start, f.service, f.subject))


_Handler = Callable[
    [
        RuleSpec,
        list[UsageDay],
        Sequence[UsageDay],
        Mapping[str, ServiceInfo],
        Mapping[tuple[str, str], date],
        Mapping[str, date],
    ],
    list[Finding],
]


def _unsanctioned(
    rule: RuleSpec, current: list[UsageDay], _rows: Any, services: Mapping[str, ServiceInfo], *_: Any
) -> list[Finding]:
    rows = [r for r in current if r.policy == "unsanctioned"]
    return [
        _finding(rule, key, group, services, summary=lambda who, svc: f"{who} used unsanctioned AI service {svc}")
        for key, group in _group(rule, rows).items()
    ]


def _high_risk(
    rule: RuleSpec, current: list[UsageDay], _rows: Any, services: Mapping[str, ServiceInfo], *_: Any
) -> list[Finding]:
    minimum = int(rule.param("min_risk_score"))
    rows = [r for r in current if r.service in services and services[r.service].risk_score >= minimum]
    return [
        _finding(
            rule,
            key,
            group,
            services,
            summary=lambda who, svc, k=key: (
                f"{who} used {svc}, risk score {services[k[1]].risk_score}/10 (>= {minimum})"
            ),
            details={"risk_score": services[key[1]].risk_score},
        )
        for key, group in _group(rule, rows).items()
    ]


def _first_use_user(
    rule: RuleSpec,
    current: list[UsageDay],
    _rows: Any,
    services: Mapping[str, ServiceInfo],
    first_day_user: Mapping[tuple[str, str], date],
    _org: Any,
) -> list[Finding]:
    policies = set(rule.param("policies"))
    rows = [r for r in current if r.policy in policies and first_day_user.get((r.subject, r.service), r.day) == r.day]
    return [
        _finding(rule, key, group, services, summary=lambda who, svc: f"{who} used {svc} for the first time")
        for key, group in _group(rule, rows).items()
    ]


def _first_use_org(
    rule: RuleSpec,
    current: list[UsageDay],
    _rows: Any,
    services: Mapping[str, ServiceInfo],
    _user: Any,
    first_day_org: Mapping[str, date],
) -> list[Finding]:
    policies = set(rule.param("policies"))
    rows = [r for r in current if r.policy in policies and first_day_org.get(r.service, r.day) == r.day]
    return [
        _finding(rule, key, group, services, summary=lambda _who, svc: f"First use of {svc} in the organisation")
        for key, group in _group(rule, rows, org_wide=True).items()
    ]


def _upload_volume(
    rule: RuleSpec, current: list[UsageDay], _rows: Any, services: Mapping[str, ServiceInfo], *_: Any
) -> list[Finding]:
    per_user = int(rule.param("user_bytes_per_day") or 0)
    per_org = int(rule.param("org_bytes_per_day") or 0)
    factor = float(rule.param("escalate_factor") or 0)
    findings: list[Finding] = []

    def over(total: int, limit: int) -> str | None:
        if not limit or total <= limit:
            return None
        return escalate(rule.severity) if factor and total >= limit * factor else rule.severity

    daily: dict[tuple[str, str, date], list[UsageDay]] = defaultdict(list)
    org: dict[tuple[str, date], list[UsageDay]] = defaultdict(list)
    for row in current:
        daily[(row.subject, row.service, row.day)].append(row)
        org[(row.service, row.day)].append(row)
    for (subject, service, day), group in daily.items():
        total = sum(r.bytes_up for r in group)
        severity = over(total, per_user)
        if severity:
            key = (subject, service, window_start(_day_start(day), rule.window))
            findings.append(
                _finding(
                    rule,
                    key,
                    group,
                    services,
                    severity=severity,
                    summary=lambda who, svc, t=total, d=day: (
                        f"{who} uploaded {_mb(t)} to {svc} on {d} (limit {_mb(per_user)}/day)"
                    ),
                    details={"scope": "user", "day_bytes_up": total, "limit": per_user},
                )
            )
    for (service, day), group in org.items():
        total = sum(r.bytes_up for r in group)
        severity = over(total, per_org)
        if severity:
            key = ("", service, window_start(_day_start(day), rule.window))
            findings.append(
                _finding(
                    rule,
                    key,
                    group,
                    services,
                    severity=severity,
                    summary=lambda _who, svc, t=total, d=day: (
                        f"The organisation uploaded {_mb(t)} to {svc} on {d} (limit {_mb(per_org)}/day)"
                    ),
                    details={"scope": "organisation", "day_bytes_up": total, "limit": per_org},
                )
            )
    return findings


def _large_upload(
    rule: RuleSpec, current: list[UsageDay], _rows: Any, services: Mapping[str, ServiceInfo], *_: Any
) -> list[Finding]:
    limit = int(rule.param("request_bytes"))
    factor = float(rule.param("escalate_factor") or 0)
    rows = [r for r in current if r.max_request_bytes is not None and r.max_request_bytes > limit]
    findings = []
    for key, group in _group(rule, rows).items():
        largest = max(r.max_request_bytes or 0 for r in group)
        severity = escalate(rule.severity) if factor and largest >= limit * factor else rule.severity
        findings.append(
            _finding(
                rule,
                key,
                group,
                services,
                severity=severity,
                summary=lambda who, svc, b=largest: f"{who} sent a single {_mb(b)} request to {svc}",
                details={"largest_request_bytes": largest, "limit": limit},
            )
        )
    return findings


def _baseline(
    rule: RuleSpec, current: list[UsageDay], rows: Sequence[UsageDay], services: Mapping[str, ServiceInfo], *_: Any
) -> list[Finding]:
    metric = str(rule.param("metric"))
    days = int(rule.param("baseline_days"))
    min_active = int(rule.param("min_active_days"))
    threshold = float(rule.param("z_threshold"))
    min_value = float(rule.param("min_value") or 0)
    series: dict[tuple[str, str], dict[date, float]] = defaultdict(lambda: defaultdict(float))
    for row in rows:
        series[(row.subject, row.service)][row.day] += float(getattr(row, metric))
    findings = []
    by_day: dict[tuple[str, str, date], list[UsageDay]] = defaultdict(list)
    for row in current:
        by_day[(row.subject, row.service, row.day)].append(row)
    for (subject, service, day), group in by_day.items():
        history = series[(subject, service)]
        window = [history.get(day - timedelta(days=i), 0.0) for i in range(1, days + 1)]
        active = sum(1 for value in window if value > 0)
        value = history[day]
        if active < min_active or value < min_value:
            continue
        z = zscore(value, window)
        if z is None or z < threshold:
            continue
        severity = escalate(rule.severity) if z >= 2 * threshold else rule.severity
        mean = sum(window) / len(window)
        key = (subject, service, window_start(_day_start(day), rule.window))
        findings.append(
            _finding(
                rule,
                key,
                group,
                services,
                severity=severity,
                summary=lambda who, svc, z=z, d=day: (
                    f"{who}: {metric} to {svc} on {d} is {z:.1f} sigma above their {days}-day baseline"
                ),
                details={"metric": metric, "value": value, "baseline_mean": mean, "z": min(z, 1e9)},
            )
        )
    return findings


_HANDLERS: dict[RuleKind, _Handler] = {
    RuleKind.UNSANCTIONED: _unsanctioned,
    RuleKind.HIGH_RISK_SERVICE: _high_risk,
    RuleKind.FIRST_USE_USER: _first_use_user,
    RuleKind.FIRST_USE_ORG: _first_use_org,
    RuleKind.UPLOAD_VOLUME: _upload_volume,
    RuleKind.LARGE_UPLOAD: _large_upload,
    RuleKind.BASELINE_ZSCORE: _baseline,
}
