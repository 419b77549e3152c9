"""Alert-rule evaluation benchmark: ``alert_rules_evaluate`` over N usage rows with the seven demo rules and two
enabled channels, timed twice: the first run (every finding opens an alert, deliveries are written) and a re-run over
the same traffic (dedup: nothing new, nothing notified).

Usage: ``.venv/bin/python bench/bench_alert_eval.py [--rows N] [--days D] [--seed S]``. Runs on the embedded default
(SQLite in a temporary DATA_DIR); with ``DATABASE_URL=postgres://...`` it creates and drops a
``bench_alerts_<pid>`` database. The usage rows (about three services per user per day over ``--days`` days, a mix
of sanctioned, tolerated and unsanctioned services, some heavy uploads and usage spikes) are written with
``bulk_create`` outside the timing. The rules are the demo's (thresholds included) with the model's default 24-hour
dedup window (``--window-hours``), so the unsanctioned and high-risk rules find one alert per user, service and
day. Broker publishing of the deliveries is replaced by a counter (same for every
version of the code) so the figures are the evaluation's own. Prints the times, the findings, alerts, deliveries and
history/audit rows written, and the number of SQL queries of each run.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any
from unittest import mock

from _django import bench_database  # also puts the repository on sys.path

MB = 1024 * 1024
NOW = datetime(2026, 3, 21, 18, tzinfo=UTC)
#: (slug, policy recorded on the usage rows); ChatGPT sanctioned, Claude and Gemini tolerated, the rest not
SERVICES = [
    ("chatgpt", "sanctioned"),
    ("claude", "tolerated"),
    ("gemini", "tolerated"),
    ("deepseek", "unsanctioned"),
    ("perplexity", "unsanctioned"),
    ("huggingface", "unsanctioned"),
    ("cursor", "unsanctioned"),
    ("github-copilot", "sanctioned"),
    ("manus", "unsanctioned"),
    ("poe", "unsanctioned"),
    ("coze", "unsanctioned"),
    ("grok", "unsanctioned"),
]


def build_usage(rows: int, days: int, seed: int) -> int:
    """About ``rows`` usage rows: users x days x ~3 services, each user with a few favourite services."""
    from discovery.choices import SubjectKind
    from discovery.models import AIService, LogBatch, LogChunk, LogSource, UsageRecord

    rng = random.Random(seed)
    services = {s.slug: s for s in AIService.objects.filter(slug__in=[slug for slug, _ in SERVICES])}
    missing = sorted({slug for slug, _ in SERVICES} - set(services))
    if missing:
        raise SystemExit(f"catalog lacks {missing}")
    source = LogSource.objects.create(name="bench", log_format="squid")
    batch = LogBatch.objects.create(source=source, sha256="b" * 64, log_format="squid", status="done")
    chunk = LogChunk.objects.create(batch=batch, index=0, start_offset=0, end_offset=0)
    users = max(1, rows // (days * 3))
    first_day = NOW.date() - timedelta(days=days - 1)
    objs: list[Any] = []
    for u in range(users):
        subject = f"{u:064x}"
        favourites = rng.sample(SERVICES, 5)
        for d in range(days):
            day = first_day + timedelta(days=d)
            for slug, policy in rng.sample(favourites, 3):
                spike = rng.random() < 0.02
                bytes_up = rng.randint(10_000, 3 * MB) * (40 if spike else 1)
                at = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(minutes=rng.randint(0, 1380))
                objs.append(
                    UsageRecord(
                        chunk=chunk,
                        batch=batch,
                        service=services[slug],
                        subject=subject,
                        subject_kind=SubjectKind.USER,
                        key_version=1,
                        department=f"dept{u % 7}",
                        day=day,
                        requests=rng.randint(1, 60),
                        upload_requests=rng.randint(0, 3),
                        bytes_up=bytes_up,
                        bytes_down=bytes_up * 3,
                        max_request_bytes=rng.randint(1000, 40 * MB) if rng.random() < 0.05 else None,
                        first_seen=at,
                        last_seen=at + timedelta(minutes=30),
                        policy_status=policy,
                    )
                )
    UsageRecord.objects.bulk_create(objs, batch_size=2000)
    return len(objs)


def setup_rules(window_hours: int | None) -> None:
    from alerts.choices import AlertSeverity
    from alerts.demo import DEMO_RULES
    from alerts.models import AlertRule
    from notifications.choices import ChannelKind
    from notifications.models import Channel

    for key, name, kind, severity, params, window in DEMO_RULES:
        AlertRule.objects.create(
            key=key, name=name, kind=kind, severity=severity, params=params, window_hours=window_hours or window
        )
    Channel.objects.create(name="soc", kind=ChannelKind.EMAIL, config={"to": ["soc@example.com"]})
    Channel.objects.create(
        name="siem",
        kind=ChannelKind.WEBHOOK,
        config={"url": "http://127.0.0.1:9/x", "secret": "s"},
        min_severity=AlertSeverity.MEDIUM,
    )


def timed_run(since: date) -> tuple[float, Any, int, int]:
    from django.db import connection

    from alerts.services import alert_rules_evaluate
    from notifications.tasks import send_delivery_task

    queries = 0

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    with mock.patch.object(send_delivery_task, "delay") as delay, connection.execute_wrapper(count):
        start = time.perf_counter()
        outcome = alert_rules_evaluate(since=since, until=NOW.date(), now=NOW)
        seconds = time.perf_counter() - start
    return seconds, outcome, queries, delay.call_count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--window-hours",
        type=int,
        default=24,
        help="dedup window of every rule (24 = the model default; 0 = the demo's, 30 days for the per-user policy "
        "rules)",
    )
    args = parser.parse_args()
    with bench_database("alerts") as (engine, _):
        from alerts.models import Alert
        from core.models import AuditLogEntry
        from notifications.models import Delivery

        made = build_usage(args.rows, args.days, args.seed)
        setup_rules(args.window_hours)
        since = NOW.date() - timedelta(days=args.days - 1)
        print(
            f"database: {engine}; usage rows: {made:,} over {args.days} days; rules: 7 "
            f"(windows: {args.window_hours or 'demo'} h); channels: 2"
        )
        for label in ("first run", "re-run"):
            seconds, outcome, queries, enqueued = timed_run(since)
            print(
                f"{label:10s} {seconds:8.2f} s  findings {outcome.findings:,}  created {outcome.created:,}  "
                f"updated {outcome.updated:,}  notified {outcome.notified:,}  deliveries {len(outcome.deliveries):,}"
                f"  (enqueued {enqueued:,})  queries {queries:,}"
            )
        history = Alert.history.count()
        audit = AuditLogEntry.objects.filter(event_type="alerts.alert.raised").count()
        print(
            f"alerts {Alert.objects.count():,}; deliveries {Delivery.objects.count():,}; "
            f"alert history rows {history:,}; audit 'raised' rows {audit:,}"
        )


if __name__ == "__main__":
    main()
