"""Thin tasks: take ids, idempotent when delivered twice, quiet when the object is gone."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from audits.choices import RunStatus
from audits.models import AuditRun
from audits.tasks import execute_audit_run_task, schedule_audit_run_task
from config.celery_schedule import TASK_ROUTES
from tests.audits.factories import AuditDefinitionFactory, AuditRunFactory

pytestmark = pytest.mark.django_db


def test_tasks_route_to_the_audits_queue() -> None:
    # then
    assert TASK_ROUTES["audits.tasks.*"] == {"queue": "audits"}
    assert execute_audit_run_task.name.startswith("audits.tasks.")


def test_schedule_task_ticking_twice_creates_one_run(django_capture_on_commit_callbacks: Any) -> None:
    # given
    definition = AuditDefinitionFactory(schedule_interval_minutes=60)
    # when
    with django_capture_on_commit_callbacks() as callbacks:
        schedule_audit_run_task(definition.pk)
        schedule_audit_run_task(definition.pk)
    # then
    assert AuditRun.objects.filter(definition=definition).count() == 1
    assert len(callbacks) == 1


def test_schedule_task_skips_disabled_and_missing_definitions() -> None:
    # given
    definition = AuditDefinitionFactory(schedule_interval_minutes=60, enabled=False)
    # when
    schedule_audit_run_task(definition.pk)
    schedule_audit_run_task(987654)
    # then
    assert AuditRun.objects.count() == 0


def test_execute_task_twice_runs_once() -> None:
    # given
    run = AuditRunFactory()
    # when
    execute_audit_run_task(run.pk)
    run.refresh_from_db()
    finished = run.finished_at
    execute_audit_run_task(run.pk)
    # then
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED
    assert run.attempts == 1 and run.finished_at == finished


def test_execute_task_returns_quietly_for_a_missing_run() -> None:
    # when / then (no exception)
    execute_audit_run_task(123456789)


def test_beat_to_result_end_to_end_through_on_commit(django_capture_on_commit_callbacks: Any, settings: Any) -> None:
    # given: tasks run eagerly, as a worker would run them
    from config.celery import app

    definition = AuditDefinitionFactory(schedule_cron="* * * * *")
    app.conf.task_always_eager = True
    try:
        # when
        with django_capture_on_commit_callbacks(execute=True):
            schedule_audit_run_task(definition.pk)
    finally:
        app.conf.task_always_eager = False
    # then
    run = AuditRun.objects.get(definition=definition)
    assert run.status == RunStatus.SUCCEEDED
    assert run.slot <= timezone.now()
