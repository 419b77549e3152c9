"""Middleware of the whole service."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from core.log_context import request_id_for, request_id_set

#: the request header read and the response header written
REQUEST_ID_HEADER = "X-Request-ID"


class RequestIdMiddleware:
    """Gives each request an id: the caller's ``X-Request-ID`` (a load balancer's, a client's) when well-formed, else a
    generated one. Every log line written while the request is handled carries it (``request_id``, see
    :mod:`core.log_context`), and the response returns it in ``X-Request-ID``, so a user's report can be matched to
    the logs. First in ``MIDDLEWARE``, so the other middleware's log lines carry it too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_for(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id  # type: ignore[attr-defined]
        # Cleared on request_finished (core.apps), not when this returns: Django logs an error response ("Not Found:
        # ...") after the middleware chain, and that line must carry the id too.
        request_id_set(request_id)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response
