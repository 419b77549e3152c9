"""API: role matrix per endpoint, upload (multipart, duplicate, size cap), policy update, usage filters, re-identify."""

from __future__ import annotations

import io
from typing import Any
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from core.models import AuditLogEntry
from discovery.choices import PolicyStatus
from discovery.models import AIService, LogBatch, LogSource
from discovery.pseudonyms import pseudonymise
from discovery.services import log_batch_ingest
from tests.discovery.factories import squid_bytes

LISTS = ["logsource-list", "logbatch-list", "aiservice-list", "usage-list"]


def ingest(source: LogSource) -> LogBatch:
    return log_batch_ingest(source=source, fileobj=io.BytesIO(squid_bytes()), name="a.log", synchronous=True).batch


@pytest.mark.parametrize("url_name", LISTS)
@pytest.mark.parametrize(
    ("persona", "status"), [("alice", 200), ("audrey", 200), ("sam", 200), ("charlie", 403)], indirect=["persona"]
)
def test_every_role_reads_discovery_and_charlie_is_refused(
    api: APIClient, catalog: None, persona: Any, status: int, url_name: str
) -> None:
    # given
    api.force_authenticate(persona)
    # when
    response = api.get(reverse(f"discovery-api:{url_name}"))
    # then
    assert response.status_code == status


def test_anonymous_is_refused(api: APIClient, catalog: None) -> None:
    assert api.get(reverse("discovery-api:aiservice-list")).status_code in (401, 403)


def post_upload(api: APIClient, source: LogSource, data: bytes) -> Any:
    with mock.patch("discovery.tasks.ingest_log_chunk_task.delay"):
        return api.post(
            reverse("discovery-api:logbatch-upload"),
            {"source": source.pk, "file": SimpleUploadedFile("access.log", data)},
            format="multipart",
        )


def test_security_analyst_uploads_a_log_and_the_same_file_again_is_a_duplicate(
    api: APIClient, source: LogSource, sam: Any
) -> None:
    # given
    api.force_authenticate(sam)
    # when
    first = post_upload(api, source, squid_bytes())
    second = post_upload(api, source, squid_bytes())
    # then
    assert first.status_code == 201, first.json()
    assert first.json()["duplicate"] is False and first.json()["status"] == "processing"
    assert first.json()["progress"] == "0/1" and first.json()["log_format"] == "squid"
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"] and second.json()["duplicate"] is True
    assert LogBatch.objects.count() == 1
    assert LogBatch.objects.get().uploaded_by == sam


@pytest.mark.parametrize("persona", ["alice", "audrey", "charlie"], indirect=True)
def test_other_roles_cannot_upload(api: APIClient, source: LogSource, persona: Any) -> None:
    # given
    api.force_authenticate(persona)
    # when
    response = post_upload(api, source, squid_bytes())
    # then
    assert response.status_code == 403
    assert not LogBatch.objects.exists()


def test_upload_over_the_size_cap_is_a_400(api: APIClient, source: LogSource, sam: Any, settings: Any) -> None:
    # given
    settings.DISCOVERY_UPLOAD_MAX_BYTES = 50
    api.force_authenticate(sam)
    # when
    response = post_upload(api, source, squid_bytes())
    # then
    assert response.status_code == 400
    assert "file" in response.json() or "code" in response.json()


def test_batch_detail_shows_counts_progress_and_malformed_samples(
    api: APIClient, source: LogSource, audrey: Any
) -> None:
    # given
    batch = ingest(source)
    api.force_authenticate(audrey)
    # when
    body = api.get(reverse("discovery-api:logbatch-detail", args=[batch.pk])).json()
    # then
    assert body["progress"] == "1/1" and body["status"] == "done"
    assert (body["records_read"], body["records_malformed"], body["records_matched"]) == (8, 2, 5)
    assert [s["line"] for s in body["malformed_samples"]] == [4, 8]


def test_catalog_lists_services_with_rules_risk_and_policy(api: APIClient, catalog: None, alice: Any) -> None:
    # given
    api.force_authenticate(alice)
    service = AIService.objects.get(slug="deepseek")
    # when
    body = api.get(reverse("discovery-api:aiservice-detail", args=[service.pk])).json()
    # then
    assert body["vendor"] and body["policy"] == "unsanctioned"
    assert 0 <= body["risk_score"] <= 10 and body["risk_factors"]
    assert any(rule["upload"] for rule in body["rules"])


@pytest.mark.parametrize(
    ("persona", "status"), [("sam", 200), ("alice", 403), ("audrey", 403), ("charlie", 403)], indirect=["persona"]
)
def test_only_security_analysts_change_a_policy(api: APIClient, catalog: None, persona: Any, status: int) -> None:
    # given
    api.force_authenticate(persona)
    service = AIService.objects.get(slug="chatgpt")
    # when
    response = api.post(
        reverse("discovery-api:aiservice-policy", args=[service.pk]),
        {"policy": "sanctioned", "note": "enterprise licence"},
        format="json",
        HTTP_X_CHANGE_REASON="licence signed",
    )
    # then
    assert response.status_code == status
    service.refresh_from_db()
    assert (service.policy == PolicyStatus.SANCTIONED) is (status == 200)


def test_usage_is_aggregated_per_subject_service_day_and_filterable(
    api: APIClient, source: LogSource, audrey: Any, django_assert_max_num_queries: Any
) -> None:
    # given
    ingest(source)
    api.force_authenticate(audrey)
    url = reverse("discovery-api:usage-list")
    # when
    with django_assert_max_num_queries(8):
        everything = api.get(url).json()
    chatgpt = api.get(url, {"service": "chatgpt"}).json()
    jdoe_day1 = api.get(url, {"user": pseudonymise("user:jdoe"), "day": "2026-03-02"}).json()
    unsanctioned = api.get(url, {"policy": "unsanctioned"}).json()
    sanctioned = api.get(url, {"policy": "sanctioned"}).json()
    # then
    assert everything["count"] == 5
    assert {row["day"] for row in chatgpt["results"]} == {"2026-03-02", "2026-03-03"}
    assert {row["service"] for row in jdoe_day1["results"]} == {"chatgpt", "deepseek"}
    assert unsanctioned["count"] == 5 and sanctioned["count"] == 0
    row = next(r for r in jdoe_day1["results"] if r["service"] == "deepseek")
    assert row["upload_requests"] == 1 and row["requests"] == 1 and row["bytes_down"] == 2500
    assert "jdoe" not in str(everything)


@pytest.mark.parametrize(("persona", "status"), [("sam", 200), ("audrey", 403), ("alice", 403)], indirect=["persona"])
def test_reidentification_endpoint_needs_the_permission_and_is_audited(
    api: APIClient, source: LogSource, persona: Any, status: int
) -> None:
    # given
    ingest(source)
    api.force_authenticate(persona)
    # when
    response = api.post(
        reverse("discovery-api:pseudonym-reidentify"),
        {"pseudonym": pseudonymise("user:kchen"), "reason": "DLP incident 7"},
        format="json",
    )
    # then
    assert response.status_code == status
    audited = AuditLogEntry.objects.filter(event_type="discovery.pseudonym.reidentified", acting_user=persona)
    assert audited.exists() is (status == 200)
    if status == 200:
        assert response.json()["identity"] == "user:kchen"
