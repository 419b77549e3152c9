"""Evidence packs over the API and in the admin: who may request, list and download; downloads are audited."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from core.models import AuditLogEntry
from evidence.choices import EvidencePackStatus
from evidence.events import PACK_DOWNLOADED
from evidence.models import EvidencePack
from evidence.pack import verify_pack
from evidence.services import evidence_pack_build, evidence_pack_request
from evidence.signing import trusted_keyring

from .conftest import World


@pytest.fixture
def pack(world: World, alice: Any) -> EvidencePack:
    requested = evidence_pack_request(ai_system=world.system, actor=alice, enqueue=False)
    built = evidence_pack_build(pack_id=requested.pk)
    assert built is not None
    return built


def api_as(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def admin_as(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_compliance_officer_requests_a_pack_over_the_api(world: World, alice: Any) -> None:
    # when
    with mock.patch("evidence.tasks.build_evidence_pack_task.delay") as delay:
        response = api_as(alice).post(
            reverse("evidence-api:evidencepack-list"),
            {"ai_system": world.system.pk, "period_start": "2026-01-01", "period_end": "2026-03-31"},
            format="json",
            HTTP_X_CHANGE_REASON="regulator request",
        )
    # then
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "pending" and response.json()["download_url"] is None
    pack = EvidencePack.objects.get(pk=response.json()["id"])
    assert str(pack.period_end) == "2026-03-31"
    assert AuditLogEntry.objects.get(event_type="evidence.pack.requested").reason == "regulator request"
    del delay


@pytest.mark.parametrize("persona", ["sam", "charlie"], indirect=True)
def test_others_cannot_request_a_pack(world: World, persona: Any) -> None:
    response = api_as(persona).post(reverse("evidence-api:evidencepack-list"), {"ai_system": world.system.pk})
    assert response.status_code == 403
    assert not EvidencePack.objects.exists()


@pytest.mark.parametrize(
    ("persona", "status"), [("alice", 200), ("audrey", 200), ("sam", 403), ("charlie", 403)], indirect=["persona"]
)
def test_download_over_the_api_by_role(pack: EvidencePack, persona: Any, status: int) -> None:
    # when
    response = api_as(persona).get(reverse("evidence-api:evidencepack-download", args=[pack.pk]))
    # then
    assert response.status_code == status
    downloads = AuditLogEntry.objects.filter(event_type=PACK_DOWNLOADED)
    if status == 200:
        assert response["Content-Type"] == "application/zip"
        assert pack.filename in response["Content-Disposition"]
        assert verify_pack(response.content, trusted_keys=trusted_keyring()).ok
        assert [(d.acting_user, d.target_object_id) for d in downloads] == [(persona, str(pack.pk))]
    else:
        assert not downloads.exists()


def test_auditor_lists_and_reads_packs(pack: EvidencePack, audrey: Any) -> None:
    # when
    listing = api_as(audrey).get(reverse("evidence-api:evidencepack-list"))
    detail = api_as(audrey).get(reverse("evidence-api:evidencepack-detail", args=[pack.pk]))
    # then
    assert listing.status_code == 200 and listing.json()["count"] == 1
    body = detail.json()
    assert body["sha256"] == pack.sha256 and body["status"] == "built"
    assert body["download_url"].endswith(f"/api/v1/evidence/packs/{pack.pk}/download/")


def test_packs_are_not_editable_or_deletable_over_the_api(pack: EvidencePack, alice: Any) -> None:
    client = api_as(alice)
    url = reverse("evidence-api:evidencepack-detail", args=[pack.pk])
    assert client.patch(url, {"sha256": "0" * 64}, format="json").status_code == 405
    assert client.delete(url).status_code == 405


def test_downloading_a_pending_pack_is_a_conflict(world: World, alice: Any) -> None:
    pending = evidence_pack_request(ai_system=world.system, actor=alice, enqueue=False)
    response = api_as(alice).get(reverse("evidence-api:evidencepack-download", args=[pending.pk]))
    assert response.status_code == 409


def test_admin_list_shows_status_progress_and_a_download_link(pack: EvidencePack, audrey: Any) -> None:
    # when
    response = admin_as(audrey).get(reverse("admin:evidence_evidencepack_changelist"))
    # then
    assert response.status_code == 200
    body = response.content.decode()
    assert pack.filename in body and "Built" in body
    assert "Request evidence pack" in body  # auditors request packs too (evidence is their job)


def test_admin_request_form_creates_a_pack(world: World, alice: Any) -> None:
    # when
    with mock.patch("evidence.tasks.build_evidence_pack_task.delay"):
        response = admin_as(alice).post(
            reverse("admin:evidence_evidencepack_request"),
            {"ai_system": world.system.pk, "reason": "annual review"},
        )
    # then
    assert response.status_code == 302
    created = EvidencePack.objects.get()
    assert created.requested_by == alice and created.status == EvidencePackStatus.PENDING
    listing = admin_as(alice).get(reverse("admin:evidence_evidencepack_changelist")).content.decode()
    assert "<progress" in listing and 'http-equiv="refresh"' in listing


def test_an_auditor_requests_a_pack_for_any_system_in_the_admin_and_the_api(world: World, audrey: Any) -> None:
    # the admin request form
    with mock.patch("evidence.tasks.build_evidence_pack_task.delay"):
        page = admin_as(audrey).get(reverse("admin:evidence_evidencepack_request"))
        posted = admin_as(audrey).post(
            reverse("admin:evidence_evidencepack_request"), {"ai_system": world.system.pk, "reason": "annual audit"}
        )
        # and the API
        response = api_as(audrey).post(
            reverse("evidence-api:evidencepack-list"), {"ai_system": world.system.pk}, format="json"
        )
    assert page.status_code == 200 and posted.status_code == 302 and response.status_code == 202
    assert set(EvidencePack.objects.values_list("requested_by", flat=True)) == {audrey.pk}


def test_the_admin_request_form_is_refused_to_a_security_analyst(world: World, sam: Any) -> None:
    response = admin_as(sam).get(reverse("admin:evidence_evidencepack_request"))
    assert response.status_code == 403


@pytest.mark.parametrize(("persona", "status"), [("audrey", 200), ("sam", 403), ("charlie", 403)], indirect=["persona"])
def test_admin_download_is_permission_checked_and_audited(pack: EvidencePack, persona: Any, status: int) -> None:
    # when
    response = admin_as(persona).get(reverse("admin:evidence_evidencepack_download", args=[pack.pk]))
    # then
    assert response.status_code == status
    assert AuditLogEntry.objects.filter(event_type=PACK_DOWNLOADED).count() == (1 if status == 200 else 0)
    if status == 200:
        assert AuditLogEntry.objects.get(event_type=PACK_DOWNLOADED).extra_data["via"] == "admin"
