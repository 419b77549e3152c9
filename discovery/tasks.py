"""Celery entry points for discovery: thin, take ids, idempotent, return quietly when the object is gone."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from discovery.constants import TRANSIENT_ERRORS

#: a task whose work commits atomically with its progress: acknowledged after it ran (a crashed worker's message is
#: redelivered), transient errors retried with backoff; ``max_retries`` is only a backstop
_RETRYING: dict[str, Any] = {
    "acks_late": True,
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 10,
}


# The service catches every error at the chunk boundary: it fails the chunk (with the error text) unless the error
# is transient and attempts remain, when it raises it again for this retry with backoff. Retrying is safe because
# a chunk's results commit atomically with its ``done`` flag. ``max_retries`` is only a backstop (the service counts
# attempts across retries, redeliveries and the reaper); a task that still ends in an exception leaves the chunk
# to the reaper.
@shared_task(
    name="discovery.tasks.ingest_log_chunk_task",
    **_RETRYING,
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


# A batch commits atomically with the progress it makes (the rows it converts are no longer of an old version),
# under a lock on the run's row: a redelivered or retried step converts what is left, never a row twice.
@shared_task(
    name="discovery.tasks.rotate_pseudonyms_task",
    **_RETRYING,
)
def rotate_pseudonyms_task(rotation_id: int) -> None:
    """Re-pseudonymise one batch of a key rotation (queue ``default``); re-enqueues itself until the run is done."""
    from discovery.services import pseudonym_rotation_step

    if pseudonym_rotation_step(rotation_id=rotation_id):
        rotate_pseudonyms_task.delay(rotation_id)


# --- registry promotions (queue ``alerts``) ----------------------------------------------------------------------


@shared_task(name="discovery.tasks.sync_promoted_policies_task")
def sync_promoted_policies_task() -> None:
    """Beat: apply registry lifecycle decisions of promoted services to their discovery policy."""
    from discovery.services import promotions_sync_policy

    promotions_sync_policy()
