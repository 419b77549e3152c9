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
