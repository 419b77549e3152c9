"""Celery entry points for evidence packs: thin, take ids, idempotent, return quietly when the pack is gone.

The build task keeps the name it had in ``audits.tasks`` so messages queued before the move still run, and so it
stays on the ``audits`` queue (``config.celery_schedule.TASK_ROUTES``: ``audits.tasks.*``, CPU heavy).
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from evidence.signing import TimestampUnavailable

#: the registered name: unchanged by the move from audits.tasks, so already-queued messages keep running
BUILD_TASK_NAME = "audits.tasks.build_evidence_pack_task"


@shared_task(bind=True, name=BUILD_TASK_NAME, max_retries=5)
def build_evidence_pack_task(self: Any, pack_id: str) -> None:
    """Build a requested evidence pack once (a built pack is never rebuilt; a missing one is ignored). A timestamp
    authority outage is retried with exponential backoff (the pack waits as PENDING), then fails the pack."""
    from evidence.models import EvidencePack
    from evidence.services import evidence_pack_build, evidence_pack_fail

    try:
        evidence_pack_build(pack_id=pack_id)
    except TimestampUnavailable as exc:
        if self.request.retries >= self.max_retries:
            pack = EvidencePack.objects.filter(pk=pack_id).first()
            if pack is not None:
                evidence_pack_fail(pack=pack, error=str(exc))
            return
        raise self.retry(exc=exc, countdown=30 * 2**self.request.retries) from exc
