"""Celery entry points for governance: thin, take ids, idempotent, return quietly when the object is gone."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="governance.tasks.send_obligation_reminders_task", ignore_result=True, acks_late=True)
def send_obligation_reminders_task() -> int:
    """Email owners about obligations coming due (idempotent: each reminder is recorded and sent once)."""
    from governance.services import obligation_reminders_send

    return obligation_reminders_send()
