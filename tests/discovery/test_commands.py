"""Commands: ingest_logs (--json keys and values, duplicates, errors), and the demo loader's idempotency."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from discovery import demo
from discovery.models import LogBatch, LogSource, UsageRecord
from tests.discovery.factories import squid_bytes


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
