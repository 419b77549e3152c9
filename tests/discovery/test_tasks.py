"""Tasks: chunk redelivery is idempotent, upload enqueues on commit, retention re-enqueues, real-broker run."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import OperationalError

from config.celery import app
from discovery import services
from discovery.choices import BatchStatus, ChunkStatus
from discovery.models import LogBatch, LogChunk, LogSource, UsageRecord
from discovery.services import log_batch_ingest
from discovery.tasks import ingest_log_chunk_task, purge_discovery_detail_task
from tests.discovery.factories import SQUID_LINES, LogSourceFactory, ensure_catalog, identity_map, squid_bytes


def upload(source: LogSource, data: bytes) -> LogBatch:
    """Create the batch and its chunks without processing them (the workers' part is done by the test)."""
    with mock.patch("discovery.tasks.ingest_log_chunk_task.delay"):
        return log_batch_ingest(source=source, fileobj=io.BytesIO(data), name="a.log").batch


def totals() -> tuple[int, int, int]:
    batch = LogBatch.objects.get()
    requests = sum(UsageRecord.objects.values_list("requests", flat=True))
    return batch.records_read, batch.records_matched, requests


def test_running_a_chunk_task_twice_does_not_double_count(source: LogSource, small_chunks: None) -> None:
    # given
    batch = upload(source, squid_bytes())
    chunk_ids = list(batch.chunks.values_list("id", flat=True))
    # when
    for chunk_id in chunk_ids:
        ingest_log_chunk_task(chunk_id)
    once = totals()
    for chunk_id in chunk_ids:
        ingest_log_chunk_task(chunk_id)  # redelivered
    # then
    assert once == (8, 5, 5)
    assert totals() == once
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE
    assert batch.chunks_done == batch.chunks_total == len(chunk_ids)


def test_a_crash_before_commit_leaves_nothing_and_the_redelivery_counts_once(source: LogSource) -> None:
    # given
    batch = upload(source, squid_bytes())
    chunk = batch.chunks.get()
    # when: the worker dies after writing usage rows but before the transaction commits
    with (
        mock.patch.object(services, "_log_batch_finalise_if_complete", side_effect=SystemExit("killed")),
        pytest.raises(SystemExit),
    ):
        ingest_log_chunk_task(chunk.pk)
    # then
    chunk.refresh_from_db()
    assert chunk.status == ChunkStatus.PROCESSING and chunk.attempts == 1  # claimed, nothing committed
    assert not UsageRecord.objects.exists()
    assert LogBatch.objects.get().records_read == 0
    # and when the task is redelivered
    ingest_log_chunk_task(chunk.pk)
    assert totals() == (8, 5, 5)
    assert LogChunk.objects.get().attempts == 2


def test_chunk_task_for_a_deleted_chunk_returns_quietly(db: None) -> None:
    # when / then
    ingest_log_chunk_task(987654)


def test_upload_enqueues_one_task_per_chunk_after_commit(
    source: LogSource, small_chunks: None, django_capture_on_commit_callbacks: Any
) -> None:
    # given
    with mock.patch("discovery.tasks.ingest_log_chunk_task.delay") as delay:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            batch = log_batch_ingest(source=source, fileobj=io.BytesIO(squid_bytes()), name="a.log").batch
        # then: nothing is sent before the commit
        assert delay.call_count == 0
        assert len(callbacks) == 1
        callbacks[0]()
    assert sorted(c.args[0] for c in delay.call_args_list) == sorted(batch.chunks.values_list("id", flat=True))
    assert batch.status == BatchStatus.PROCESSING


def test_retention_task_reenqueues_itself_until_drained(db: None) -> None:
    # given
    with (
        mock.patch("discovery.services.discovery_detail_purge", side_effect=[True, False]) as purge,
        mock.patch.object(purge_discovery_detail_task, "delay") as delay,
    ):
        # when
        purge_discovery_detail_task()
        # then
        assert delay.call_count == 1
        purge_discovery_detail_task()
        assert delay.call_count == 1
        assert purge.call_count == 2


@pytest.fixture
def ingest_worker(transactional_db: None) -> Iterator[Any]:
    """A real worker thread consuming from the configured broker (Redis in CI, the embedded SQLite broker here)."""
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30, loglevel="WARNING") as worker:
        yield worker


@pytest.mark.broker
def test_chunks_sent_through_the_real_broker_are_aggregated_by_a_worker(ingest_worker: Any, settings: Any) -> None:
    # given
    ensure_catalog()
    settings.DISCOVERY_CHUNK_BYTES = 300
    source = LogSourceFactory(name="broker proxy", identity_map=identity_map())
    # when: the upload enqueues its chunk tasks on commit, routed to the ingest queue
    batch = log_batch_ingest(source=source, fileobj=io.BytesIO(squid_bytes(SQUID_LINES * 3)), name="b.log").batch
    assert batch.chunks_total > 1
    # then
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        time.sleep(0.5)
        try:  # the test database is shared-cache SQLite locally: a read can meet the worker's write lock
            if LogBatch.objects.filter(pk=batch.pk, status=BatchStatus.DONE).exists():
                break
        except OperationalError:
            continue
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE
    assert (batch.records_read, batch.records_malformed, batch.records_matched) == (24, 6, 15)
    assert sum(UsageRecord.objects.filter(batch=batch).values_list("requests", flat=True)) == 15
