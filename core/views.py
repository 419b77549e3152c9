"""Plain Django views that are not part of the REST API."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.db import connection, transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.urls import reverse
from django.views import defaults

from core.monitoring import metrics_render
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


@transaction.non_atomic_requests  # read-only; one failing collector's query must not abort the others' transaction
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics of the whole service, computed from the database and the broker when scraped (see
    :mod:`core.monitoring`). Off (404) unless ``METRICS_TOKEN`` is set; then only for
    ``Authorization: Bearer <METRICS_TOKEN>`` (401 otherwise), compared in constant time."""
    token: str = settings.METRICS_TOKEN
    if not token:
        raise Http404("metrics are off: set METRICS_TOKEN")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        response = HttpResponse("401 Unauthorized: send Authorization: Bearer <METRICS_TOKEN>\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        response["Content-Type"] = "text/plain; charset=utf-8"
        return response
    body, content_type = metrics_render()
    response = HttpResponse(body, content_type=content_type)
    response["Cache-Control"] = "no-store"
    return response


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The 404 of a URL no route matches: under ``/api/`` the API's JSON error (what an API client can read, and
    what the published schema documents), elsewhere Django's page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "not_found", "detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def admin_moved_redirect(request: HttpRequest, app_label: str, model: str, rest: str = "") -> HttpResponse:
    """An admin page of a model that moved to another app (``/admin/<old app>/<model>/<rest>``) -> the same page
    under ``/admin/<app_label>/<model>/``, query string kept, so bookmarks and links in old notifications keep
    working. 301 for reads; 308 otherwise, so a form POST stays a POST."""
    target = f"{reverse('admin:index')}{app_label}/{model}/{rest}"
    if request.META.get("QUERY_STRING"):
        target = f"{target}?{request.META['QUERY_STRING']}"
    return HttpResponsePermanentRedirect(target, status=301 if request.method in ("GET", "HEAD") else 308)
