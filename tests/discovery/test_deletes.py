"""Deletes of batches and usage rows go through services: an audit-log entry says what went, and the stored file
is removed when the delete commits (never when it rolls back)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from core.models import AuditLogEntry
from discovery.models import LogBatch, LogChunk, LogSource, UsageRecord
from discovery.services import log_batch_delete, log_batch_ingest, usage_records_delete
from tests.discovery.factories import SQUID_LINES, squid_bytes


def ingest(source: LogSource, lines: list[str] = SQUID_LINES) -> LogBatch:
    return log_batch_ingest(source=source, fileobj=io.BytesIO(squid_bytes(lines)), name="a.log", synchronous=True).batch


def stored(batch: LogBatch) -> bool:
    return bool(batch.file) and batch.file.storage.exists(batch.file.name or "")


def test_log_batch_delete_records_counts_and_removes_the_file_on_commit(
    source: LogSource, sam: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # given
    batch = ingest(source)
    usage = UsageRecord.objects.filter(batch=batch).count()
    assert stored(batch) and usage > 0
    # when
    with django_capture_on_commit_callbacks(execute=True):
        totals = log_batch_delete(batch=batch, actor=sam, reason="wrong source")
    # then
    assert totals == {"batches": 1, "chunks": 1, "usage_rows": usage}
    assert not LogBatch.objects.filter(pk=batch.pk).exists() and not UsageRecord.objects.exists()
    assert not batch.file.storage.exists(batch.file.name)
    entry = AuditLogEntry.objects.get(event_type="discovery.log_batch.deleted")
    assert (entry.acting_user, entry.reason, entry.target_object_id) == (sam, "wrong source", str(batch.pk))
    assert entry.extra_data["usage_rows"] == usage and entry.extra_data["sha256"] == batch.sha256
    assert entry.extra_data["records_read"] == 8 and entry.extra_data["file_removed"] is True


def test_a_rolled_back_batch_delete_keeps_the_file(
    source: LogSource, sam: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # given
    batch = ingest(source)
    # when
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        log_batch_delete(batch=batch, actor=sam)
        raise RuntimeError("later step fails")
    # then
    assert LogBatch.objects.filter(pk=batch.pk).exists() and stored(batch)


def test_admin_delete_view_goes_through_the_service(
    client: Client, source: LogSource, sam: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # given
    batch = ingest(source)
    client.force_login(sam)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:discovery_logbatch_delete", args=[batch.pk]), {"post": "yes"})
    # then
    assert response.status_code == 302
    assert not LogBatch.objects.exists() and not LogChunk.objects.exists() and not UsageRecord.objects.exists()
    assert not batch.file.storage.exists(batch.file.name)
    entry = AuditLogEntry.objects.get(event_type="discovery.log_batch.deleted")
    assert entry.acting_user == sam and entry.reason == "deleted in the admin"


def test_admin_bulk_delete_of_batches_writes_one_entry_per_batch_and_removes_every_file(
    client: Client, source: LogSource, sam: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # given
    batches = [ingest(source), ingest(source, SQUID_LINES[:3])]
    client.force_login(sam)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:discovery_logbatch_changelist"),
            {"action": "delete_selected", "_selected_action": [b.pk for b in batches], "post": "yes"},
        )
    # then
    assert response.status_code == 302
    assert not LogBatch.objects.exists()
    assert not any(b.file.storage.exists(b.file.name) for b in batches)
    entries = AuditLogEntry.objects.filter(event_type="discovery.log_batch.deleted")
    assert sorted(int(e.target_object_id) for e in entries) == sorted(b.pk for b in batches)


def test_admin_delete_of_usage_rows_single_and_bulk_is_audited(client: Client, source: LogSource, sam: Any) -> None:
    # given
    batch = ingest(source)
    first, *rest = list(UsageRecord.objects.filter(batch=batch).order_by("id"))
    client.force_login(sam)
    # when
    single = client.post(reverse("admin:discovery_usagerecord_delete", args=[first.pk]), {"post": "yes"})
    bulk = client.post(
        reverse("admin:discovery_usagerecord_changelist"),
        {"action": "delete_selected", "_selected_action": [r.pk for r in rest], "post": "yes"},
    )
    # then
    assert single.status_code == bulk.status_code == 302
    assert not UsageRecord.objects.exists()
    entries = list(AuditLogEntry.objects.filter(event_type="discovery.usage_record.deleted").order_by("id"))
    assert [e.extra_data["usage_rows"] for e in entries] == [1, len(rest)]
    assert entries[0].extra_data["rows"][0]["id"] == first.pk and entries[0].target_object_id == str(batch.pk)
    assert all(e.acting_user == sam for e in entries)


def test_usage_records_delete_counts_requests_per_batch(source: LogSource, sam: Any) -> None:
    # given
    batch = ingest(source)
    rows = list(UsageRecord.objects.filter(batch=batch))
    # when
    deleted = usage_records_delete(records=rows, actor=sam, reason="misattributed")
    # then
    entry = AuditLogEntry.objects.get(event_type="discovery.usage_record.deleted")
    assert deleted == len(rows)
    assert entry.extra_data["requests"] == sum(r.requests for r in rows) and entry.reason == "misattributed"


@pytest.mark.parametrize("persona", ["alice", "audrey"], indirect=True)
def test_readers_cannot_delete_batches_in_the_admin(client: Client, source: LogSource, persona: Any) -> None:
    # given
    batch = ingest(source)
    client.force_login(persona)
    # when
    response = client.post(reverse("admin:discovery_logbatch_delete", args=[batch.pk]), {"post": "yes"})
    # then
    assert response.status_code == 403 and LogBatch.objects.filter(pk=batch.pk).exists()
