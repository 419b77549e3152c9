"""Plain Django views that are not part of the REST API."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

from core.selectors import heartbeat_age
from core.tasks import HEARTBEAT_NAME


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers and compose: 200 when the database answers; reports the worker heartbeat age.

    The worker status is informative (``worker: stale``) rather than failing the web health check, so a stopped
    worker deployment does not take the web tier out of rotation.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    age = heartbeat_age(name=HEARTBEAT_NAME)
    worker = "never" if age is None else ("ok" if age <= settings.HEARTBEAT_STALE_AFTER else "stale")
    return JsonResponse(
        {
            "status": "ok",
            "database": "ok",
            "worker": worker,
            "worker_heartbeat_age_seconds": None if age is None else round(age.total_seconds(), 1),
        }
    )


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The 404 of a URL no route matches: under ``/api/`` the API's JSON error (what an API client can read, and
    what the published schema documents), elsewhere Django's page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "not_found", "detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)
