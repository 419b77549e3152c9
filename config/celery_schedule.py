"""Every beat entry and every task route, in one module (PostHog ``scheduled.py``).

Entries use crontab only, each with a human name, a comment on its cadence and an ``expires`` of about 1.5x the
interval so a backlog never piles up. django-celery-beat's DatabaseScheduler copies them into the database on start,
where they can be edited, disabled or re-timed in the admin (Periodic tasks).
"""

from __future__ import annotations

from typing import Any

from celery.schedules import crontab

from core.queues import Queue

TASK_ROUTES: dict[str, dict[str, str]] = {
    "core.tasks.*": {"queue": Queue.DEFAULT.value},
    "governance.tasks.*": {"queue": Queue.DEFAULT.value},
    "audits.tasks.*": {"queue": Queue.AUDITS.value},  # includes audits.tasks.build_evidence_pack_task (evidence)
    "evidence.tasks.*": {"queue": Queue.AUDITS.value},
    "discovery.tasks.ingest_*": {"queue": Queue.INGEST.value},
    "discovery.tasks.purge_*": {"queue": Queue.DEFAULT.value},
    "discovery.tasks.reap_*": {"queue": Queue.DEFAULT.value},
    "discovery.tasks.rotate_*": {"queue": Queue.DEFAULT.value},
    "discovery.tasks.*": {"queue": Queue.ALERTS.value},  # the promoted-policy sync, and the pre-move alert task names
    "alerts.tasks.*": {"queue": Queue.ALERTS.value},
    "notifications.tasks.*": {"queue": Queue.ALERTS.value},  # the outbox sends beside alerting (short network calls)
}

BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    # Proves that beat and a worker are alive: /healthz and the admin show the last beat. Every minute.
    "Worker heartbeat": {
        "task": "core.tasks.record_heartbeat_task",
        "schedule": crontab(),
        "options": {"expires": 90},
    },
    # Emails owners of open EU AI Act obligations due within 30/7 days or overdue; each reminder is recorded and
    # sent once per obligation, due date and window. Daily at 07:00 is enough for day-granular due dates.
    "Governance obligation reminders": {
        "task": "governance.tasks.send_obligation_reminders_task",
        "schedule": crontab(minute="0", hour="7"),
        "options": {"expires": 36 * 3600},
    },
    # Retention: removes discovery raw detail older than DISCOVERY_RETENTION_DAYS. Daily at 03:17 (off-peak, off
    # the hour); the task re-enqueues itself until drained.
    "Discovery retention purge": {
        "task": "discovery.tasks.purge_discovery_detail_task",
        "schedule": crontab(minute="17", hour="3"),
        "options": {"expires": 36 * 3600},
    },
    # Ingestion reaper: chunks whose task was lost (worker killed, message lost) go back to the queue while attempts
    # remain, else end failed so their batch settles. Every 5 minutes: with the 20-minute hard limit plus the
    # 5-minute margin, a lost chunk is picked up again within ~30 minutes.
    "Discovery ingest reaper": {
        "task": "discovery.tasks.reap_stuck_chunks_task",
        "schedule": crontab(minute="*/5"),
        "options": {"expires": 7 * 60},
    },
    # Shadow-AI alert rules over the last few days of usage (ingestion batches also trigger them as they finish).
    # Every 15 minutes: late uploads and rule changes show up within a quarter of an hour. (Entry names are the
    # database rows' keys: kept from before alerting left discovery, so upgrading does not add a second entry.)
    "Discovery alert rules": {
        "task": "alerts.tasks.evaluate_alert_rules_task",
        "schedule": crontab(minute="*/15"),
        "options": {"expires": 22 * 60},
    },
    # Notification outbox (alerts, audit findings, obligation reminders, evidence packs ready): sends due
    # deliveries (retries after backoff, rows whose task was lost). Every minute, so a retry is at most a minute late.
    "Discovery alert delivery dispatcher": {
        "task": "notifications.tasks.dispatch_deliveries_task",
        "schedule": crontab(),
        "options": {"expires": 90},
    },
    # Registry decisions on promoted shadow-AI services flow back to the discovery policy. Every 15 minutes,
    # offset from the rule run.
    "Discovery registry policy sync": {
        "task": "discovery.tasks.sync_promoted_policies_task",
        "schedule": crontab(minute="7-59/15"),
        "options": {"expires": 22 * 60},
    },
    # Fails audit runs whose worker died mid-run (RUNNING past the hard time limit) so they can be retried. Every
    # 15 minutes: with the 20-minute limit plus a 5-minute margin, a dead run is failed within ~40 minutes.
    "Audits stale-run reaper": {
        "task": "audits.tasks.fail_stale_audit_runs_task",
        "schedule": crontab(minute="*/15"),
        "options": {"expires": 22 * 60},
    },
}

#: The tasks a non-superuser may schedule as a periodic task in the admin: the beat entries above plus the per
#: audit-definition slot task (``audits.services.SCHEDULE_TASK``, mirrored from each definition's cadence). Any
#: other registered task (a purge, an ingest chunk, Celery's own) is not offered and is refused.
PERIODIC_TASK_ALLOWLIST: frozenset[str] = frozenset(
    {entry["task"] for entry in BEAT_SCHEDULE.values()} | {"audits.tasks.schedule_audit_run_task"}
)
