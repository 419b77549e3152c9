"""Personal data outside pseudonymisation: malformed-line samples are stored redacted (the raw lines only sealed,
revealed through an audited service), and a source's identity map is readable only by who may edit sources."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from core.exceptions import ValidationFailed
from core.models import AuditLogEntry
from discovery.models import LogBatch, LogChunk, LogSource
from discovery.services import (
    discovery_detail_purge,
    log_batch_ingest,
    log_batch_samples_reveal,
    log_source_update,
)
from tests.discovery.factories import SQUID_LINES, squid_bytes

#: a Squid line whose client column is a host name and whose user matches no pattern: only the layout catches them
NAMED_LINE = "1772445600.000 1x0 laptop-jane TCP_MISS/200 10 GET http://a.test/ jane.roe HIER_NONE/- -"
LINES = [*SQUID_LINES, NAMED_LINE]
PERSONAL = ("jdoe", "JDoe", "10.0.0.6", "laptop-jane", "jane.roe", "corp.example")


def ingest(source: LogSource, lines: list[str] = LINES) -> LogBatch:
    return log_batch_ingest(source=source, fileobj=io.BytesIO(squid_bytes(lines)), name="a.log", synchronous=True).batch


def assert_no_personal_data(text: str) -> None:
    for value in PERSONAL:
        assert value not in text


# --- malformed samples ---------------------------------------------------------------------------------------------


def test_stored_samples_are_redacted_by_position_and_pattern(source: LogSource, small_chunks: None) -> None:
    # when
    batch = ingest(source)
    # then
    assert batch.chunks_total > 2
    assert [s["line"] for s in batch.malformed_samples] == [4, 8, 9]
    assert batch.malformed_samples[2]["text"] == (
        "1772445600.000 1x0 <redacted> TCP_MISS/200 10 GET http://a.test/ <redacted> HIER_NONE/- -"
    )
    stored = [
        batch.malformed_samples,
        *LogChunk.objects.filter(batch=batch).values_list("malformed_samples", flat=True),
    ]
    assert_no_personal_data(repr(stored))


@pytest.mark.parametrize("persona", ["alice", "audrey", "sam"], indirect=True)
def test_no_role_reads_raw_lines_in_the_api_or_admin(
    api: APIClient, client: Client, source: LogSource, persona: Any
) -> None:
    # given
    batch = ingest(source)
    api.force_authenticate(persona)
    client.force_login(persona)
    # when
    body = api.get(reverse("discovery-api:logbatch-detail", args=[batch.pk])).content.decode()
    page = client.get(reverse("admin:discovery_logbatch_change", args=[batch.pk])).content.decode()
    # then
    assert "line 9" in page and "&lt;redacted&gt;" in page
    assert_no_personal_data(body.split('"malformed_samples"')[1])
    assert_no_personal_data(page.split("Malformed lines")[1])


def test_security_analyst_reveals_raw_samples_with_a_reason_and_it_is_audited(source: LogSource, sam: Any) -> None:
    # given
    batch = ingest(source)
    # when
    samples = log_batch_samples_reveal(batch=batch, actor=sam, reason="debug the parser")
    # then
    assert [(s["line"], s["text"]) for s in samples] == [(4, LINES[3]), (8, LINES[7]), (9, NAMED_LINE)]
    entry = AuditLogEntry.objects.get(event_type="discovery.log_batch.samples_revealed")
    assert (entry.acting_user, entry.reason, entry.target_object_id) == (sam, "debug the parser", str(batch.pk))
    assert entry.extra_data["samples"] == 3


@pytest.mark.parametrize("persona", ["alice", "audrey", "charlie"], indirect=True)
def test_roles_without_reidentification_cannot_reveal_samples(source: LogSource, persona: Any) -> None:
    # given
    batch = ingest(source)
    # then
    with pytest.raises(PermissionDenied):
        log_batch_samples_reveal(batch=batch, actor=persona, reason="curious")
    assert not AuditLogEntry.objects.filter(event_type="discovery.log_batch.samples_revealed").exists()


def test_revealing_samples_needs_a_reason(source: LogSource, sam: Any) -> None:
    with pytest.raises(ValidationFailed):
        log_batch_samples_reveal(batch=ingest(source), actor=sam, reason="  ")


@pytest.mark.parametrize(("persona", "status"), [("sam", 200), ("alice", 403), ("audrey", 403)], indirect=["persona"])
def test_api_reveal_action_per_role(api: APIClient, source: LogSource, persona: Any, status: int) -> None:
    # given
    batch = ingest(source)
    api.force_authenticate(persona)
    # when
    response = api.post(
        reverse("discovery-api:logbatch-samples-reveal", args=[batch.pk]), {"reason": "ticket 42"}, format="json"
    )
    # then
    assert response.status_code == status
    if status == 200:
        assert [s["text"] for s in response.json()] == [LINES[3], LINES[7], NAMED_LINE]
        assert AuditLogEntry.objects.filter(event_type="discovery.log_batch.samples_revealed", reason="ticket 42")


@pytest.mark.parametrize(("persona", "status"), [("sam", 200), ("alice", 403), ("audrey", 403)], indirect=["persona"])
def test_admin_reveal_view_per_role(client: Client, source: LogSource, persona: Any, status: int) -> None:
    # given
    batch = ingest(source)
    client.force_login(persona)
    url = reverse("admin:discovery_logbatch_samples_reveal", args=[batch.pk])
    change_page = client.get(reverse("admin:discovery_logbatch_change", args=[batch.pk])).content.decode()
    # when
    response = client.post(url, {"reason": "parser bug"})
    # then
    assert response.status_code == status
    assert (url in change_page) is (status == 200)  # the link is offered only to who may use it
    if status == 200:
        assert "laptop-jane" in response.content.decode()
        assert AuditLogEntry.objects.get(event_type="discovery.log_batch.samples_revealed").reason == "parser bug"


def test_retention_purge_removes_the_sealed_raw_samples(source: LogSource, sam: Any, settings: Any) -> None:
    # given
    settings.DISCOVERY_RETENTION_DAYS = 30
    batch = ingest(source)
    assert LogChunk.objects.filter(batch=batch).exclude(malformed_samples_sealed="").exists()
    LogBatch.objects.filter(pk=batch.pk).update(created_at=datetime(2026, 3, 4, tzinfo=UTC))
    # when
    discovery_detail_purge(now=datetime(2026, 3, 4, tzinfo=UTC) + timedelta(days=40))
    # then
    assert not LogChunk.objects.filter(batch=batch).exclude(malformed_samples_sealed="").exists()
    assert log_batch_samples_reveal(batch=batch, actor=sam, reason="after the purge") == []


# --- identity map --------------------------------------------------------------------------------------------------


READERS = [("sam", True), ("alice", False), ("audrey", False)]


@pytest.mark.parametrize(("persona", "sees"), READERS, indirect=["persona"])
def test_api_returns_the_identity_map_only_to_who_may_edit_sources(
    api: APIClient, source: LogSource, persona: Any, sees: bool
) -> None:
    # given
    api.force_authenticate(persona)
    # when
    detail = api.get(reverse("discovery-api:logsource-detail", args=[source.pk])).json()
    listing = api.get(reverse("discovery-api:logsource-list")).content.decode()
    # then
    assert ("identity_map" in detail) is sees
    assert ("kchen" in listing) is sees
    assert detail["name"] == "HQ proxy"


def test_charlie_reads_no_source_at_all(api: APIClient, source: LogSource, charlie: Any) -> None:
    api.force_authenticate(charlie)
    assert api.get(reverse("discovery-api:logsource-detail", args=[source.pk])).status_code == 403


@pytest.mark.parametrize(("persona", "sees"), READERS, indirect=["persona"])
def test_api_history_masks_the_identity_map_for_readers(
    api: APIClient, source: LogSource, sam: Any, persona: Any, sees: bool
) -> None:
    # given
    log_source_update(source=source, actor=sam, reason="new hire", data={"identity_map": {"10.0.0.9": {"user": "zoe"}}})
    api.force_authenticate(persona)
    # when
    history = api.get(reverse("discovery-api:logsource-history", args=[source.pk])).json()
    # then
    change = next(c for c in history[0]["changes"] if c["field"] == "identity_map")
    assert ("zoe" in repr(change)) is sees and ("kchen" in repr(change)) is sees
    if not sees:
        assert change == {"field": "identity_map", "old": "(hidden)", "new": "(hidden)"}


@pytest.mark.parametrize(("persona", "sees"), READERS, indirect=["persona"])
def test_admin_change_history_and_history_form_pages_show_the_identity_map_only_to_editors(
    client: Client, source: LogSource, sam: Any, persona: Any, sees: bool
) -> None:
    # given
    log_source_update(source=source, actor=sam, reason="new hire", data={"identity_map": {"10.0.0.9": {"user": "zoe"}}})
    record = source.history.order_by("-history_id").first()
    client.force_login(persona)
    # when
    pages = [
        client.get(reverse("admin:discovery_logsource_change", args=[source.pk])),
        client.get(reverse("admin:discovery_logsource_history", args=[source.pk])),
        client.get(reverse("admin:discovery_logsource_simple_history", args=[source.pk, record.history_id])),
    ]
    # then
    assert [p.status_code for p in pages] == [200, 200, 200]
    change_page, history_page, form_page = (p.content.decode() for p in pages)
    assert ("zoe" in change_page) is sees and ("zoe" in form_page) is sees
    assert ("zoe" in history_page) is sees  # (the old value is cut to 100 characters in that table)
    assert "kchen" not in history_page or sees
    if not sees:
        assert "(hidden)" in history_page and "HQ proxy" in change_page


def test_security_analyst_still_edits_the_identity_map_in_the_admin(
    client: Client, source: LogSource, sam: Any
) -> None:
    # given
    client.force_login(sam)
    url = reverse("admin:discovery_logsource_change", args=[source.pk])
    # when
    response = client.post(
        url,
        {
            "name": source.name,
            "log_format": "squid",
            "format_options": "{}",
            "time_zone": "UTC",
            "description": "",
            "identity_map": '{"10.0.0.8": {"user": "max"}}',
            "strip_domain": "on",
            "lowercase_users": "on",
            "change_reason": "directory sync",
        },
    )
    # then
    assert response.status_code == 302, response.content.decode()[:2000]
    source.refresh_from_db()
    assert source.identity_map == {"10.0.0.8": {"user": "max"}}


def test_the_migration_redacts_and_seals_samples_stored_before_it(source: LogSource, sam: Any) -> None:
    # given: a batch as stored before redaction (raw samples in the clear)
    import importlib

    from django.apps import apps

    batch = ingest(source)
    raw = log_batch_samples_reveal(batch=batch, actor=sam, reason="before")
    LogChunk.objects.filter(batch=batch).update(malformed_samples=raw, malformed_samples_sealed="")
    LogBatch.objects.filter(pk=batch.pk).update(malformed_samples=raw)
    # when
    importlib.import_module("discovery.migrations.0009_privacy_samples").protect_existing(apps, None)
    # then
    batch.refresh_from_db()
    assert_no_personal_data(repr(batch.malformed_samples))
    assert_no_personal_data(repr(list(LogChunk.objects.values_list("malformed_samples", flat=True))))
    assert log_batch_samples_reveal(batch=batch, actor=sam, reason="after") == raw
