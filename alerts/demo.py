"""Demo alerting for `manage.py demo` (run after ``discovery.demo``): the seven rule kinds, an e-mail channel and
a (disabled) signed-webhook channel, then one evaluation over the demo week.

Idempotent: rules and channels are created once by key/name, and alerts are keyed by (fingerprint, window), so a
second run finds everything in place and changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from alerts.choices import AlertRuleKind, AlertSeverity
from alerts.models import AlertRule
from alerts.services import EvaluationOutcome, alert_rule_create, alert_rules_evaluate
from notifications.choices import ChannelKind
from notifications.models import Channel
from notifications.services import channel_create

MB = 1024 * 1024

#: (key, name, kind, severity, params, window hours); the demo week is small, so its volume limits are lowered.
#: Per-user policy rules use 30-day windows (one alert per user and service a month, counts updated in between).
DEMO_RULES: list[tuple[str, str, str, str, dict[str, Any], int]] = [
    ("unsanctioned-use", "Unsanctioned AI service used", AlertRuleKind.UNSANCTIONED, AlertSeverity.HIGH, {}, 720),
    ("first-use-org", "New AI service in the organisation", AlertRuleKind.FIRST_USE_ORG, AlertSeverity.MEDIUM, {}, 24),
    ("first-use-user", "User's first use of an AI service", AlertRuleKind.FIRST_USE_USER, AlertSeverity.LOW, {}, 24),
    (
        "upload-volume",
        "Upload volume above the daily limit",
        AlertRuleKind.UPLOAD_VOLUME,
        AlertSeverity.HIGH,
        {"user_bytes_per_day": 20 * MB, "org_bytes_per_day": 60 * MB},
        24,
    ),
    ("large-upload", "Single large upload", AlertRuleKind.LARGE_UPLOAD, AlertSeverity.MEDIUM, {}, 24),
    ("usage-spike", "Usage far above the user's baseline", AlertRuleKind.BASELINE_ZSCORE, AlertSeverity.MEDIUM, {}, 24),
    (
        "high-risk-service",
        "High-risk AI service used",
        AlertRuleKind.HIGH_RISK_SERVICE,
        AlertSeverity.MEDIUM,
        {"min_risk_score": 7},
        720,
    ),
]

EMAIL_CHANNEL = "SOC e-mail"
EMAIL_RULES = ("first-use-org", "upload-volume")
WEBHOOK_CHANNEL = "SIEM webhook (example)"


def load(*, users: dict[str, Any], since: datetime | None = None) -> EvaluationOutcome:
    """Create the demo channels and rules as ``sam`` and evaluate the rules over the demo week."""
    sam = users["sam"]
    _channels_load(sam)
    email = Channel.objects.get(name=EMAIL_CHANNEL)
    webhook = Channel.objects.get(name=WEBHOOK_CHANNEL)
    for key, name, kind, severity, params, window in DEMO_RULES:
        if not AlertRule.objects.filter(key=key).exists():
            alert_rule_create(
                actor=sam,
                reason="demo data",
                data={
                    "key": key,
                    "name": name,
                    "kind": kind,
                    "severity": severity,
                    "params": params,
                    "window_hours": window,
                    "repeat_interval_hours": 24,
                    # people get the organisation-level news; per-user detections go to the SIEM channel only
                    "channels": [email, webhook] if key in EMAIL_RULES else [webhook],
                },
            )
    start = since or datetime.now(UTC) - timedelta(days=8)
    return alert_rules_evaluate(since=start.date())


def _channels_load(sam: Any) -> None:
    if not Channel.objects.filter(name=EMAIL_CHANNEL).exists():
        channel_create(
            actor=sam,
            reason="demo data",
            data={
                "name": EMAIL_CHANNEL,
                "kind": ChannelKind.EMAIL,
                "config": {"to": ["soc@example.com"]},
                "min_severity": AlertSeverity.MEDIUM,
            },
        )
    if not Channel.objects.filter(name=WEBHOOK_CHANNEL).exists():
        channel_create(
            actor=sam,
            reason="demo data",
            data={
                "name": WEBHOOK_CHANNEL,
                "kind": ChannelKind.WEBHOOK,
                "config": {"url": "http://127.0.0.1:9000/aigov-alerts", "secret": "change-me"},
                "enabled": False,
                "min_severity": AlertSeverity.HIGH,
            },
        )
