"""Ingestion lifecycle: no chunk ends silently (every error caught at the chunk boundary, transient ones retried),
batches settle done / partial / failed, the reaper, retry (service, API, admin, CLI) and re-upload after a failure.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import time_machine
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.db import InterfaceError, OperationalError
from django.db.models import QuerySet
from django.test import Client, TestCase
from django.urls import reverse
from rest_framework.test import APIClient

from config.celery_schedule import BEAT_SCHEDULE
from core.exceptions import InvalidTransition
from core.models import AuditLogEntry
from discovery import ingest, services, signals
from discovery.choices import BatchStatus, ChunkStatus
from discovery.constants import STALE_CHUNK_MARGIN_SECONDS
from discovery.models import LogBatch, LogChunk, LogSource, UsageRecord
from discovery.services import log_batch_ingest, log_batch_retry, log_chunk_process, log_chunks_reap
from discovery.tasks import ingest_log_chunk_task, reap_stuck_chunks_task
from tests.discovery.factories import squid_bytes

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
CLEAN = (8, 5, 5)  # records read, matched, and usage requests of squid_bytes() ingested without a failure


# --- helpers -------------------------------------------------------------------------------------------------------


@contextmanager
def chunks_raising(indexes: set[int], exc: Callable[[], BaseException]) -> Iterator[None]:
    """Make the parse of the chunks at ``indexes`` raise ``exc()`` (what a parser bug or a bad byte would do)."""
    real = ingest.run_chunk

    def run_chunk(batch: LogBatch, chunk: LogChunk, fh: Any, **kwargs: Any) -> ingest.ChunkResult:
        if chunk.index in indexes:
            raise exc()
        return real(batch, chunk, fh, **kwargs)

    with mock.patch.object(ingest, "run_chunk", side_effect=run_chunk):
        yield


@contextmanager
def queued() -> Iterator[list[int]]:
    """Record the chunk ids handed to the ingest queue (on commit) instead of sending them to a broker."""
    sent: list[int] = []
    with (
        mock.patch.object(ingest_log_chunk_task, "delay", side_effect=sent.append),
        TestCase.captureOnCommitCallbacks(execute=True),
    ):
        yield sent


def upload(source: LogSource, data: bytes | None = None) -> LogBatch:
    with queued():
        return log_batch_ingest(source=source, fileobj=io.BytesIO(data or squid_bytes()), name="a.log").batch


def run_all(batch: LogBatch) -> None:
    for chunk_id in batch.chunks.order_by("index").values_list("id", flat=True):
        ingest_log_chunk_task(chunk_id)


def totals(batch: LogBatch) -> tuple[int, int, int]:
    batch.refresh_from_db()
    requests = sum(UsageRecord.objects.filter(batch=batch).values_list("requests", flat=True))
    return batch.records_read, batch.records_matched, requests


def done_chunk_sums(batch: LogBatch) -> tuple[int, int]:
    done = list(batch.chunks.filter(status=ChunkStatus.DONE).values_list("records_read", "records_matched"))
    return sum(r for r, _ in done), sum(m for _, m in done)


# --- the chunk boundary --------------------------------------------------------------------------------------------


def test_a_chunk_whose_parse_raises_anything_ends_failed_with_a_storable_error_and_the_batch_settles(
    source: LogSource, django_capture_on_commit_callbacks: Any
) -> None:
    # given
    batch = upload(source)
    chunk = batch.chunks.get()
    # when: a parser bug raises on a line with a NUL byte (PostgreSQL text rejects NUL)
    with (
        chunks_raising({0}, lambda: ValueError("bad value 'x\x00y'")),
        mock.patch.object(signals.log_batch_finished, "send") as alerts,
        django_capture_on_commit_callbacks(execute=True),
    ):
        ingest_log_chunk_task(chunk.pk)
    # then
    chunk.refresh_from_db()
    assert chunk.status == ChunkStatus.FAILED
    assert chunk.error == "ValueError: bad value 'x\\x00y'"
    batch.refresh_from_db()
    assert batch.status == BatchStatus.FAILED and batch.finished_at is not None
    assert (batch.chunks_done, batch.chunks_failed) == (0, 1)
    assert batch.error.startswith("1 of 1 chunks failed") and "ValueError: bad value" in batch.error
    assert not alerts.called  # nothing was counted: nothing to alert on
    assert not UsageRecord.objects.exists()


def test_error_text_is_bounded_and_free_of_nul_and_lone_surrogates() -> None:
    # when
    text = services.error_text(RuntimeError("\x00" + "é" * 5000 + "\udcff"))
    # then
    assert "\x00" not in text and text.startswith("RuntimeError: \\x00é")
    assert len(text) == 2000 and text.endswith("…")
    text.encode("utf-8")  # no lone surrogate left


def test_one_failing_chunk_leaves_the_batch_processing_until_all_settle_then_partial_with_the_good_counts(
    source: LogSource, small_chunks: None, django_capture_on_commit_callbacks: Any
) -> None:
    # given
    batch = upload(source)
    total = batch.chunks.count()
    assert total > 2
    # when: the failing chunk runs first, the others after it
    with (
        chunks_raising({1}, lambda: KeyError("boom")),
        mock.patch.object(signals.log_batch_finished, "send") as alerts,
        django_capture_on_commit_callbacks(execute=True),
    ):
        ingest_log_chunk_task(batch.chunks.get(index=1).pk)
        batch.refresh_from_db()
        # then: the batch is not failed while other chunks are still going
        assert batch.status == BatchStatus.PROCESSING and batch.chunks_failed == 1
        run_all(batch)
    # then
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PARTIAL
    assert (batch.chunks_done, batch.chunks_failed, batch.chunks_total) == (total - 1, 1, total)
    assert f"1 of {total} chunks failed" in batch.error and "chunk #1: KeyError: 'boom'" in batch.error
    assert (batch.records_read, batch.records_matched) == done_chunk_sums(batch)
    assert 0 < batch.records_read < CLEAN[0]
    alerts.assert_called_once_with(sender=LogBatch, batch_id=batch.pk)  # a partial batch's data is evaluated


def test_a_transient_error_is_raised_for_a_retry_while_attempts_remain_then_the_chunk_fails(
    source: LogSource, settings: Any
) -> None:
    # given
    settings.DISCOVERY_CHUNK_MAX_ATTEMPTS = 2
    batch = upload(source)
    chunk = batch.chunks.get()
    with chunks_raising({0}, lambda: OperationalError("server closed the connection unexpectedly")):
        # when / then: first attempt: raised again, for the task's retry with backoff
        with pytest.raises(OperationalError):
            log_chunk_process(chunk_id=chunk.pk)
        chunk.refresh_from_db()
        assert (chunk.status, chunk.attempts) == (ChunkStatus.PROCESSING, 1)
        # last attempt: the chunk fails
        assert log_chunk_process(chunk_id=chunk.pk) is False
    chunk.refresh_from_db()
    assert chunk.status == ChunkStatus.FAILED
    assert chunk.error == "gave up after 2 attempts: OperationalError: server closed the connection unexpectedly"
    assert LogBatch.objects.get().status == BatchStatus.FAILED


def test_the_task_retries_database_and_connection_errors() -> None:
    assert {OperationalError, InterfaceError, ConnectionError} <= set(ingest_log_chunk_task.autoretry_for)


def test_a_chunk_past_the_soft_time_limit_fails_without_a_retry(source: LogSource) -> None:
    # given
    batch = upload(source)
    # when
    with chunks_raising({0}, SoftTimeLimitExceeded):
        ingest_log_chunk_task(batch.chunks.get().pk)
    # then
    chunk = batch.chunks.get()
    assert chunk.status == ChunkStatus.FAILED and chunk.attempts == 1
    assert chunk.error.startswith("SoftTimeLimitExceeded: the chunk ran past the")


def test_a_chunk_out_of_attempts_is_failed_at_its_next_delivery(source: LogSource, settings: Any) -> None:
    # given: the chunk killed its worker at each of its attempts (the broker redelivered it every time)
    settings.DISCOVERY_CHUNK_MAX_ATTEMPTS = 3
    batch = upload(source)
    batch.chunks.update(status=ChunkStatus.PROCESSING, attempts=3)
    # when
    ingest_log_chunk_task(batch.chunks.get().pk)
    # then
    chunk = batch.chunks.get()
    assert chunk.status == ChunkStatus.FAILED and chunk.error.startswith("LostWorker: gave up after 3 attempts")
    assert LogBatch.objects.get().status == BatchStatus.FAILED


def test_a_settled_chunk_is_counted_once_even_if_failed_again(source: LogSource) -> None:
    # given
    batch = upload(source)
    run_all(batch)
    chunk = batch.chunks.get()
    # when: a late failure report for a chunk that is done
    assert services._log_chunk_fail(chunk_id=chunk.pk, error="late") is False
    # then
    batch.refresh_from_db()
    assert (batch.status, batch.chunks_done, batch.chunks_failed) == (BatchStatus.DONE, 1, 0)


def test_a_stale_message_racing_a_retry_leaves_the_chunk_to_the_retry_and_counts_once(
    source: LogSource, sam: Any
) -> None:
    # given: a failed batch, and a stale message for its chunk (the broker redelivering a dead worker's task) whose
    # claim UPDATE runs while the chunk is still failed -- and the retry resets the chunk before the claim's re-read
    batch = upload(source)
    with chunks_raising({0}, lambda: ValueError("bug")):
        run_all(batch)
    chunk = batch.chunks.get()
    assert chunk.status == ChunkStatus.FAILED
    real_update = QuerySet.update
    sent: list[int] = []
    fired: list[bool] = []

    def update_then_retry(self: Any, **kwargs: Any) -> int:
        matched = real_update(self, **kwargs)
        if self.model is LogChunk and kwargs.get("status") == ChunkStatus.PROCESSING and not fired:
            fired.append(True)
            with queued() as ids:
                log_batch_retry(batch=batch, actor=sam, reason="parser fixed")
            sent.extend(ids)
        return matched

    # when: the stale message is processed
    with mock.patch.object(QuerySet, "update", update_then_retry):
        assert log_chunk_process(chunk_id=chunk.pk) is False
    # then: the stale claim did not fail the freshly retried chunk ("LostWorker: gave up after 0 attempts")
    chunk.refresh_from_db()
    assert (chunk.status, chunk.attempts, chunk.error) == (ChunkStatus.PENDING, 0, "")
    assert sent == [chunk.pk]
    # and the retry's own message counts it once
    ingest_log_chunk_task(chunk.pk)
    assert totals(batch) == CLEAN and batch.status == BatchStatus.DONE


def test_the_local_path_fails_a_bad_chunk_and_retries_a_transient_error(
    source: LogSource, small_chunks: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: chunk 0 meets a dropped connection once, chunk 2 a parser bug
    monkeypatch.setattr(services, "LOCAL_RETRY_SECONDS", 0.0)
    real = ingest.run_chunk
    calls: list[int] = []

    def run_chunk(batch: LogBatch, chunk: LogChunk, fh: Any, **kwargs: Any) -> ingest.ChunkResult:
        calls.append(chunk.index)
        if chunk.index == 0 and calls.count(0) == 1:
            raise InterfaceError("connection already closed")
        if chunk.index == 2:
            raise ValueError("unparseable")
        return real(batch, chunk, fh, **kwargs)

    # when
    with mock.patch.object(ingest, "run_chunk", side_effect=run_chunk):
        batch = log_batch_ingest(source=source, fileobj=io.BytesIO(squid_bytes()), name="a.log", synchronous=True).batch
    # then
    assert batch.status == BatchStatus.PARTIAL and batch.chunks_failed == 1
    assert batch.chunks.get(index=0).status == ChunkStatus.DONE and batch.chunks.get(index=0).attempts == 2
    assert batch.chunks.get(index=2).error == "ValueError: unparseable"
    assert (batch.records_read, batch.records_matched) == done_chunk_sums(batch)


# --- retry ---------------------------------------------------------------------------------------------------------


def test_retry_runs_only_the_failed_chunks_again_and_the_counts_end_exact(
    source: LogSource, small_chunks: None, sam: Any
) -> None:
    # given: a partial batch
    batch = upload(source)
    with chunks_raising({0, 2}, lambda: ValueError("bug")):
        run_all(batch)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PARTIAL
    failed_ids = set(batch.chunks.filter(status=ChunkStatus.FAILED).values_list("id", flat=True))
    # when
    with queued() as sent:
        batch = log_batch_retry(batch=batch, actor=sam, reason="parser fixed")
    # then: back to processing, only the failed chunks queued, the good chunks' counts kept
    assert set(sent) == failed_ids
    assert (batch.status, batch.chunks_failed, batch.error) == (BatchStatus.PROCESSING, 0, "")
    assert set(batch.chunks.filter(status=ChunkStatus.PENDING).values_list("id", flat=True)) == failed_ids
    entry = AuditLogEntry.objects.get(event_type="discovery.log_batch.retried")
    assert entry.acting_user == sam and entry.reason == "parser fixed"
    assert entry.extra_data["previous_status"] == "partial" and entry.extra_data["chunks_retried"] == 2
    # and when the workers run them (and every chunk is delivered again, too)
    for chunk_id in sent:
        ingest_log_chunk_task(chunk_id)
    run_all(batch)
    # then
    assert totals(batch) == CLEAN
    assert (batch.status, batch.chunks_done, batch.chunks_failed) == (BatchStatus.DONE, batch.chunks_total, 0)


def test_only_a_failed_or_partial_batch_can_be_retried(source: LogSource, sam: Any) -> None:
    # given
    batch = upload(source)
    # when / then
    with pytest.raises(InvalidTransition, match="only a failed or partial batch"):
        log_batch_retry(batch=batch, actor=sam)
    run_all(batch)
    with pytest.raises(InvalidTransition):
        log_batch_retry(batch=batch, actor=sam)


def test_uploading_the_same_file_after_a_failure_retries_its_batch(source: LogSource) -> None:
    # given
    batch = upload(source)
    with chunks_raising({0}, lambda: ValueError("bug")):
        run_all(batch)
    assert LogBatch.objects.get().status == BatchStatus.FAILED
    # when
    with queued() as sent:
        outcome = log_batch_ingest(source=source, fileobj=io.BytesIO(squid_bytes()), name="a.log")
    # then
    assert (outcome.batch.pk, outcome.duplicate, outcome.retried) == (batch.pk, True, True)
    assert outcome.batch.status == BatchStatus.PROCESSING and sent == [batch.chunks.get().pk]
    ingest_log_chunk_task(sent[0])
    assert totals(batch) == CLEAN and batch.status == BatchStatus.DONE
    # and the same file once more is a plain duplicate
    again = log_batch_ingest(source=source, fileobj=io.BytesIO(squid_bytes()), name="a.log")
    assert (again.duplicate, again.retried) == (True, False)


# --- reaper --------------------------------------------------------------------------------------------------------


def stale_after(settings: Any) -> timedelta:
    return timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + STALE_CHUNK_MARGIN_SECONDS)


def test_reaper_requeues_a_chunk_whose_worker_died_and_is_idempotent(source: LogSource, settings: Any) -> None:
    # given: a worker claimed the chunk at T0, then died
    with time_machine.travel(T0, tick=False):
        batch = upload(source)
        chunk = batch.chunks.get()
        services._log_chunk_claim(chunk.pk)
    # when / then: not stale before the hard time limit plus the margin
    with time_machine.travel(T0 + stale_after(settings) - timedelta(seconds=1), tick=False), queued() as sent:
        assert log_chunks_reap() == services.ReapOutcome(requeued=0, failed=0)
    assert sent == []
    # after it, the chunk goes back to the queue, once
    with time_machine.travel(T0 + stale_after(settings) + timedelta(seconds=1), tick=False), queued() as sent:
        assert log_chunks_reap() == services.ReapOutcome(requeued=1, failed=0)
        assert log_chunks_reap() == services.ReapOutcome(requeued=0, failed=0)
    assert sent == [chunk.pk]
    chunk.refresh_from_db()
    assert chunk.status == ChunkStatus.PENDING and chunk.attempts == 1
    # and the re-queued task counts it exactly once
    ingest_log_chunk_task(chunk.pk)
    assert totals(batch) == CLEAN and batch.status == BatchStatus.DONE


def test_reaper_fails_a_stuck_chunk_out_of_attempts_and_settles_its_batch(
    source: LogSource, small_chunks: None, settings: Any
) -> None:
    # given: one chunk claimed for the last time at T0 and lost; the others done
    settings.DISCOVERY_CHUNK_MAX_ATTEMPTS = 2
    with time_machine.travel(T0, tick=False):
        batch = upload(source)
        lost = batch.chunks.get(index=0)
        for chunk in batch.chunks.exclude(pk=lost.pk):
            ingest_log_chunk_task(chunk.pk)
        LogChunk.objects.filter(pk=lost.pk).update(attempts=1)
        services._log_chunk_claim(lost.pk)
    # when
    with time_machine.travel(T0 + stale_after(settings) + timedelta(minutes=1), tick=False), queued() as sent:
        outcome = log_chunks_reap()
        again = log_chunks_reap()
    # then
    assert (outcome, again, sent) == (services.ReapOutcome(0, 1), services.ReapOutcome(0, 0), [])
    lost.refresh_from_db()
    assert lost.status == ChunkStatus.FAILED and lost.error.startswith("TimedOut: lost or timed out after 2 attempts")
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PARTIAL and batch.chunks_failed == 1


def test_reaper_requeues_a_chunk_never_picked_up_after_the_pending_timeout(source: LogSource, settings: Any) -> None:
    # given: the upload's messages were lost (broker down at commit, flushed queue)
    with time_machine.travel(T0, tick=False):
        batch = upload(source)
    timeout = timedelta(seconds=settings.DISCOVERY_CHUNK_PENDING_TIMEOUT)
    # when / then
    with time_machine.travel(T0 + timeout - timedelta(seconds=1), tick=False), queued() as sent:
        reap_stuck_chunks_task()
    assert sent == []
    with time_machine.travel(T0 + timeout + timedelta(seconds=1), tick=False), queued() as sent:
        reap_stuck_chunks_task()
        reap_stuck_chunks_task()
    assert sent == [batch.chunks.get().pk]


def test_reaper_is_on_the_beat_schedule() -> None:
    entry = next(e for e in BEAT_SCHEDULE.values() if e["task"] == "discovery.tasks.reap_stuck_chunks_task")
    assert entry["options"]["expires"] <= 10 * 60


# --- API, admin, CLI -----------------------------------------------------------------------------------------------


@pytest.fixture
def failed_batch(source: LogSource) -> LogBatch:
    batch = upload(source)
    with chunks_raising({0}, lambda: ValueError("bug")):
        run_all(batch)
    batch.refresh_from_db()
    return batch


def test_api_shows_failed_chunks_and_a_security_analyst_retries_the_batch(
    api: APIClient, failed_batch: LogBatch, sam: Any
) -> None:
    # given
    api.force_authenticate(sam)
    detail = api.get(reverse("discovery-api:logbatch-detail", args=[failed_batch.pk])).json()
    assert (detail["status"], detail["chunks_failed"]) == ("failed", 1) and "ValueError: bug" in detail["error"]
    assert api.get(reverse("discovery-api:logbatch-list"), {"status": "failed"}).json()["count"] == 1
    # when
    with queued() as sent:
        response = api.post(reverse("discovery-api:logbatch-retry", args=[failed_batch.pk]), {"reason": "fixed"})
    # then
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["chunks_failed"]) == ("processing", 0)
    assert sent == [failed_batch.chunks.get().pk]
    # and a batch that is not failed: 409
    again = api.post(reverse("discovery-api:logbatch-retry", args=[failed_batch.pk]), {})
    assert again.status_code == 409


@pytest.mark.parametrize("persona", ["alice", "audrey", "charlie"], indirect=True)
def test_other_roles_cannot_retry_a_batch(api: APIClient, failed_batch: LogBatch, persona: Any) -> None:
    # given
    api.force_authenticate(persona)
    # when
    response = api.post(reverse("discovery-api:logbatch-retry", args=[failed_batch.pk]), {})
    # then
    assert response.status_code in (403, 404)
    assert LogBatch.objects.get().status == BatchStatus.FAILED


def test_api_upload_of_a_failed_file_says_it_was_retried(api: APIClient, failed_batch: LogBatch, sam: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    # given
    api.force_authenticate(sam)
    # when
    with queued():
        response = api.post(
            reverse("discovery-api:logbatch-upload"),
            {"source": failed_batch.source_id, "file": SimpleUploadedFile("a.log", squid_bytes())},
            format="multipart",
        )
    # then
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["duplicate"], body["retried"], body["status"]) == (
        failed_batch.pk,
        True,
        True,
        "processing",
    )


def test_admin_lists_failed_batches_and_retries_them_by_action(
    client: Client, failed_batch: LogBatch, sam: Any
) -> None:
    # given
    client.force_login(sam)
    url = reverse("admin:discovery_logbatch_changelist")
    page = client.get(url, {"status__exact": "failed"})
    assert page.status_code == 200 and "retry_batches" in page.content.decode()
    assert client.get(reverse("admin:discovery_logbatch_change", args=[failed_batch.pk])).status_code == 200
    # when
    with queued() as sent:
        response = client.post(url, {"action": "retry_batches", "_selected_action": [failed_batch.pk]}, follow=True)
    # then
    assert response.status_code == 200 and "Retrying batch(es)" in response.content.decode()
    assert sent == [failed_batch.chunks.get().pk]
    assert LogBatch.objects.get().status == BatchStatus.PROCESSING


def test_admin_retry_action_is_not_offered_to_read_only_roles(
    client: Client, failed_batch: LogBatch, audrey: Any
) -> None:
    # given
    client.force_login(audrey)
    url = reverse("admin:discovery_logbatch_changelist")
    # when
    page = client.get(url)
    client.post(url, {"action": "retry_batches", "_selected_action": [failed_batch.pk]})
    # then
    assert page.status_code == 200 and "retry_batches" not in page.content.decode()
    assert LogBatch.objects.get().status == BatchStatus.FAILED


def test_ingest_logs_exits_non_zero_on_a_partial_batch_and_retry_completes_it(
    source: LogSource, tmp_path: Path, small_chunks: None
) -> None:
    # given
    path = tmp_path / "a.log"
    path.write_bytes(squid_bytes())
    out = StringIO()
    # when
    with (
        chunks_raising({1}, lambda: ValueError("bug")),
        pytest.raises(CommandError, match=r"ended partial: 1 of") as error,
    ):
        call_command("ingest_logs", str(path), "--json", "--source", source.name, stdout=out)
    # then: the JSON summary was still printed, and the error says how to retry
    summary = json.loads(out.getvalue())
    assert (summary["status"], summary["chunks_failed"]) == ("partial", 1)
    assert f"ingest_logs --retry {summary['batch_id']}" in str(error.value)
    # and when retried here
    out = StringIO()
    call_command("ingest_logs", "--retry", str(summary["batch_id"]), stdout=out)
    assert f"retried as batch {summary['batch_id']}" in out.getvalue() and "done" in out.getvalue()
    assert totals(LogBatch.objects.get()) == CLEAN


def test_ingest_logs_retry_refuses_a_path_and_an_unknown_batch(db: None, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no batch 999"):
        call_command("ingest_logs", "--retry", "999")
    with pytest.raises(CommandError, match="not both"):
        call_command("ingest_logs", str(tmp_path), "--retry", "1")
    with pytest.raises(CommandError, match="give the file"):
        call_command("ingest_logs")


# --- settings ------------------------------------------------------------------------------------------------------


def test_visibility_timeout_defaults_to_the_task_time_limit_plus_a_margin() -> None:
    # given a Redis broker and no CELERY_VISIBILITY_TIMEOUT
    env = {k: v for k, v in os.environ.items() if k != "CELERY_VISIBILITY_TIMEOUT"}
    env.update(CELERY_BROKER_URL="redis://127.0.0.1:6379/0", CELERY_TASK_TIME_LIMIT="600", SECRET_KEY="x" * 50)
    code = "from config.settings import base; print(base.CELERY_BROKER_TRANSPORT_OPTIONS['visibility_timeout'])"
    # when
    default = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    env["CELERY_VISIBILITY_TIMEOUT"] = "1234"
    explicit = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    # then
    assert (default.stdout.strip(), explicit.stdout.strip()) == ("900", "1234")
    assert django_settings.CELERY_TASK_TIME_LIMIT < 7200
