"""Celery entry points for discovery: thin, take ids, idempotent, return quietly when the object is gone."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError


# A locked/busy database (SQLite's writer lock, a PostgreSQL serialisation hiccup) is transient; retrying is safe
# because a chunk's results commit atomically with its ``done`` flag.
@shared_task(
    name="discovery.tasks.ingest_log_chunk_task",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def ingest_log_chunk_task(chunk_id: int) -> None:
    """Process one chunk of an uploaded log (queue ``ingest``). Safe to run twice: the chunk commits atomically."""
    from discovery.services import log_chunk_process

    log_chunk_process(chunk_id=chunk_id)


@shared_task(name="discovery.tasks.purge_discovery_detail_task")
def purge_discovery_detail_task() -> None:
    """Daily retention purge; re-enqueues itself until everything beyond the retention period is gone."""
    from discovery.services import discovery_detail_purge

    if discovery_detail_purge():
        purge_discovery_detail_task.delay()


# --- alerts (queue ``alerts``) -----------------------------------------------------------------------------------


@shared_task(name="discovery.tasks.evaluate_alert_rules_task", acks_late=True)
def evaluate_alert_rules_task(batch_id: int | None = None) -> None:
    """Run the alert rules: over a finished batch's days, or (beat, no id) over the last few days. Idempotent."""
    from discovery.alert_services import alert_rules_evaluate, alert_rules_evaluate_for_batch

    if batch_id is None:
        alert_rules_evaluate()
    else:
        alert_rules_evaluate_for_batch(batch_id=batch_id)


@shared_task(name="discovery.tasks.send_alert_delivery_task", acks_late=True)
def send_alert_delivery_task(delivery_id: int) -> None:
    """Send one outbox row (claimed by a conditional UPDATE, so a duplicate task does nothing); on a transient
    failure, schedule itself again after the backoff the service chose (the dispatcher is the safety net)."""
    from discovery.alert_services import delivery_send

    outcome = delivery_send(delivery_id=delivery_id)
    if outcome.status == "retry" and outcome.delay is not None:
        send_alert_delivery_task.apply_async((delivery_id,), countdown=outcome.delay)


@shared_task(name="discovery.tasks.dispatch_alert_deliveries_task")
def dispatch_alert_deliveries_task() -> None:
    """Beat: fan out every due outbox row (retries, and rows whose task was lost)."""
    from discovery.alert_services import deliveries_due

    for delivery_id in deliveries_due():
        send_alert_delivery_task.delay(delivery_id)


@shared_task(name="discovery.tasks.sync_promoted_policies_task")
def sync_promoted_policies_task() -> None:
    """Beat: apply registry lifecycle decisions of promoted services to their discovery policy."""
    from discovery.alert_services import promotions_sync_policy

    promotions_sync_policy()
