"""Alert rule evaluation and dedup helpers: pure, table-driven, no database."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pytest

from alerts.rules import RuleKind, RuleSpec, ServiceInfo, UsageDay, evaluate, fingerprint, should_notify, zscore
from alerts.rules.dedup import window_start
from alerts.rules.rules import MB, escalate

DAY = timedelta(days=1)
D0 = date(2026, 3, 2)
SERVICES = {
    "deepseek": ServiceInfo("deepseek", "DeepSeek", "chat.deepseek.com", 8, "unsanctioned"),
    "chatgpt": ServiceInfo("chatgpt", "ChatGPT", "chatgpt.com", 4, "sanctioned"),
    "claude": ServiceInfo("claude", "Claude", "claude.ai", 3, "tolerated"),
}


def usage(
    subject: str = "u1",
    service: str = "deepseek",
    day: date = D0,
    *,
    requests: int = 1,
    bytes_up: int = 0,
    policy: str = "unsanctioned",
    largest: int | None = None,
) -> UsageDay:
    at = datetime(day.year, day.month, day.day, 10, tzinfo=UTC)
    return UsageDay(subject, "user", service, day, requests, bytes_up, policy, at, at + timedelta(hours=1), 0, largest)


def rule(kind: RuleKind, window: timedelta = DAY, severity: str = "medium", **params: object) -> RuleSpec:
    return RuleSpec(key=f"r-{kind}", kind=kind, severity=severity, window=window, params=params)


def keys(findings: list) -> list[tuple[str, str, date, str]]:
    return [(f.subject, f.service, f.window_start.date(), f.severity) for f in findings]


def test_unsanctioned_groups_per_subject_service_and_window() -> None:
    # given
    rows = [
        usage("u1", day=D0, requests=2),
        usage("u1", day=D0 + DAY, requests=3),
        usage("u2", day=D0),
        usage("u1", "chatgpt", policy="sanctioned"),
    ]
    # when
    weekly = evaluate(rule(RuleKind.UNSANCTIONED, window=7 * DAY), rows=rows, since=D0, services=SERVICES)
    daily = evaluate(rule(RuleKind.UNSANCTIONED), rows=rows, since=D0, services=SERVICES)
    # then
    assert sorted((f.subject, f.count) for f in weekly) == [("u1", 5), ("u2", 1)]
    assert len(daily) == 3
    assert all(f.service == "deepseek" for f in daily)


def test_rows_before_since_are_not_evaluated() -> None:
    rows = [usage(day=D0 - DAY), usage(day=D0)]
    findings = evaluate(rule(RuleKind.UNSANCTIONED), rows=rows, since=D0, services=SERVICES)
    assert [f.window_start.date() for f in findings] == [D0]


@pytest.mark.parametrize(
    ("min_risk", "expected"),
    [(7, ["deepseek"]), (4, ["chatgpt", "deepseek"]), (9, [])],
)
def test_high_risk_service(min_risk: int, expected: list[str]) -> None:
    rows = [usage(service="deepseek"), usage(service="chatgpt", policy="sanctioned"), usage(service="claude")]
    findings = evaluate(
        rule(RuleKind.HIGH_RISK_SERVICE, min_risk_score=min_risk), rows=rows, since=D0, services=SERVICES
    )
    assert sorted(f.service for f in findings) == expected


def test_first_use_by_user_only_on_the_first_day_and_not_for_sanctioned() -> None:
    # given: u1 first used deepseek before D0; u2 starts on D0; chatgpt is sanctioned
    rows = [
        usage("u1", day=D0),
        usage("u2", day=D0),
        usage("u2", day=D0 + DAY),
        usage("u3", "chatgpt", policy="sanctioned"),
    ]
    first = {("u1", "deepseek"): D0 - 5 * DAY, ("u2", "deepseek"): D0, ("u3", "chatgpt"): D0}
    # when
    findings = evaluate(rule(RuleKind.FIRST_USE_USER), rows=rows, since=D0, services=SERVICES, first_day_user=first)
    # then
    assert keys(findings) == [("u2", "deepseek", D0, "medium")]


def test_first_use_by_organisation_is_one_org_wide_finding() -> None:
    rows = [usage("u1", day=D0), usage("u2", day=D0), usage("u1", "claude", day=D0, policy="tolerated")]
    findings = evaluate(
        rule(RuleKind.FIRST_USE_ORG),
        rows=rows,
        since=D0,
        services=SERVICES,
        first_day_org={"deepseek": D0, "claude": D0 - DAY},
    )
    assert keys(findings) == [("", "deepseek", D0, "medium")]
    assert findings[0].details["users"] == 2
    assert findings[0].subject_kind == ""


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # per user: 100 MB/day is the limit, > limit alerts; 4x escalates one level
        ([usage("u1", bytes_up=100 * MB)], []),
        ([usage("u1", bytes_up=100 * MB + 1)], [("u1", "deepseek", D0, "medium")]),
        ([usage("u1", bytes_up=400 * MB)], [("u1", "deepseek", D0, "high")]),
        # organisation: 6 users x 90 MB = 540 MB > 500 MB, none above the user limit
        ([usage(f"u{i}", bytes_up=90 * MB) for i in range(6)], [("", "deepseek", D0, "medium")]),
        # the same volume spread over two days is under both limits
        ([usage("u1", bytes_up=60 * MB), usage("u1", day=D0 + DAY, bytes_up=60 * MB)], []),
    ],
)
def test_upload_volume_per_user_and_organisation(rows: list[UsageDay], expected: list) -> None:
    findings = evaluate(rule(RuleKind.UPLOAD_VOLUME), rows=rows, since=D0, services=SERVICES)
    assert keys(findings) == expected


def test_upload_volume_thresholds_are_configurable_per_rule() -> None:
    findings = evaluate(
        rule(RuleKind.UPLOAD_VOLUME, user_bytes_per_day=1000, org_bytes_per_day=0),
        rows=[usage(bytes_up=1001)],
        since=D0,
        services=SERVICES,
    )
    assert keys(findings) == [("u1", "deepseek", D0, "medium")]


@pytest.mark.parametrize(
    ("largest", "expected"),
    [(None, []), (25 * MB, []), (25 * MB + 1, ["medium"]), (100 * MB, ["high"])],
)
def test_single_large_upload(largest: int | None, expected: list[str]) -> None:
    findings = evaluate(rule(RuleKind.LARGE_UPLOAD), rows=[usage(largest=largest)], since=D0, services=SERVICES)
    assert [f.severity for f in findings] == expected
    if findings:
        assert findings[0].details["largest_request_bytes"] == largest


def _history(values: list[int], *, subject: str = "u1") -> list[UsageDay]:
    """``values[i]`` MB uploaded ``len(values) - i`` days before D0 (0 = no row that day)."""
    n = len(values)
    return [usage(subject, day=D0 - (n - i) * DAY, bytes_up=v * MB) for i, v in enumerate(values) if v]


@pytest.mark.parametrize(
    ("history", "today_mb", "expected"),
    [
        # 30 active days of 10/30 MB (mean 20, sigma 10), then 55 MB: z = 3.5
        ([10, 30] * 15, 55, ["medium"]),
        ([10, 30] * 15, 45, []),
        # same spike but z >= 2 x threshold escalates; a flat baseline makes any rise infinite
        ([10] * 30, 200, ["high"]),
        # only 3 active days of history: too little to judge
        ([0] * 27 + [10, 10, 10], 500, []),
        # a spike below min_value (10 MB) is ignored
        ([1, 2] * 15, 9, []),
        # ordinary day
        ([10, 12] * 15, 12, []),
    ],
)
def test_baseline_zscore(history: list[int], today_mb: int, expected: list[str]) -> None:
    rows = [*_history(history), usage(day=D0, bytes_up=today_mb * MB)]
    findings = evaluate(rule(RuleKind.BASELINE_ZSCORE), rows=rows, since=D0, services=SERVICES)
    assert [f.severity for f in findings] == expected


def test_baseline_is_per_subject() -> None:
    rows = [*_history([10, 12] * 15, subject="u1"), usage("u2", day=D0, bytes_up=200 * MB)]
    assert evaluate(rule(RuleKind.BASELINE_ZSCORE), rows=rows, since=D0, services=SERVICES) == []


@pytest.mark.parametrize(
    ("value", "baseline", "expected"),
    [(5, [], None), (5, [5, 5], 0.0), (6, [5, 5], math.inf), (4, [5, 5], 0.0), (7, [1, 3], 5.0), (2, [1, 3], 0.0)],
)
def test_zscore(value: float, baseline: list[float], expected: float | None) -> None:
    assert zscore(value, baseline) == expected


def test_findings_are_deterministic_for_the_same_traffic() -> None:
    rows = [usage("u1", bytes_up=300 * MB), usage("u2", day=D0 + DAY)]
    first = evaluate(rule(RuleKind.UPLOAD_VOLUME), rows=rows, since=D0, services=SERVICES)
    again = evaluate(rule(RuleKind.UPLOAD_VOLUME), rows=list(reversed(rows)), since=D0, services=SERVICES)
    assert first == again


@pytest.mark.parametrize(
    ("severity", "steps", "expected"),
    [("low", 1, "medium"), ("high", 1, "critical"), ("critical", 1, "critical"), ("medium", 2, "critical")],
)
def test_escalate(severity: str, steps: int, expected: str) -> None:
    assert escalate(severity, steps) == expected


def test_fingerprint_is_stable_and_distinguishes_parts() -> None:
    base = fingerprint("r1", "u1", "deepseek")
    assert base == fingerprint("r1", "u1", "deepseek")
    assert len(base) == 64
    assert (
        len(
            {
                base,
                fingerprint("r2", "u1", "deepseek"),
                fingerprint("r1", "u2", "deepseek"),
                fingerprint("r1", "u1", "claude"),
            }
        )
        == 4
    )


@pytest.mark.parametrize(
    ("when", "window", "expected"),
    [
        (datetime(2026, 3, 2, 17, 30, tzinfo=UTC), DAY, datetime(2026, 3, 2, tzinfo=UTC)),
        (datetime(2026, 3, 2, 0, 0, tzinfo=UTC), DAY, datetime(2026, 3, 2, tzinfo=UTC)),
        (datetime(2026, 3, 2, 17, 30, tzinfo=UTC), timedelta(hours=6), datetime(2026, 3, 2, 12, tzinfo=UTC)),
        # weeks are aligned on the Unix epoch (a Thursday)
        (datetime(2026, 3, 2, 17, 30, tzinfo=UTC), 7 * DAY, datetime(2026, 2, 26, tzinfo=UTC)),
    ],
)
def test_window_start(when: datetime, window: timedelta, expected: datetime) -> None:
    assert window_start(when, window) == expected


def test_window_must_be_positive() -> None:
    with pytest.raises(ValueError):
        window_start(datetime(2026, 1, 1, tzinfo=UTC), timedelta(0))


NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("notified_at", "notified_severity", "severity", "expected"),
    [
        (None, "", "low", True),  # never notified: notify on open
        (NOW - timedelta(hours=1), "medium", "medium", False),  # repeat inside the interval: quiet
        (NOW - timedelta(hours=4), "medium", "medium", True),  # repeat interval (4 h) elapsed
        (NOW - timedelta(minutes=5), "medium", "high", True),  # severity increased
        (NOW - timedelta(minutes=5), "high", "medium", False),  # severity decreased: quiet
    ],
)
def test_should_notify(notified_at: datetime | None, notified_severity: str, severity: str, expected: bool) -> None:
    assert (
        should_notify(
            notified_at=notified_at,
            notified_severity=notified_severity,
            severity=severity,
            now=NOW,
            repeat_interval=timedelta(hours=4),
        )
        is expected
    )


def test_summaries_use_the_service_name_and_a_shortened_pseudonym() -> None:
    findings = evaluate(rule(RuleKind.UNSANCTIONED), rows=[usage("PSEUDONYM0123456789")], since=D0, services=SERVICES)
    assert findings[0].summary == "PSEUDONYM012 used unsanctioned AI service DeepSeek"
