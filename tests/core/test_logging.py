"""Structured logs (LOG_FORMAT=json): one JSON object per line, with the request id of a web request (from
X-Request-ID or generated, and returned in the response) and the task id and name of a Celery task."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from celery import shared_task
from django.conf import settings
from django.test import Client
from pythonjsonlogger.json import JsonFormatter

from core.log_context import LogContextFilter

ROOT = Path(__file__).resolve().parents[2]


@shared_task(name="tests.core.test_logging.log_something_task")
def log_something_task(word: str) -> None:
    logging.getLogger("aigov.test").warning("task says %s", word)


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """Root-logger output in the JSON format the settings configure for LOG_FORMAT=json (same formatter options and
    the same context filter), captured in memory."""
    options = {k: v for k, v in settings.LOGGING["formatters"]["json"].items() if k != "()"}
    assert settings.LOGGING["formatters"]["json"]["()"] == "pythonjsonlogger.json.JsonFormatter"
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(**options))
    handler.addFilter(LogContextFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)


def records(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.mark.django_db
def test_a_request_logs_json_lines_carrying_the_request_id_it_was_sent(client: Client, json_lines: io.StringIO) -> None:
    # when
    response = client.get("/no-such-page/", HTTP_X_REQUEST_ID="req-7f3a.42")
    # then
    assert response["X-Request-ID"] == "req-7f3a.42"
    (line,) = [r for r in records(json_lines) if r["logger"] == "django.request"]
    assert line["request_id"] == "req-7f3a.42"
    assert line["level"] == "WARNING"
    assert line["message"] == "Not Found: /no-such-page/"
    assert line["timestamp"].endswith("+00:00")


@pytest.mark.django_db
@pytest.mark.parametrize("sent", [None, "", "two words", "x" * 201, "new\nline"])
def test_a_request_without_a_usable_request_id_gets_a_generated_one(
    client: Client, json_lines: io.StringIO, sent: str | None
) -> None:
    # when
    headers = {} if sent is None else {"HTTP_X_REQUEST_ID": sent}
    response = client.get("/no-such-page/", **headers)
    # then
    generated = response["X-Request-ID"]
    assert len(generated) == 32 and generated != sent
    (line,) = [r for r in records(json_lines) if r["logger"] == "django.request"]
    assert line["request_id"] == generated


@pytest.mark.django_db
def test_each_request_gets_its_own_id_and_lines_after_it_carry_none(client: Client, json_lines: io.StringIO) -> None:
    # when
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    logging.getLogger("aigov.test").warning("after the requests")
    # then
    assert first != second
    (after,) = [r for r in records(json_lines) if r["message"] == "after the requests"]
    assert "request_id" not in after


def test_a_task_run_logs_its_task_id_and_name(json_lines: io.StringIO) -> None:
    # when
    result = log_something_task.apply(args=["hello"])
    logging.getLogger("aigov.test").warning("after the task")
    # then
    lines = records(json_lines)
    (line,) = [r for r in lines if r["message"] == "task says hello"]
    assert line["task_id"] == result.id
    assert line["task_name"] == "tests.core.test_logging.log_something_task"
    (after,) = [r for r in lines if r["message"] == "after the task"]
    assert "task_id" not in after


def _run_django(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in {"LOG_FORMAT", "DJANGO_SETTINGS_MODULE"}}
    environment.update({"DJANGO_SETTINGS_MODULE": "config.settings.test", "PYTHONPATH": str(ROOT), **env})
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_log_format_json_makes_every_line_of_a_process_a_json_object() -> None:
    # when
    result = _run_django(
        'import logging; logging.getLogger("aigov.test").error("plain %s", "words")', LOG_FORMAT="json"
    )
    # then
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines()]  # every line parses
    (line,) = [r for r in lines if r["logger"] == "aigov.test"]
    assert line["message"] == "plain words"
    assert line["level"] == "ERROR"
    assert {"timestamp", "level", "logger", "message"} <= set(line)


def test_the_default_log_format_is_text_and_an_unknown_one_stops_start_up() -> None:
    # when
    text = _run_django('import logging; logging.getLogger("aigov.test").error("plain")')
    bogus = _run_django("", LOG_FORMAT="xml")
    # then
    assert text.returncode == 0, text.stderr
    assert " ERROR aigov.test plain" in text.stderr
    assert not text.stderr.lstrip().startswith("{")
    assert bogus.returncode != 0
    assert "LOG_FORMAT must be text or json" in bogus.stderr
