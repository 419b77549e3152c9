"""Celery beat's scheduler, and the liveness proof of the beat process itself.

django-celery-beat's :class:`DatabaseScheduler` keeps the schedule in the database and never writes the
``--schedule`` state file, so that file says nothing about whether beat runs. :class:`HeartbeatDatabaseScheduler`
touches ``BEAT_HEARTBEAT_FILE`` after every completed tick instead (a tick runs at least every
``max_interval`` = 5 seconds), and ``manage.py beat_healthcheck`` reads the file's age: fresh means the scheduler loop
is alive in this process. The database heartbeat row (``core.tasks.record_heartbeat_task``) proves more (beat *and*
a worker) and is what /healthz reports; it cannot tell which of the two stopped.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django_celery_beat.schedulers import DatabaseScheduler

logger = logging.getLogger(__name__)

#: seconds without a tick before beat counts as dead: ticks are at most 5 s apart (DatabaseScheduler.max_interval);
#: the margin covers a tick that waits on a slow database or broker
DEFAULT_MAX_AGE = 60


def beat_heartbeat_path() -> Path:
    return Path(settings.BEAT_HEARTBEAT_FILE)


def beat_heartbeat_touch(path: Path) -> None:
    """Record a tick now (the file's modification time)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(exist_ok=True)


def beat_heartbeat_age(path: Path, *, now: float | None = None) -> float | None:
    """Seconds since beat's last tick, or ``None`` when it never ticked (no file)."""
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        return None
    return max(0.0, (time.time() if now is None else now) - mtime)


class HeartbeatDatabaseScheduler(DatabaseScheduler):
    """The database scheduler (schedule editable in the admin) that also touches the beat heartbeat file per tick."""

    _heartbeat_failing = False

    def tick(self, *args: Any, **kwargs: Any) -> float:
        interval: float = super().tick(*args, **kwargs)
        try:
            beat_heartbeat_touch(beat_heartbeat_path())
        except OSError as exc:
            # not fatal to scheduling: the health check fails instead, which is what it is for (logged once)
            if not self._heartbeat_failing:
                logger.error("cannot write the beat heartbeat %s: %s", beat_heartbeat_path(), exc)
            self._heartbeat_failing = True
        else:
            self._heartbeat_failing = False
        return interval
