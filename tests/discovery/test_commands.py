"""Commands: ingest_logs (--json keys and values, duplicates, errors), and the demo loader's idempotency."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from discovery import demo
from discovery.management.commands.ingest_logs import Command as IngestLogs
from discovery.models import LogBatch, LogSource, UsageRecord
from tests.discovery.factories import ensure_catalog, squid_bytes


@pytest.fixture
def log_file(tmp_path: Path) -> Path:
    path = tmp_path / "access.log"
    path.write_bytes(squid_bytes())
    return path


def run(*args: str) -> str:
    out = StringIO()
    call_command("ingest_logs", *args, stdout=out)
    return out.getvalue()


def test_ingest_logs_json_prints_the_counts_and_a_second_run_is_a_duplicate(catalog: None, log_file: Path) -> None:
    # when
    first = json.loads(run(str(log_file), "--json", "--source", "proxy-1", "--format", "squid"))
    second = json.loads(run(str(log_file), "--json", "--source", "proxy-1"))
    # then
    batch = LogBatch.objects.get()
    assert {k: first[k] for k in ("records_read", "records_parsed", "records_malformed", "records_matched")} == {
        "records_read": 8,
        "records_parsed": 6,
        "records_malformed": 2,
        "records_matched": 5,
    }
    assert first["duplicate"] is False and first["batch_id"] == batch.pk
    assert second["duplicate"] is True and second["batch_id"] == batch.pk
    assert LogSource.objects.filter(name="proxy-1").exists()


def test_ingest_logs_does_not_run_the_system_checks(
    catalog: None, log_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given the system checks made to fail
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("ingest_logs ran the system checks")

    monkeypatch.setattr(BaseCommand, "check", refuse)
    out = StringIO()
    command = IngestLogs(stdout=out)
    options = vars(command.create_parser("manage.py", "ingest_logs").parse_args([str(log_file), "--json"]))
    # when run as manage.py runs it (run_from_argv, less its closing of the connections)
    command.execute(**options)
    # then
    assert json.loads(out.getvalue())["records_parsed"] == 6


def test_ingest_logs_without_json_prints_a_summary(catalog: None, log_file: Path) -> None:
    # when
    out = run(str(log_file))
    # then
    assert "ingested as batch" in out and "5 matched to AI services" in out


def test_ingest_logs_rejects_a_missing_file_and_an_unknown_format(catalog: None, log_file: Path) -> None:
    with pytest.raises(CommandError, match="no such file"):
        run("/nonexistent/file.log")
    with pytest.raises(CommandError, match="unknown log format"):
        run(str(log_file), "--format", "nope")


def test_demo_loads_shadow_ai_traffic_and_is_idempotent(catalog: None, sam: Any, alice: Any, audrey: Any) -> None:
    # given
    users = {"sam": sam, "alice": alice, "audrey": audrey}
    # when
    demo.load(users=users)
    counts = (LogSource.objects.count(), LogBatch.objects.count(), UsageRecord.objects.count())
    demo.load(users=users)
    # then
    assert (LogSource.objects.count(), LogBatch.objects.count(), UsageRecord.objects.count()) == counts
    assert counts[1] == 2
    slugs = set(UsageRecord.objects.values_list("service__slug", flat=True))
    assert {"chatgpt", "claude", "deepseek", "huggingface"} <= slugs
    assert all(batch.records_malformed > 0 for batch in LogBatch.objects.all())


# --- --queue: the chunks go to the Celery workers ----------------------------------------------------------------


def _chunked_log(tmp_path: Path, settings: Any, copies: int = 40) -> Path:
    """A log big enough for several chunks at a tiny chunk size (the same lines repeated, with distinct times)."""
    settings.DISCOVERY_CHUNK_BYTES = 2048
    lines = squid_bytes().decode().splitlines()
    body = []
    for i in range(copies):
        for line in lines:
            ts, rest = line.split(" ", 1)
            body.append(f"{float(ts) + i:.3f} {rest}" if ts[:1].isdigit() else line)
    path = tmp_path / "big.log"
    path.write_text("\n".join(body) + "\n")
    return path


def test_queue_no_wait_hands_every_chunk_to_the_ingest_queue(
    catalog: None,
    tmp_path: Path,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given
    from discovery.tasks import ingest_log_chunk_task

    sent: list[int] = []
    monkeypatch.setattr(ingest_log_chunk_task, "delay", sent.append)
    path = _chunked_log(tmp_path, settings)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        out = json.loads(run(str(path), "--queue", "--no-wait", "--json"))
    # then
    batch = LogBatch.objects.get()
    assert out["status"] == "processing" and out["batch_id"] == batch.pk
    assert batch.chunks_total > 3 and out["chunks_total"] == batch.chunks_total
    assert sorted(sent) == sorted(batch.chunks.values_list("id", flat=True))
    assert batch.records_read == 0  # nothing was processed here


def test_queue_waits_for_the_workers_and_gives_up_with_a_clear_message(
    catalog: None, tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given no worker consumes the queue
    from discovery.management.commands import ingest_logs
    from discovery.tasks import ingest_log_chunk_task

    monkeypatch.setattr(ingest_log_chunk_task, "delay", lambda chunk_id: None)
    monkeypatch.setattr(ingest_logs, "POLL_SECONDS", 0.01)
    # when / then
    with pytest.raises(CommandError, match=r"still processing after 0.2 s \(0/\d+ chunks\); the workers carry on"):
        run(str(_chunked_log(tmp_path, settings)), "--queue", "--timeout", "0.2")


def test_no_wait_without_queue_is_refused(catalog: None, log_file: Path) -> None:
    with pytest.raises(CommandError, match="--no-wait only makes sense with --queue"):
        run(str(log_file), "--no-wait")


@pytest.fixture
def ingest_worker(transactional_db: None) -> Any:
    """A real Celery worker thread on the configured broker (Redis in CI, the embedded SQLite broker locally)."""
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30, loglevel="WARNING") as worker:
        yield worker


@pytest.mark.broker
def test_queue_through_a_real_worker_counts_what_a_local_run_counts(
    ingest_worker: Any, tmp_path: Path, settings: Any
) -> None:
    # given
    ensure_catalog()
    path = _chunked_log(tmp_path, settings)
    local = json.loads(run(str(path), "--json", "--source", "local"))
    # when the same file goes through the broker to the worker
    held = json.loads(run(str(path), "--queue", "--json", "--source", "queued", "--timeout", "120"))
    assert held["status"] == "awaiting_confirmation" and held["duplicate_of"] == local["batch_id"]
    assert f"already ingested as batch {local['batch_id']} of source local" in held["message"]
    confirm = ("--confirm-duplicate", str(held["batch_id"]), "--reason", "same file, second source")
    queued = json.loads(run(*confirm, "--queue", "--json", "--timeout", "120"))
    # then
    keys = ["status", "chunks_total", "chunks_done", "records_read", "records_parsed", "records_malformed"]
    keys += ["records_matched", "first_seen", "last_seen"]
    assert queued["chunks_total"] > 3
    assert {k: queued[k] for k in keys} == {k: local[k] for k in keys}
    assert queued["status"] == "done"
    usage = UsageRecord.objects.filter(batch_id=queued["batch_id"])
    assert usage.exists() and usage.count() == UsageRecord.objects.filter(batch_id=local["batch_id"]).count()
