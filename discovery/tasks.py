"""Celery entry points for discovery: thin, take ids, idempotent, return quietly when the object is gone."""

from __future__ import annotations

from celery import shared_task

from discovery.constants import TRANSIENT_ERRORS


# The service catches every error at the chunk boundary: it fails the chunk (with the error text) unless the error
# is transient and attempts remain, when it raises it again for this retry with backoff. Retrying is safe because
# a chunk's results commit atomically with its ``done`` flag. ``max_retries`` is only a backstop (the service counts
# attempts across retries, redeliveries and the reaper); a task that still ends in an exception leaves the chunk
# to the reaper.
@shared_task(
    name="discovery.tasks.ingest_log_chunk_task",
    acks_late=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=10,
)
def ingest_log_chunk_task(chunk_id: int) -> None:
    """Process one chunk of an uploaded log (queue ``ingest``). Safe to run twice: the chunk commits atomically."""
    from discovery.services import log_chunk_process

    log_chunk_process(chunk_id=chunk_id)


@shared_task(name="discovery.tasks.reap_stuck_chunks_task")
def reap_stuck_chunks_task() -> None:
    """Beat: re-queue (or fail as lost) chunks stuck in processing or pending; settles their batches."""
    from discovery.services import log_chunks_reap

    log_chunks_reap()


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
