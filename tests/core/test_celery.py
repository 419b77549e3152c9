"""Celery configuration, beat schedule, and a task sent through the real broker to a real worker."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from config.celery import app
from config.celery_schedule import BEAT_SCHEDULE, TASK_ROUTES
from core.models import WorkerHeartbeat
from core.queues import Queue
from core.tasks import HEARTBEAT_NAME, record_heartbeat_task


def test_reliability_settings_are_on() -> None:
    # then
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.task_soft_time_limit < app.conf.task_time_limit
    assert app.conf.task_ignore_result is True
    assert app.conf.beat_scheduler == "core.beat:HeartbeatDatabaseScheduler"  # DatabaseScheduler + heartbeat file


def test_queues_are_declared_from_the_enum() -> None:
    # then
    assert (
        {q.name for q in app.conf.task_queues} == {q.value for q in Queue} == {"default", "ingest", "audits", "alerts"}
    )
    assert {route["queue"] for route in TASK_ROUTES.values()} <= {q.value for q in Queue}


def test_every_beat_entry_expires_and_names_a_registered_task() -> None:
    # given
    app.loader.import_default_modules()
    # then
    assert BEAT_SCHEDULE
    for name, entry in BEAT_SCHEDULE.items():
        assert entry["task"] in app.tasks, name
        assert entry["options"]["expires"] > 0, name


@pytest.mark.django_db(transaction=True)  # the scheduler closes the connection: not possible inside a test atomic
def test_database_scheduler_installs_the_beat_entries_editable_in_the_admin() -> None:
    # when
    DatabaseScheduler(app=app, lazy=False)
    # then
    task = PeriodicTask.objects.get(name="Worker heartbeat")
    assert task.task == "core.tasks.record_heartbeat_task"
    assert task.crontab is not None
    assert task.enabled


@pytest.mark.django_db
def test_heartbeat_task_is_idempotent_per_row() -> None:
    # when
    record_heartbeat_task()
    record_heartbeat_task()
    # then
    heartbeat = WorkerHeartbeat.objects.get(name=HEARTBEAT_NAME)
    assert heartbeat.beats == 2


@pytest.fixture
def celery_worker(transactional_db: None) -> Iterator[Any]:
    """A real worker thread consuming from the configured broker (Redis in CI, the embedded SQLite broker locally)."""
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30, loglevel="WARNING") as worker:
        yield worker


@pytest.mark.broker
def test_task_sent_through_the_real_broker_runs_and_writes_to_the_database(celery_worker: Any) -> None:
    # given
    assert not WorkerHeartbeat.objects.exists()
    # when
    record_heartbeat_task.apply_async(queue=Queue.DEFAULT.value)
    # then
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not WorkerHeartbeat.objects.filter(name=HEARTBEAT_NAME).exists():
        time.sleep(0.2)
    heartbeat = WorkerHeartbeat.objects.get(name=HEARTBEAT_NAME)
    assert heartbeat.beats == 1
    assert settings.CELERY_BROKER_URL.split(":")[0] in {"redis", "sqla+sqlite"}
