"""Beat's own liveness: the scheduler touches BEAT_HEARTBEAT_FILE per tick; `manage.py beat_healthcheck` reads it."""

from __future__ import annotations

import os
import time
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django_celery_beat.schedulers import DatabaseScheduler

from config.celery import app
from core.beat import HeartbeatDatabaseScheduler, beat_heartbeat_age


@pytest.fixture
def heartbeat(tmp_path: Path, settings: Any) -> Path:
    path = tmp_path / "beat" / "heartbeat"
    settings.BEAT_HEARTBEAT_FILE = path
    return path


def test_each_tick_touches_the_heartbeat_file(heartbeat: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # given: the database scheduler's own tick stubbed (it would send due tasks)
    monkeypatch.setattr(DatabaseScheduler, "tick", lambda self, *a, **k: 4.5)
    scheduler = HeartbeatDatabaseScheduler(app=app, lazy=True)
    # when
    interval = scheduler.tick()
    # then
    assert interval == 4.5
    age = beat_heartbeat_age(heartbeat)
    assert age is not None and age < 5


def test_a_tick_that_raises_does_not_touch_the_file(heartbeat: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # given
    def broken(self: object, *args: object, **kwargs: object) -> float:
        raise RuntimeError("scheduler broke")

    monkeypatch.setattr(DatabaseScheduler, "tick", broken)
    # when
    with pytest.raises(RuntimeError):
        HeartbeatDatabaseScheduler(app=app, lazy=True).tick()
    # then
    assert not heartbeat.exists()


def test_an_unwritable_heartbeat_does_not_stop_scheduling(
    tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: the heartbeat's directory is a file
    (tmp_path / "not-a-dir").write_text("")
    settings.BEAT_HEARTBEAT_FILE = tmp_path / "not-a-dir" / "heartbeat"
    monkeypatch.setattr(DatabaseScheduler, "tick", lambda self, *a, **k: 5.0)
    # then
    assert HeartbeatDatabaseScheduler(app=app, lazy=True).tick() == 5.0


def test_healthcheck_passes_on_a_fresh_heartbeat(heartbeat: Path) -> None:
    # given
    heartbeat.parent.mkdir(parents=True)
    heartbeat.touch()
    out = StringIO()
    # when
    call_command("beat_healthcheck", stdout=out)
    # then
    assert out.getvalue().startswith("beat ok: last tick")


def test_healthcheck_fails_on_a_stale_heartbeat(heartbeat: Path) -> None:
    # given: last tick 61 s ago
    heartbeat.parent.mkdir(parents=True)
    heartbeat.touch()
    old = time.time() - 61
    os.utime(heartbeat, (old, old))
    # then
    with pytest.raises(CommandError, match=r"beat last ticked 61s ago \(more than 60s\)"):
        call_command("beat_healthcheck")
    call_command("beat_healthcheck", "--max-age", "120", stdout=StringIO())


def test_healthcheck_fails_when_beat_never_ticked(heartbeat: Path) -> None:
    with pytest.raises(CommandError, match="beat has not ticked: no heartbeat file"):
        call_command("beat_healthcheck")
