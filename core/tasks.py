"""Celery entry points for shared infrastructure. Thin: they call one service."""

from __future__ import annotations

from celery import shared_task

HEARTBEAT_NAME = "worker"


@shared_task(name="core.tasks.record_heartbeat_task")
def record_heartbeat_task() -> None:
    """Beat-scheduled every minute (config/celery_schedule.py): proves beat and a worker are alive."""
    from core.services import heartbeat_record

    heartbeat_record(name=HEARTBEAT_NAME)
