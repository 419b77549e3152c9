"""What clients and bookmarks depend on keeps working after evidence packs left the audits app: the old API paths
(aliases), the old admin URLs (redirects), the Celery task name of already-queued messages and its queue."""

from __future__ import annotations

import hashlib
from typing import Any
from unittest import mock

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from config.celery import app as celery_app
from core.models import AuditLogEntry
from evidence.choices import EvidencePackStatus
from evidence.models import EvidencePack
from evidence.tasks import build_evidence_pack_task
from tests.governance.factories import AISystemFactory

pytestmark = pytest.mark.django_db
DATA = b"PK\x05\x06 a stored pack"


@pytest.fixture
def stored_pack() -> EvidencePack:
    key = default_storage.save("evidence-packs/test/moved.zip", ContentFile(DATA))
    return EvidencePack.objects.create(
        ai_system=AISystemFactory(),
        requested_at=timezone.now(),
        status=EvidencePackStatus.BUILT,
        sha256=hashlib.sha256(DATA).hexdigest(),
        size=len(DATA),
        storage_key=key,
    )


def api_as(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_old_api_paths_answer_like_the_new_ones(stored_pack: EvidencePack, audrey: Any) -> None:
    # given
    client = api_as(audrey)
    # when
    old_list = client.get("/api/v1/audits/evidence-packs/")
    new_list = client.get("/api/v1/evidence/packs/")
    old_detail = client.get(f"/api/v1/audits/evidence-packs/{stored_pack.pk}/")
    old_keys = client.get("/api/v1/audits/evidence/keys/")
    new_keys = client.get("/api/v1/evidence/keys/")
    # then
    assert old_list.status_code == new_list.status_code == 200
    assert old_list.json() == new_list.json() and old_list.json()["count"] == 1
    assert old_detail.json()["sha256"] == stored_pack.sha256
    assert old_detail.json()["download_url"].endswith(f"/api/v1/evidence/packs/{stored_pack.pk}/download/")
    assert old_keys.status_code == 200 and old_keys.json() == new_keys.json()


def test_the_old_download_path_serves_the_bytes_and_is_audited(stored_pack: EvidencePack, audrey: Any) -> None:
    # when
    response = api_as(audrey).get(f"/api/v1/audits/evidence-packs/{stored_pack.pk}/download/")
    # then
    assert response.status_code == 200 and response.content == DATA
    assert AuditLogEntry.objects.get(event_type="evidence.pack.downloaded").extra_data["via"] == "api"


@pytest.mark.parametrize(("persona", "status"), [("alice", 202), ("audrey", 202), ("sam", 403)], indirect=["persona"])
def test_the_old_request_path_keeps_the_permissions(persona: Any, status: int) -> None:
    # given
    system = AISystemFactory()
    # when
    with mock.patch("evidence.tasks.build_evidence_pack_task.delay"):
        response = api_as(persona).post("/api/v1/audits/evidence-packs/", {"ai_system": system.pk}, format="json")
    # then
    assert response.status_code == status, response.content
    assert EvidencePack.objects.filter(ai_system=system).count() == (1 if status == 202 else 0)


def test_the_old_paths_are_deprecated_in_the_schema_and_the_new_ones_are_not() -> None:
    # when
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    # then
    assert paths["/api/v1/audits/evidence-packs/"]["get"].get("deprecated") is True
    assert paths["/api/v1/audits/evidence/keys/"]["get"].get("deprecated") is True
    assert not paths["/api/v1/evidence/packs/"]["get"].get("deprecated")
    assert not paths["/api/v1/evidence/packs/{id}/download/"]["get"].get("deprecated")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/admin/audits/evidencepack/", "/admin/evidence/evidencepack/"),
        ("/admin/audits/evidencepack/?status__exact=built", "/admin/evidence/evidencepack/?status__exact=built"),
        ("/admin/audits/evidencepack/request/?ai_system=7", "/admin/evidence/evidencepack/request/?ai_system=7"),
        (
            "/admin/audits/evidencepack/0b7e2c1a-0000-4000-8000-000000000001/download/",
            "/admin/evidence/evidencepack/0b7e2c1a-0000-4000-8000-000000000001/download/",
        ),
    ],
)
def test_old_admin_bookmarks_redirect_to_the_evidence_admin(old: str, new: str) -> None:
    # when
    response = Client().get(old)
    # then
    assert (response.status_code, response["Location"]) == (301, new)


def test_an_old_admin_form_post_is_redirected_as_a_post() -> None:
    # when
    response = Client().post("/admin/audits/evidencepack/request/", {"ai_system": "1"})
    # then
    assert (response.status_code, response["Location"]) == (308, "/admin/evidence/evidencepack/request/")


def test_the_new_admin_page_lists_the_pack(stored_pack: EvidencePack, audrey: Any) -> None:
    # given
    client = Client()
    client.force_login(audrey)
    # when
    response = client.get("/admin/audits/evidencepack/", follow=True)
    # then
    assert response.redirect_chain == [("/admin/evidence/evidencepack/", 301)]
    assert response.status_code == 200 and str(stored_pack.pk)[:8] in response.content.decode()


def test_queued_build_messages_keep_their_task_name_and_queue() -> None:
    # then a message queued before the move (task name from audits.tasks) finds the task, on the audits queue
    assert build_evidence_pack_task.name == "audits.tasks.build_evidence_pack_task"
    registered = celery_app.tasks["audits.tasks.build_evidence_pack_task"]
    assert registered is build_evidence_pack_task._get_current_object()  # type: ignore[attr-defined]
    assert registered.run.__module__ == "evidence.tasks"
    route = celery_app.amqp.router.route({}, "audits.tasks.build_evidence_pack_task")
    assert route["queue"].name == "audits"
