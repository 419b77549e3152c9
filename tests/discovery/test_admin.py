"""Admin: pages render per role, upload form, usage report with chart, re-identification view."""

from __future__ import annotations

import io
from typing import Any
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from core.models import AuditLogEntry
from discovery.models import AIService, LogBatch, LogSource, Pseudonym
from discovery.pseudonyms import pseudonymise
from discovery.services import log_batch_ingest
from tests.discovery.factories import squid_bytes

PAGES = [
    "admin:discovery_logsource_changelist",
    "admin:discovery_aiservice_changelist",
    "admin:discovery_logbatch_changelist",
    "admin:discovery_usagerecord_changelist",
    "admin:discovery_pseudonym_changelist",
    "admin:discovery_logbatch_report",
]


@pytest.fixture
def ingested(source: LogSource) -> LogBatch:
    return log_batch_ingest(source=source, fileobj=io.BytesIO(squid_bytes()), name="a.log", synchronous=True).batch


def login(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize(
    ("persona", "status"), [("sam", 200), ("alice", 200), ("audrey", 200), ("charlie", 403)], indirect=["persona"]
)
def test_discovery_pages_render_per_role(
    client: Client, ingested: LogBatch, persona: Any, status: int, page: str
) -> None:
    # when
    response = login(client, persona).get(reverse(page))
    # then
    assert response.status_code == status


@pytest.mark.parametrize("persona", ["sam", "audrey"], indirect=True)
def test_batch_and_service_change_pages_render(client: Client, ingested: LogBatch, persona: Any) -> None:
    # given
    login(client, persona)
    service = AIService.objects.get(slug="chatgpt")
    # when
    batch_page = client.get(reverse("admin:discovery_logbatch_change", args=[ingested.pk]))
    service_page = client.get(reverse("admin:discovery_aiservice_change", args=[service.pk]))
    # then
    assert batch_page.status_code == 200 and service_page.status_code == 200
    assert b"1/1" in batch_page.content  # progress
    assert b"line 4" in batch_page.content  # malformed sample with its line number
    assert b"chatgpt.com" in service_page.content


def test_report_shows_top_services_unsanctioned_usage_and_a_chart(client: Client, ingested: LogBatch, sam: Any) -> None:
    # when
    response = login(client, sam).get(reverse("admin:discovery_logbatch_report"), {"days": 100000})
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "data:image/png;base64," in html
    for heading in ("Top services", "Top users", "New services this week", "Unsanctioned usage", "Upload volume"):
        assert heading in html
    assert "ChatGPT" in html and "DeepSeek" in html
    assert "jdoe" not in html


@pytest.mark.parametrize("days", ["abc", "-5", "0", "10**9", "99999999999999999999", "1.5"])
def test_a_bad_report_period_is_a_message_on_the_page_not_a_server_error(
    client: Client, ingested: LogBatch, sam: Any, days: str
) -> None:
    # when
    response = login(client, sam).get(reverse("admin:discovery_logbatch_report"), {"days": days})
    # then the report is shown for the default period, with the error
    html = response.content.decode()
    assert response.status_code == 200
    assert "Period:" in html and "Showing the last 30 days." in html
    assert 'name="days" id="id_days" min="1" max="100000" value="30"' in html


def test_the_report_period_is_kept_in_its_form(client: Client, ingested: LogBatch, sam: Any) -> None:
    response = login(client, sam).get(reverse("admin:discovery_logbatch_report"), {"days": "7"})
    html = response.content.decode()
    assert response.status_code == 200 and 'value="7"' in html and "Period:" not in html


def test_security_analyst_uploads_through_the_admin(client: Client, source: LogSource, sam: Any) -> None:
    # given
    login(client, sam)
    assert client.get(reverse("admin:discovery_logbatch_add")).status_code == 302
    # when
    with mock.patch("discovery.tasks.ingest_log_chunk_task.delay"):
        response = client.post(
            reverse("admin:discovery_logbatch_upload"),
            {"source": source.pk, "file": SimpleUploadedFile("access.log", squid_bytes()), "log_format": ""},
        )
    # then
    batch = LogBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:discovery_logbatch_change", args=[batch.pk])


@pytest.mark.parametrize("persona", ["alice", "audrey"], indirect=True)
def test_read_only_roles_cannot_upload_through_the_admin(client: Client, source: LogSource, persona: Any) -> None:
    # when
    response = login(client, persona).get(reverse("admin:discovery_logbatch_upload"))
    # then
    assert response.status_code == 403


@pytest.mark.parametrize(("persona", "status"), [("sam", 200), ("audrey", 403)], indirect=["persona"])
def test_reidentify_view_needs_the_permission(client: Client, ingested: LogBatch, persona: Any, status: int) -> None:
    # given
    row = Pseudonym.objects.get(pseudonym=pseudonymise("user:jdoe"))
    url = reverse("admin:discovery_pseudonym_reidentify", args=[row.pk])
    # when
    response = login(client, persona).post(url, {"reason": "HR case 12"})
    # then
    assert response.status_code == status
    if status == 200:
        assert b"user:jdoe" in response.content
    audited = AuditLogEntry.objects.filter(event_type="discovery.pseudonym.reidentified").count()
    assert audited == (1 if status == 200 else 0)


def test_the_log_format_is_chosen_from_the_formats_the_service_reads(client: Client, sam: Any) -> None:
    # given the source add page and the upload page
    login(client, sam)
    add = client.get(reverse("admin:discovery_logsource_add")).content.decode()
    upload = client.get(reverse("admin:discovery_logbatch_upload")).content.decode()
    # then both offer a chooser with every format's label, and a capture
    for html in (add, upload):
        assert '<select name="log_format"' in html
        assert "Squid (native access.log) (squid)" in html and "Zeek (TSV or JSON) (zeek)" in html
        assert 'value="pcap"' in html
    # when a format that does not exist is posted, it is refused; a real one is saved
    data = {"name": "edge", "log_format": "squidd", "time_zone": "UTC", "format_options": "{}", "identity_map": "{}"}
    refused = client.post(reverse("admin:discovery_logsource_add"), data)
    assert refused.status_code == 200 and "Select a valid choice" in refused.content.decode()
    client.post(reverse("admin:discovery_logsource_add"), {**data, "log_format": "zeek"})
    assert LogSource.objects.get(name="edge").log_format == "zeek"


def test_the_admin_has_no_view_site_link_to_a_missing_page(client: Client, sam: Any) -> None:
    html = login(client, sam).get(reverse("admin:index")).content.decode()
    assert "View site" not in html
