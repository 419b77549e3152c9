"""What a log line is about: the web request (``request_id``) or the Celery task (``task_id``, ``task_name``) that
wrote it. Context variables set by :class:`core.middleware.RequestIdMiddleware` and the Celery task signals
(``config.celery``), and a logging filter (``LOGGING["filters"]``) that puts them on every record, so the JSON
formatter (``LOG_FORMAT=json``) writes them as fields. Plain Python: loaded while logging is configured, before the
apps."""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar, Token

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
_task: ContextVar[tuple[str, str] | None] = ContextVar("task", default=None)

#: an incoming X-Request-ID is kept when it is 1-200 visible ASCII characters (no spaces or control characters:
#: nothing that could split a log line or a response header); anything else is replaced by a generated id
_REQUEST_ID = re.compile(r"[\x21-\x7e]{1,200}")


def request_id_for(incoming: str | None) -> str:
    """The request id to use: the caller's ``X-Request-ID`` when well-formed, else a new random one."""
    if incoming and _REQUEST_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def request_id_set(request_id: str) -> None:
    """The request id of the request this thread now handles (until :func:`request_id_clear`)."""
    _request_id.set(request_id)


def request_id_clear(**_signal_kwargs: object) -> None:
    """The request is over: connected to Django's ``request_finished``, sent once the response was sent (after
    Django's own log line of an error response, which it writes after the middleware returned)."""
    _request_id.set(None)


def current_request_id() -> str | None:
    return _request_id.get()


def task_enter(*, task_id: str, task_name: str) -> Token[tuple[str, str] | None]:
    return _task.set((task_id, task_name))


def task_exit(token: Token[tuple[str, str] | None]) -> None:
    try:
        _task.reset(token)
    except ValueError:  # the task ended in another context than it started in (a green-thread pool): just clear it
        _task.set(None)


class LogContextFilter(logging.Filter):
    """Adds ``request_id`` (in a web request) and ``task_id``/``task_name`` (in a Celery task) to each record, only
    when there is one: outside both, records carry neither. Never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = _request_id.get()
        if request_id is not None and not hasattr(record, "request_id"):
            record.request_id = request_id
        task = _task.get()
        if task is not None and not hasattr(record, "task_id"):
            record.task_id, record.task_name = task
        return True
