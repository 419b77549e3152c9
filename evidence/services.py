"""Writes for evidence packs: request (enqueued after commit), build (once, idempotent) and audited download.

Lifecycle (``EVIDENCE_PACK_TRANSITIONS``): PENDING -> BUILDING (claimed by a conditional UPDATE) -> BUILT or
FAILED. A BUILT pack is immutable: building it again is a no-op and its bytes are only ever read. A pack whose
worker died while BUILDING can be claimed again once the task's hard time limit has passed.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from core.exceptions import ApplicationError, Conflict, ValidationFailed
from core.services import audit_log_record
from evidence import events
from evidence.build import evidence_pack_render, pack_created_at
from evidence.choices import EvidencePackStatus
from evidence.collect import Period
from evidence.models import EvidencePack
from evidence.pack import EvidencePackError
from evidence.signing import TimestampUnavailable
from notifications.notifiers.message import Fact, Message
from notifications.services import notification_queue

if TYPE_CHECKING:  # annotations only: other apps' data is read through their selectors
    from audits.models import AuditRun
    from governance.models import AISystem

logger = logging.getLogger(__name__)

DOWNLOAD_PERMISSION = "evidence.download_evidencepack"
REQUEST_PERMISSION = "evidence.request_evidencepack"
STORAGE_PREFIX = "evidence-packs"
#: the notification topic of built packs (registered by ``EvidenceConfig.ready``)
PACK_READY_TOPIC = "evidence_pack_ready"


class PackNotDownloadable(Conflict):
    code = "evidence_pack_not_built"


class PackPermissionDenied(ApplicationError):
    code = "permission_denied"
    http_status = 403


class PackIntegrityError(ApplicationError):
    """The stored bytes no longer match the recorded SHA-256 (storage tampering or corruption)."""

    code = "evidence_pack_integrity"
    http_status = 500


def _check_perm(actor: Any, perm: str) -> None:
    if actor is not None and not (getattr(actor, "is_authenticated", False) and actor.has_perm(perm)):
        raise PackPermissionDenied(f"You need the {perm} permission.")


@transaction.atomic
def evidence_pack_request(
    *,
    ai_system: AISystem,
    actor: Any,
    audit_run: AuditRun | None = None,
    period_start: date | None = None,
    period_end: date | None = None,
    reason: str = "",
    enqueue: bool = True,
) -> EvidencePack:
    """Request a new evidence pack; it is built on the ``audits`` queue after commit.

    ``actor=None`` is the system itself (management commands); a user needs ``evidence.request_evidencepack``.
    The request time (rounded up to the second) becomes the pack's created-at: its data is cut off there, so the
    pack is reproducible from the database whenever it is built.
    """
    _check_perm(actor, REQUEST_PERMISSION)
    if (period_start is None) != (period_end is None):
        raise ValidationFailed("Give both period dates or neither.")
    if period_start is not None and period_end is not None and period_end < period_start:
        raise ValidationFailed("The period ends before it starts.")
    if audit_run is not None:
        if audit_run.definition.ai_system_id != ai_system.pk:
            raise ValidationFailed("The audit run belongs to another AI system.")
        if period_start is not None:
            raise ValidationFailed("A pack is for a period or for one audit run, not both.")
    pack = EvidencePack.objects.create(
        ai_system=ai_system,
        audit_run=audit_run,
        period_start=period_start,
        period_end=period_end,
        requested_by=actor if getattr(actor, "is_authenticated", False) else None,
        requested_at=pack_created_at(timezone.now()),
    )
    audit_log_record(
        event_type=events.PACK_REQUESTED,
        actor=actor,
        target=pack,
        reason=reason,
        extra_data={
            "ai_system_id": ai_system.pk,
            "audit_run_id": audit_run.pk if audit_run else None,
            "period": pack.period_label,
        },
    )
    if enqueue:
        from evidence.tasks import build_evidence_pack_task  # tasks import services; import here to avoid a cycle

        pack_id = str(pack.pk)
        transaction.on_commit(lambda: build_evidence_pack_task.delay(pack_id))
    return pack


def _claim(pack_id: Any) -> bool:
    """PENDING -> BUILDING by a conditional UPDATE; also reclaims a BUILDING pack whose worker died."""
    stale = timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    claimed = EvidencePack.objects.filter(
        Q(status=EvidencePackStatus.PENDING) | Q(status=EvidencePackStatus.BUILDING, updated_at__lt=stale),
        pk=pack_id,
    ).update(
        status=EvidencePackStatus.BUILDING,
        attempts=F("attempts") + 1,
        progress=1,
        progress_step="claimed",
        error="",
        updated_at=timezone.now(),
    )
    return claimed == 1


def _progress(pack_id: Any) -> Any:
    def report(percent: int, step: str) -> None:
        EvidencePack.objects.filter(pk=pack_id, status=EvidencePackStatus.BUILDING).update(
            progress=percent, progress_step=step[:100], updated_at=timezone.now()
        )

    return report


def evidence_pack_build(*, pack_id: Any) -> EvidencePack | None:
    """Build and store a requested pack, once. Returns None when the pack is gone or another worker has it;
    returns the pack unchanged when it is already BUILT (a built pack is never rebuilt).

    Runs outside a transaction (the render takes seconds); the final state and the audit row commit together.
    A trusted-timestamp outage (TSA unreachable, timeout, HTTP error) puts the pack back to PENDING and re-raises
    :class:`TimestampUnavailable` so the task retries; any other error fails the pack with a message, including a
    TSA answer that does not verify (``TimestampVerificationError: timestamp check '<check>' failed: ...``): a
    pack is never built with an unverified token, nor silently without the timestamp its configuration asks for.
    """
    pack = EvidencePack.objects.filter(pk=pack_id).select_related("ai_system", "audit_run__definition").first()
    if pack is None:
        return None
    if pack.status == EvidencePackStatus.BUILT or not _claim(pack.pk):
        return pack if pack.status == EvidencePackStatus.BUILT else None
    period = Period(pack.period_start, pack.period_end) if pack.period_start and pack.period_end else None
    try:
        rendered = evidence_pack_render(
            system=pack.ai_system,
            created_at=pack.requested_at,
            pack_id=str(pack.pk),
            period=period,
            run=pack.audit_run,
            progress=_progress(pack.pk),
        )
    except TimestampUnavailable as exc:
        EvidencePack.objects.filter(pk=pack.pk).update(
            status=EvidencePackStatus.PENDING,
            progress=0,
            progress_step="waiting for the timestamp authority",
            error=str(exc)[:2000],
        )
        raise
    except (EvidencePackError, ImproperlyConfigured, OSError, ValueError) as exc:
        return evidence_pack_fail(pack=pack, error=f"{type(exc).__name__}: {exc}")
    _progress(pack.pk)(90, "storing")
    key = default_storage.save(
        f"{STORAGE_PREFIX}/{pack.requested_at:%Y/%m}/{pack.filename}", ContentFile(rendered.data)
    )
    return _evidence_pack_built(pack=pack, storage_key=key, rendered=rendered)


@transaction.atomic
def _evidence_pack_built(*, pack: EvidencePack, storage_key: str, rendered: Any) -> EvidencePack:
    updated = EvidencePack.objects.filter(pk=pack.pk, status=EvidencePackStatus.BUILDING).update(
        status=EvidencePackStatus.BUILT,
        progress=100,
        progress_step="built",
        built_at=timezone.now(),
        sha256=rendered.sha256,
        size=rendered.size,
        storage_key=storage_key,
        key_id=rendered.key_id,
        law_version=rendered.law_version[:60],
        timestamped=rendered.timestamped,
        updated_at=timezone.now(),
    )
    pack.refresh_from_db()
    if updated:
        audit_log_record(
            event_type=events.PACK_BUILT,
            actor=None,
            target=pack,
            extra_data={
                "sha256": pack.sha256,
                "size": pack.size,
                "key_id": pack.key_id,
                "storage_key": storage_key,
                "timestamp_gen_time": rendered.timestamp_gen_time.isoformat() if rendered.timestamp_gen_time else None,
            },
        )
        _evidence_pack_ready_notify(pack)
    return pack


def _evidence_pack_ready_notify(pack: EvidencePack) -> None:
    """Tell whoever requested the pack (a direct e-mail) and the channels subscribed to ``evidence_pack_ready``
    that it can be downloaded: its SHA-256 and signing key id, which the auditor checks against the published
    keys. Queued in the transaction that marks the pack built; sent after commit by the outbox."""
    requester = pack.requested_by
    link = settings.SITE_URL.rstrip("/") + reverse("admin:evidence_evidencepack_change", args=[pack.pk])
    system = str(pack.ai_system)
    facts = [
        Fact("AI system", system, "aigov.system"),
        Fact("Period", f"{pack.period_start} to {pack.period_end}" if pack.period_start else "everything to date"),
        Fact("SHA-256", pack.sha256, "file.hash.sha256"),
        Fact("Signing key id", pack.key_id),
        Fact("Size", f"{pack.size or 0:,} bytes"),
        Fact("Trusted timestamp", "yes" if pack.timestamped else "no"),
    ]
    message = Message(
        topic=PACK_READY_TOPIC,
        event_id=f"evidence.pack.{pack.pk}.built",
        signature="evidence.pack_ready",
        name="Evidence pack ready",
        title=f"Evidence pack ready: {system}",
        severity="low",
        summary=f"The evidence pack for {system} was built and signed; download it from the admin or the API "
        "and verify it offline (VERIFY.txt inside).",
        occurred_at=pack.built_at or timezone.now(),
        link=link,
        facts=tuple(facts),
        data={
            "pack_id": str(pack.pk),
            "system_id": pack.ai_system_id,
            "system_name": system,
            "sha256": pack.sha256,
            "key_id": pack.key_id,
            "size": pack.size,
            "timestamped": pack.timestamped,
        },
    )
    notification_queue(
        topic=PACK_READY_TOPIC,
        event_key=message.event_id,
        message=message,
        target=pack,
        recipients=[requester.email] if requester is not None and requester.email else [],
    )


@transaction.atomic
def evidence_pack_fail(*, pack: EvidencePack, error: str) -> EvidencePack:
    """Mark a pack that could not be built as FAILED with a message (request a new one once fixed)."""
    EvidencePack.objects.filter(pk=pack.pk).update(
        status=EvidencePackStatus.FAILED, error=error[:4000], progress_step="failed", updated_at=timezone.now()
    )
    pack.refresh_from_db()
    audit_log_record(event_type=events.PACK_FAILED, actor=None, target=pack, extra_data={"error": error[:500]})
    logger.warning("evidence pack %s failed: %s", pack.pk, error)
    return pack


@transaction.atomic
def evidence_pack_download(*, pack: EvidencePack, actor: Any, via: str = "") -> bytes:
    """Return the stored bytes of a built pack to someone allowed to download it, and record the download (who,
    when, which pack, its SHA-256) in the audit log. Refuses bytes that no longer match the recorded SHA-256."""
    _check_perm(actor, DOWNLOAD_PERMISSION)
    if pack.status != EvidencePackStatus.BUILT:
        raise PackNotDownloadable(f"The pack is {pack.get_status_display().lower()}, not built.")
    with default_storage.open(pack.storage_key, "rb") as handle:
        data: bytes = handle.read()
    if hashlib.sha256(data).hexdigest() != pack.sha256:
        logger.error("evidence pack %s: stored bytes do not match the recorded SHA-256", pack.pk)
        raise PackIntegrityError("The stored pack does not match its recorded SHA-256; it was not served.")
    audit_log_record(
        event_type=events.PACK_DOWNLOADED,
        actor=actor,
        target=pack,
        extra_data={"sha256": pack.sha256, "size": pack.size, "filename": pack.filename, "via": via},
    )
    return data
