"""Evidence-pack services: request, build once, audited download; and the Celery task."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, cast
from unittest import mock

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from audits.models import AuditRun
from core.exceptions import ValidationFailed
from core.models import AuditLogEntry
from evidence.choices import EvidencePackStatus
from evidence.events import PACK_DOWNLOADED
from evidence.models import EvidencePack
from evidence.pack import verify_pack
from evidence.services import (
    PackIntegrityError,
    PackNotDownloadable,
    PackPermissionDenied,
    evidence_pack_build,
    evidence_pack_download,
    evidence_pack_request,
)
from evidence.signing import trusted_keyring
from evidence.tasks import build_evidence_pack_task
from tests.evidence.pack.support import write_self_signed_ca

from .conftest import World


def built(world: World, actor: Any, **kwargs: Any) -> EvidencePack:
    pack = evidence_pack_request(ai_system=world.system, actor=actor, enqueue=False, **kwargs)
    result = evidence_pack_build(pack_id=pack.pk)
    assert result is not None
    return result


def test_a_request_is_enqueued_after_commit_and_audited(
    world: World, alice: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # when
    with (
        mock.patch.object(build_evidence_pack_task, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        pack = evidence_pack_request(ai_system=world.system, actor=alice, reason="Q4 audit")
    # then
    delay.assert_called_once_with(str(pack.pk))
    assert pack.status == EvidencePackStatus.PENDING
    entry = AuditLogEntry.objects.get(event_type="evidence.pack.requested")
    assert entry.acting_user == alice and entry.reason == "Q4 audit"


def test_building_stores_a_verifiable_pack_with_its_hash_and_key(world: World, alice: Any) -> None:
    # when
    pack = built(world, alice)
    # then
    assert pack.status == EvidencePackStatus.BUILT and pack.progress == 100
    with default_storage.open(pack.storage_key, "rb") as handle:
        data = handle.read()
    assert len(data) == pack.size
    report = verify_pack(data, trusted_keys=trusted_keyring())
    assert report.ok and report.key_id == pack.key_id
    assert report.manifest is not None and report.manifest["pack"]["pack_id"] == str(pack.pk)
    assert pack.law_version == report.manifest["pack"]["law_version"]
    assert AuditLogEntry.objects.filter(event_type="evidence.pack.built", target_object_id=str(pack.pk)).exists()


def test_a_built_pack_is_never_rebuilt(world: World, alice: Any) -> None:
    # given
    pack = built(world, alice)
    # when
    with mock.patch("evidence.services.evidence_pack_render") as render:
        again = evidence_pack_build(pack_id=pack.pk)
        build_evidence_pack_task(str(pack.pk))
    # then
    render.assert_not_called()
    assert again is not None and again.sha256 == pack.sha256 and again.storage_key == pack.storage_key


def test_rendering_the_stored_pack_again_gives_the_same_bytes(world: World, alice: Any) -> None:
    # given
    from evidence.build import evidence_pack_render

    pack = built(world, alice)
    # when
    again = evidence_pack_render(system=world.system, created_at=pack.requested_at, pack_id=str(pack.pk))
    # then
    assert again.sha256 == pack.sha256


def test_the_task_returns_quietly_for_a_missing_pack(db: None) -> None:
    build_evidence_pack_task("00000000-0000-0000-0000-000000000000")


def test_a_build_error_fails_the_pack_with_a_message(world: World, alice: Any, settings: Any) -> None:
    # given
    pack = evidence_pack_request(ai_system=world.system, actor=alice, enqueue=False)
    settings.EVIDENCE_SIGNING_KEY_FILE = "/nonexistent/key.pem"
    # when
    result = evidence_pack_build(pack_id=pack.pk)
    # then
    assert result is not None and result.status == EvidencePackStatus.FAILED
    assert "cannot read the evidence signing key" in result.error


def test_download_returns_the_stored_bytes_and_records_who_and_which_pack(
    world: World, alice: Any, audrey: Any
) -> None:
    # given
    pack = built(world, alice)
    # when
    data = evidence_pack_download(pack=pack, actor=audrey, via="test")
    # then
    assert len(data) == pack.size
    entry = AuditLogEntry.objects.get(event_type=PACK_DOWNLOADED)
    assert entry.acting_user == audrey
    assert entry.target_object_id == str(pack.pk)
    assert entry.extra_data["sha256"] == pack.sha256


@pytest.mark.parametrize("persona", ["sam", "charlie"], indirect=True)
def test_others_may_not_download(world: World, alice: Any, persona: Any) -> None:
    pack = built(world, alice)
    with pytest.raises(PackPermissionDenied):
        evidence_pack_download(pack=pack, actor=persona)
    assert not AuditLogEntry.objects.filter(event_type=PACK_DOWNLOADED).exists()


def test_auditors_request_packs_and_security_analysts_may_not(world: World, audrey: Any, sam: Any) -> None:
    assert evidence_pack_request(ai_system=world.system, actor=audrey, enqueue=False).requested_by == audrey
    with pytest.raises(PackPermissionDenied):
        evidence_pack_request(ai_system=world.system, actor=sam, enqueue=False)


def test_a_pending_pack_cannot_be_downloaded(world: World, alice: Any) -> None:
    pack = evidence_pack_request(ai_system=world.system, actor=alice, enqueue=False)
    with pytest.raises(PackNotDownloadable):
        evidence_pack_download(pack=pack, actor=alice)


def test_tampered_stored_bytes_are_not_served(world: World, alice: Any) -> None:
    # given
    pack = built(world, alice)
    default_storage.delete(pack.storage_key)
    default_storage.save(pack.storage_key, ContentFile(b"not the pack"))
    # when / then
    with pytest.raises(PackIntegrityError):
        evidence_pack_download(pack=pack, actor=alice)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"period_start": date(2026, 1, 1)}, "both period dates"),
        ({"period_start": date(2026, 2, 1), "period_end": date(2026, 1, 1)}, "ends before"),
    ],
)
def test_bad_periods_are_refused(world: World, alice: Any, kwargs: Any, message: str) -> None:
    with pytest.raises(ValidationFailed, match=message):
        evidence_pack_request(ai_system=world.system, actor=alice, enqueue=False, **kwargs)


def test_a_run_of_another_system_is_refused(world: World, alice: Any) -> None:
    from tests.audits.factories import AuditRunFactory

    other_run = cast(AuditRun, AuditRunFactory())
    with pytest.raises(ValidationFailed, match="another AI system"):
        evidence_pack_request(ai_system=world.system, audit_run=other_run, actor=alice, enqueue=False)


def test_a_period_pack_and_a_run_pack_build(world: World, alice: Any) -> None:
    period_pack = built(world, alice, period_start=date(2026, 2, 1), period_end=date(2026, 2, 28))
    run_pack = built(world, alice, audit_run=world.runs[0])
    assert period_pack.status == run_pack.status == EvidencePackStatus.BUILT
    assert "20260201-20260228" in period_pack.filename and f"run-{world.runs[0].pk}" in run_pack.filename


def test_a_timestamp_outage_leaves_the_pack_pending_for_the_retry(
    world: World, alice: Any, settings: Any, tmp_path: Path
) -> None:
    # given
    from evidence.signing import TimestampUnavailable

    pack = evidence_pack_request(ai_system=world.system, actor=alice, enqueue=False)
    settings.EVIDENCE_TSA_URL = "http://127.0.0.1:9/tsr"
    settings.EVIDENCE_TSA_CA_CERT = str(write_self_signed_ca(tmp_path / "tsa-ca.pem"))
    settings.EVIDENCE_TSA_TIMEOUT = 2
    # when
    with pytest.raises(TimestampUnavailable):
        evidence_pack_build(pack_id=pack.pk)
    # then
    pack.refresh_from_db()
    assert pack.status == EvidencePackStatus.PENDING and "timestamp authority" in pack.error
    settings.EVIDENCE_TSA_URL = ""
    rebuilt = evidence_pack_build(pack_id=pack.pk)
    assert rebuilt is not None and rebuilt.status == EvidencePackStatus.BUILT and rebuilt.attempts == 2
