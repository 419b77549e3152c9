"""The Celery application. Configuration comes from Django settings (``CELERY_*``); routes from ``core.queues``."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery, signals
from kombu import Queue as KombuQueue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("aigov")
app.config_from_object("django.conf:settings", namespace="CELERY")


def _configure() -> None:
    from config.celery_schedule import BEAT_SCHEDULE, TASK_ROUTES
    from core.queues import Queue

    app.conf.task_queues = [KombuQueue(q.value, routing_key=q.value) for q in Queue]
    app.conf.task_routes = TASK_ROUTES
    app.conf.beat_schedule = BEAT_SCHEDULE


_configure()
app.autodiscover_tasks()


@signals.worker_init.connect
@signals.beat_init.connect
def _require_secret_key(**_kwargs: object) -> None:
    """A worker or beat without a signing key would write pseudonyms and signatures nobody can check later, and one
    with a pseudonym key derived from SECRET_KEY (DEBUG off) pseudonyms a SECRET_KEY rotation would break."""
    from config.startup import require_secret_key
    from discovery.checks import require_pseudonym_key

    require_secret_key()
    require_pseudonym_key()


#: the log-context tokens of the tasks running in this process, by task id (set before a task runs, reset after)
_task_log_tokens: dict[str, Any] = {}


@signals.task_prerun.connect
def _task_log_context_enter(task_id: str, task: Any, **_kwargs: object) -> None:
    """Log lines written while a task runs carry its ``task_id`` and ``task_name`` (see ``core.log_context``)."""
    from core.log_context import task_enter

    _task_log_tokens[task_id] = task_enter(task_id=task_id, task_name=task.name)


@signals.task_postrun.connect
def _task_log_context_exit(task_id: str, **_kwargs: object) -> None:
    from core.log_context import task_exit

    token = _task_log_tokens.pop(task_id, None)
    if token is not None:
        task_exit(token)
