"""Content-level idempotency: one log ingested four ways (again, gzipped, with a line appended, under another
source) is counted once; rotation tails; archive bombs refused by the worker, never in the web request."""

from __future__ import annotations

import gzip
import hashlib
import io
import random
import time
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from rest_framework.test import APIClient

from core.exceptions import InvalidTransition, ValidationFailed
from core.models import AuditLogEntry
from discovery import ingest
from discovery.choices import BatchStatus, ChunkStatus
from discovery.models import LogBatch, LogChunk, LogSource, UsageRecord
from discovery.services import log_batch_confirm, log_batch_ingest
from tests.discovery.factories import SQUID_LINES, LogSourceFactory, squid_bytes

#: one more matched line (chatgpt, jdoe, 2026-03-03)
EXTRA = "1772532360.000 70 10.0.0.5 TCP_TUNNEL/200 900 CONNECT chatgpt.com:443 jdoe HIER_DIRECT/1.2.3.4 -"


def ingest_bytes(source: LogSource, data: bytes, name: str = "access.log") -> Any:
    return log_batch_ingest(source=source, fileobj=io.BytesIO(data), name=name, synchronous=True)


def requests_total() -> int:
    return sum(UsageRecord.objects.values_list("requests", flat=True))


def test_one_log_ingested_four_ways_is_counted_once(source: LogSource) -> None:
    # given a log, counted once
    data = squid_bytes()
    first = ingest_bytes(source, data).batch
    once = requests_total()
    assert first.status == BatchStatus.DONE and once == first.records_matched == 5
    # when: the same file again
    again = ingest_bytes(source, data)
    # and its gzip (a different file, the same content: read by the worker)
    packed = ingest_bytes(source, gzip.compress(data), name="access.log.gz")
    # and the file with one line appended (the log grew)
    grown = ingest_bytes(source, data + (EXTRA + "\n").encode(), name="access.log")
    # and the original under another source
    other_source = LogSourceFactory(name="Branch proxy", log_format="squid")
    other = ingest_bytes(other_source, data)
    # then the same file and the gzip count nothing
    assert again.duplicate and again.batch.pk == first.pk
    assert packed.batch.status == BatchStatus.DUPLICATE and packed.batch.duplicate_of_id == first.pk
    assert packed.batch.content_sha256 == first.content_sha256 == hashlib.sha256(data).hexdigest()
    assert packed.batch.chunks.get().status == ChunkStatus.HELD and packed.batch.records_read == 0
    # the grown file counts its one new line only
    assert grown.batch.continues_id == first.pk and grown.batch.content_skipped == len(data)
    assert (grown.batch.records_read, grown.batch.records_matched) == (1, 1)
    # the other source's copy is flagged and not counted
    assert other.awaiting_confirmation and other.batch.duplicate_of_id == first.pk
    assert other.batch.duplicate_message.startswith(f"already ingested as batch {first.pk} of source HQ proxy")
    assert UsageRecord.objects.filter(batch=other.batch).count() == 0
    assert requests_total() == once + 1


def test_a_confirmed_cross_source_duplicate_is_counted_once(source: LogSource, django_user_model: Any) -> None:
    # given a log ingested in one source and awaiting confirmation in another
    data = squid_bytes()
    ingest_bytes(source, data)
    other_source = LogSourceFactory(name="Branch proxy", log_format="squid")
    held = ingest_bytes(other_source, data).batch
    user = django_user_model.objects.create_user("analyst")
    # when a reason is missing, nothing happens
    with pytest.raises(ValidationFailed):
        log_batch_confirm(batch=held, actor=user, reason=" ", synchronous=True)
    # when confirmed
    confirmed = log_batch_confirm(batch=held, actor=user, reason="both proxies saw it", synchronous=True)
    # then counted once more, audited; a second confirmation is refused
    assert confirmed.status == BatchStatus.DONE and confirmed.duplicate_confirmed_at is not None
    assert sum(UsageRecord.objects.filter(batch=confirmed).values_list("requests", flat=True)) == 5
    assert requests_total() == 10
    entry = AuditLogEntry.objects.get(event_type="discovery.log_batch.duplicate_confirmed")
    assert entry.reason == "both proxies saw it" and entry.acting_user == user
    with pytest.raises(InvalidTransition):
        log_batch_confirm(batch=confirmed, actor=user, reason="again", synchronous=True)
    assert requests_total() == 10


def test_a_rotated_file_gzipped_with_new_lines_counts_only_its_tail(source: LogSource, small_chunks: None) -> None:
    # given a log ingested in many chunks, then the rotated file: the same lines and two more, gzipped
    data = squid_bytes(SQUID_LINES * 3)
    first = ingest_bytes(source, data).batch
    assert first.chunks_total > 1
    before = requests_total()
    rotated = data + (EXTRA + "\n" + "not a squid line\n").encode()
    # when
    batch = ingest_bytes(source, gzip.compress(rotated), name="access.log.1.gz").batch
    # then only the tail is read, with its line numbers in the whole file
    assert batch.status == BatchStatus.DONE and batch.continues_id == first.pk
    assert (batch.records_read, batch.records_matched, batch.records_malformed) == (2, 1, 1)
    assert batch.malformed_samples[0]["line"] == len(SQUID_LINES) * 3 + 2
    assert requests_total() == before + 1


def test_a_growing_file_is_counted_once_across_versions(source: LogSource, small_chunks: None) -> None:
    # given three versions of a growing log, the second ending mid-line (written while it was read)
    lines = [*SQUID_LINES, EXTRA, EXTRA.replace("1772532360", "1772532420")]
    v1 = squid_bytes(lines[:4])
    full = squid_bytes(lines)
    cut = full.index(lines[6].encode()) + 10  # inside the 7th line
    v2, v3 = full[:cut], full
    # when
    batches = [ingest_bytes(source, v).batch for v in (v1, v2, v3)]
    # then every line is read exactly once over the three (the cut line with v2, cut short: not again with v3)
    assert [b.records_read for b in batches] == [4, 3, 3]
    assert batches[1].continues_id == batches[0].pk and batches[2].continues_id == batches[1].pk
    assert batches[2].chunks.order_by("index").first().first_line == 8


def test_a_file_that_only_completes_the_last_line_adds_nothing(source: LogSource) -> None:
    # given a log whose last line was cut
    data = squid_bytes()
    first = ingest_bytes(source, data[:-20]).batch
    # when the complete file comes
    outcome = ingest_bytes(source, data)
    # then it is the same batch: nothing new after the end of that line
    assert outcome.duplicate and outcome.batch.pk == first.pk


def test_the_prefix_hasher_matches_hashlib_at_every_checkpoint() -> None:
    rng = random.Random(7)
    for _ in range(500):
        lines = [b"x" * rng.randint(0, 9) for _ in range(rng.randint(0, 10))]
        data = b"\n".join(lines) + (b"\n" if rng.random() < 0.5 else b"")
        checkpoints = [rng.randint(1, len(data) + 2) for _ in range(3)]
        hasher = ingest.PrefixHasher(checkpoints)
        for i in range(0, len(data), 3):
            hasher.update(data[i : i + 3])
        prefixes = hasher.finish()
        assert hasher.digest.hexdigest() == hashlib.sha256(data).hexdigest()
        for point in checkpoints:
            if point > len(data):
                assert point not in prefixes
                continue
            prefix = prefixes[point]
            assert prefix.sha256 == hashlib.sha256(data[:point]).hexdigest()
            newline = data.find(b"\n", point - 1)
            expected = len(data) if newline == -1 else newline + 1
            assert prefix.tail_start == expected
            if expected < len(data):
                assert prefix.lines_before == data[:expected].count(b"\n")


def _bomb(size: int) -> bytes:
    return gzip.compress(b"\0" * size, compresslevel=9)


def test_a_gzip_bomb_is_refused_by_the_worker_and_the_batch_fails(source: LogSource, settings: Any) -> None:
    # given a cap of 1 MiB and a gzip that inflates to 20 MiB
    settings.DISCOVERY_MAX_UNCOMPRESSED_BYTES = 1 << 20
    # when
    batch = ingest_bytes(source, _bomb(20 << 20), name="bomb.gz").batch
    # then
    assert batch.status == BatchStatus.FAILED and batch.records_read == 0
    assert "ArchiveLimitExceeded" in batch.error and "DISCOVERY_MAX_UNCOMPRESSED_BYTES" in batch.error
    assert LogChunk.objects.get(batch=batch).status == ChunkStatus.FAILED


def _analyst(django_user_model: Any) -> Any:
    user = django_user_model.objects.create_user("uploader")
    user.user_permissions.add(*Permission.objects.filter(codename__in=["add_logbatch", "view_logbatch"]))
    return user


def test_the_upload_request_never_decompresses(source: LogSource, django_user_model: Any, settings: Any) -> None:
    # given a bomb, and gzip decompression made to fail loudly if the request tries it
    settings.DISCOVERY_MAX_UNCOMPRESSED_BYTES = 1 << 20
    client = APIClient()
    client.force_authenticate(_analyst(django_user_model))
    upload = io.BytesIO(_bomb(50 << 20))
    upload.name = "bomb.gz"
    url = reverse("discovery-api:logbatch-upload")
    # when
    with mock.patch("discovery.parsers.streams.gzip.GzipFile", side_effect=AssertionError("decompressed")):
        started = time.monotonic()
        response = client.post(url, {"source": source.pk, "file": upload}, format="multipart")
        elapsed = time.monotonic() - started
    # then the file is stored and queued, answered at once, its content unread
    assert response.status_code == 201, response.content
    assert response.json()["status"] == BatchStatus.PROCESSING and elapsed < 5
    batch = LogBatch.objects.get(pk=response.json()["id"])
    assert batch.content_sha256 == "" and LogChunk.objects.get(batch=batch).status == ChunkStatus.PENDING


def test_the_api_flags_a_cross_source_duplicate_and_confirms_it(
    source: LogSource, django_user_model: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # given a log already ingested in one source
    first = ingest_bytes(source, squid_bytes()).batch
    other_source = LogSourceFactory(name="Branch proxy", log_format="squid")
    client = APIClient()
    client.force_authenticate(_analyst(django_user_model))
    upload = io.BytesIO(squid_bytes())
    upload.name = "copy.log"
    # when uploaded under another source
    response = client.post(
        reverse("discovery-api:logbatch-upload"), {"source": other_source.pk, "file": upload}, format="multipart"
    )
    # then flagged, not counted
    body = response.json()
    assert response.status_code == 201 and body["awaiting_confirmation"] is True
    assert body["duplicate_of"] == first.pk
    assert f"already ingested as batch {first.pk} of source HQ proxy" in body["message"]
    detail = client.get(reverse("discovery-api:logbatch-detail", args=[body["id"]])).json()
    assert detail["status"] == "awaiting_confirmation" and detail["duplicate_message"]
    # when confirmed without, then with a reason
    confirm = reverse("discovery-api:logbatch-confirm", args=[body["id"]])
    assert client.post(confirm, {}, format="json").status_code == 400
    delay_patch = mock.patch("discovery.tasks.ingest_log_chunk_task.delay")
    with delay_patch as delay, django_capture_on_commit_callbacks(execute=True):
        response = client.post(confirm, {"reason": "two sites"}, format="json")
    # then queued for counting
    assert response.status_code == 200 and response.json()["status"] == "processing"
    assert delay.call_count == LogChunk.objects.filter(batch_id=body["id"]).count() == 1
    assert client.post(confirm, {"reason": "again"}, format="json").status_code == 409


def test_the_admin_shows_and_confirms_a_cross_source_duplicate(source: LogSource, admin_client: Any) -> None:
    # given
    first = ingest_bytes(source, squid_bytes()).batch
    other_source = LogSourceFactory(name="Branch proxy", log_format="squid")
    held = ingest_bytes(other_source, squid_bytes()).batch
    # when
    page = admin_client.get(reverse("admin:discovery_logbatch_change", args=[held.pk]))
    # then
    assert f"already ingested as batch {first.pk} of source HQ proxy" in page.content.decode()
    # when confirmed by the admin action
    admin_client.post(
        reverse("admin:discovery_logbatch_changelist"),
        {"action": "confirm_duplicates", "_selected_action": [held.pk]},
    )
    held.refresh_from_db()
    assert held.status == BatchStatus.PROCESSING and held.duplicate_confirmed_at is not None
