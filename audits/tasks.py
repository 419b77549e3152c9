"""Celery entry points for audits: thin, take ids, idempotent, return quietly when the object is gone.

Routed to the ``audits`` queue by ``config.celery_schedule.TASK_ROUTES`` (``audits.tasks.*``). The evidence-pack
build task moved to ``evidence.tasks`` and kept its registered name ``audits.tasks.build_evidence_pack_task``.
"""

from __future__ import annotations

from celery import shared_task


@shared_task(name="audits.tasks.schedule_audit_run_task")
def schedule_audit_run_task(definition_id: int) -> None:
    """Beat entry (one django-celery-beat PeriodicTask per definition): create the run for the current slot.

    A duplicate tick for the same slot finds the existing run and does nothing.
    """
    from audits.models import AuditDefinition
    from audits.services import audit_run_schedule

    try:
        definition = AuditDefinition.objects.get(pk=definition_id)
    except AuditDefinition.DoesNotExist:
        return
    if definition.enabled:
        audit_run_schedule(definition=definition)


@shared_task(name="audits.tasks.execute_audit_run_task")
def execute_audit_run_task(run_id: int) -> None:
    """Claim and execute one run; a second delivery finds it claimed (or gone) and returns."""
    from audits.services import audit_run_execute

    audit_run_execute(run_id=run_id)


@shared_task(name="audits.tasks.fail_stale_audit_runs_task")
def fail_stale_audit_runs_task() -> None:
    """Beat entry (config/celery_schedule.py): fail runs whose worker died, so they can be retried."""
    from audits.services import audit_runs_fail_stale

    audit_runs_fail_stale()
