"""Crash safety with real worker processes: the whole worker is killed with SIGKILL in the middle of a multi-chunk
ingest, a new worker (and the reaper, for the chunk whose message died with the worker) finishes it, and every count
is exact: nothing lost, nothing counted twice.

The worker runs as a separate process (``celery -A config worker``) on the test database, so this needs a database
another process can open: PostgreSQL (CI). On the default in-memory SQLite test database it is skipped.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from discovery.choices import BatchStatus, ChunkStatus
from discovery.models import LogBatch, LogChunk, LogSource, UsageRecord
from discovery.services import log_batch_ingest, log_chunks_reap
from tests.discovery.factories import SQUID_LINES, ensure_catalog, identity_map

pytestmark = [pytest.mark.broker, pytest.mark.slow]

COPIES = 1500  # 8 lines each: 12,000 lines, ~1.2 MB; at 32 KiB per chunk about 40 chunks


def _log(copies: int) -> bytes:
    """SQUID_LINES repeated with distinct times: per copy 8 read, 2 malformed, 5 matched (5 requests)."""
    body = []
    for i in range(copies):
        for line in SQUID_LINES:
            ts, rest = line.split(" ", 1)
            body.append(f"{float(ts) + i:.3f} {rest}" if ts[:1].isdigit() else line)
    return ("\n".join(body) + "\n").encode()


class Worker:
    """A ``celery worker`` process group on the ingest queue, pointed at the test database."""

    def __init__(self, name: str, log_dir: Path) -> None:
        db = connection.settings_dict
        env = dict(os.environ)
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
            f"{db['NAME']}"
        )
        env["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
        env["CELERY_VISIBILITY_TIMEOUT"] = "5"  # Redis: a killed worker's unacked task comes back within seconds
        self.log = (log_dir / f"{name}.log").open("wb")
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "ingest", "-P", "prefork", "-c", "1"]
        command += ["-n", f"{name}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"]
        self.process = subprocess.Popen(
            command,
            env=env,
            cwd=Path(__file__).resolve().parents[2],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: SIGKILL reaches the pool children too
        )

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)
        self.log.close()


@pytest.fixture
def workers(transactional_db: None, tmp_path: Path) -> Iterator[list[Worker]]:
    if connection.vendor != "postgresql":
        pytest.skip("the worker process needs a database it can open (PostgreSQL)")
    started: list[Worker] = []
    yield started
    for worker in started:  # before the test database is flushed
        worker.kill(signal.SIGTERM)


def _wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def test_sigkill_of_the_worker_mid_ingest_then_a_new_worker_finishes_with_exact_counts(
    workers: list[Worker], tmp_path: Path, settings: Any
) -> None:
    # given: a multi-chunk upload queued for the workers
    ensure_catalog()
    settings.DISCOVERY_CHUNK_BYTES = 32 * 1024
    source = LogSource.objects.create(name="crash proxy", log_format="squid", identity_map=identity_map())
    batch = log_batch_ingest(source=source, fileobj=io.BytesIO(_log(COPIES)), name="crash.log").batch
    assert batch.chunks_total > 20
    # when: the first worker has committed some chunks, the whole worker is killed -9
    first = Worker("first", tmp_path)
    workers.append(first)
    _wait_for(lambda: LogBatch.objects.get(pk=batch.pk).chunks_done >= 3, 120, "the first worker's chunks")
    first.kill()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PROCESSING and batch.chunks_done < batch.chunks_total, "killed too late"
    killed_at = batch.chunks_done
    # and a new worker starts; the reaper (run as if its time had come) re-queues what the killed worker held
    second = Worker("second", tmp_path)
    workers.append(second)
    outcome = log_chunks_reap(now=timezone.now() + timedelta(days=1))
    assert outcome.failed == 0 and outcome.requeued >= 1
    _wait_for(lambda: LogBatch.objects.get(pk=batch.pk).status != BatchStatus.PROCESSING, 300, "the batch to finish")
    # then: every chunk counted exactly once
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE, batch.error
    assert killed_at < batch.chunks_done == batch.chunks_total and batch.chunks_failed == 0
    assert (batch.records_read, batch.records_malformed, batch.records_matched) == (
        8 * COPIES,
        2 * COPIES,
        5 * COPIES,
    )
    assert sum(UsageRecord.objects.filter(batch=batch).values_list("requests", flat=True)) == 5 * COPIES
    chunks = LogChunk.objects.filter(batch=batch)
    assert not chunks.exclude(status=ChunkStatus.DONE).exists()
    assert sum(chunks.values_list("records_read", flat=True)) == batch.records_read
