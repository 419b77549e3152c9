"""The Celery application. Configuration comes from Django settings (``CELERY_*``); routes from ``core.queues``."""

from __future__ import annotations

import os

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
