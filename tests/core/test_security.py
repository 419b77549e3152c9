"""Login throttling (django-axes) on the admin and API logins, the Content-Security-Policy header, the schema/docs
for signed-in users only, and periodic tasks restricted to the service's own schedule (issue 12, items 7 and 9)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib import admin
from django.core.management import call_command
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from audits.services import SCHEDULE_TASK
from config.celery_schedule import BEAT_SCHEDULE, PERIODIC_TASK_ALLOWLIST

LOGIN_URLS = ["/admin/login/", "/api-auth/login/"]


def _login(client: Client, url: str, username: str, password: str) -> Any:
    return client.post(url, {"username": username, "password": password, "next": "/admin/"})


def _logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def limit(settings: Any) -> int:
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    return 3


# --- item 7: login throttling ---------------------------------------------------------------------------------


@pytest.mark.parametrize("url", LOGIN_URLS)
def test_the_right_password_is_refused_after_too_many_wrong_ones(alice: Any, limit: int, url: str) -> None:
    # given
    client = Client()
    statuses = [_login(client, url, "alice", "wrong-password").status_code for _ in range(limit)]
    assert statuses == [200] * (limit - 1) + [429]  # the form again, then the lockout
    # when
    response = _login(client, url, "alice", "pw-alice")
    # then
    assert response.status_code == 429
    assert not _logged_in(client)


@pytest.mark.parametrize("url", LOGIN_URLS)
def test_the_right_password_logs_in_below_the_limit(alice: Any, limit: int, url: str) -> None:
    client = Client()
    for _ in range(limit - 1):
        _login(client, url, "alice", "wrong-password")
    assert _login(client, url, "alice", "pw-alice").status_code == 302
    assert _logged_in(client)


def test_a_lockout_ends_after_the_cool_off(alice: Any, limit: int) -> None:
    # given
    client = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(limit):
            _login(client, "/admin/login/", "alice", "wrong-password")
        assert _login(client, "/admin/login/", "alice", "pw-alice").status_code == 429
    # when
    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        response = _login(client, "/admin/login/", "alice", "pw-alice")
    # then
    assert response.status_code == 302 and _logged_in(client)


def test_an_admin_reset_lifts_a_lockout(alice: Any, limit: int) -> None:
    # given
    client = Client()
    for _ in range(limit):
        _login(client, "/api-auth/login/", "alice", "wrong-password")
    assert _login(client, "/api-auth/login/", "alice", "pw-alice").status_code == 429
    # when
    call_command("axes_reset_username", "alice")
    # then
    assert _login(client, "/api-auth/login/", "alice", "pw-alice").status_code == 302


def test_a_lockout_of_one_user_does_not_lock_out_another(alice: Any, sam: Any, limit: int) -> None:
    client = Client()
    for _ in range(limit):
        _login(client, "/admin/login/", "alice", "wrong-password")
    assert _login(client, "/admin/login/", "sam", "pw-sam").status_code == 302


def test_failure_limit_and_cool_off_come_from_the_environment() -> None:
    from django.conf import settings

    assert settings.AXES_FAILURE_LIMIT == 5 and timedelta(minutes=15) == settings.AXES_COOLOFF_TIME
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"


# --- item 9: Content-Security-Policy ------------------------------------------------------------------------------

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)


def _csp(response: Any) -> dict[str, str]:
    header = response.headers.get("Content-Security-Policy", "")
    return {part.split(" ", 1)[0]: part.partition(" ")[2] for part in (p.strip() for p in header.split(";")) if part}


@pytest.mark.parametrize(
    ("url", "signed_in"),
    [("/admin/login/", False), ("/api-auth/login/", False), ("/admin/", True), ("/api/docs/", True)],
)
def test_pages_carry_a_strict_content_security_policy_and_no_inline_script(
    client: Client, alice: Any, url: str, signed_in: bool
) -> None:
    # given
    if signed_in:
        client.force_login(alice)
    # when
    response = client.get(url)
    # then
    assert response.status_code == 200
    policy = _csp(response)
    assert policy["script-src"] == "'self'" and policy["default-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert not INLINE_SCRIPT.search(response.content.decode())


def test_swagger_ui_init_script_and_assets_are_served_locally(client: Client, alice: Any) -> None:
    client.force_login(alice)
    page = client.get("/api/docs/").content.decode()
    sources = re.findall(r'<script[^>]*\bsrc="([^"]+)"', page)
    assert sources and all(src.startswith("/") for src in sources)  # nothing from a CDN
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and b"SwaggerUIBundle" in script.content


# --- item 9: schema and docs for signed-in users only ---------------------------------------------------------------


def test_anonymous_users_get_no_schema_and_are_sent_to_the_login_page_for_the_docs(client: Client, db: None) -> None:
    assert client.get("/api/schema/").status_code in (401, 403)
    docs = client.get("/api/docs/")
    assert docs.status_code == 302 and docs.headers["Location"].startswith(reverse("rest_framework:login"))
    assert client.get("/api/docs/?script=").status_code == 302


def test_signed_in_users_read_the_schema_and_the_docs(client: Client, audrey: Any) -> None:
    client.force_login(audrey)
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200


# --- item 9: periodic tasks restricted to the service's own schedule -------------------------------------------------


def _periodic_task_form(user: Any, task: str, interval: IntervalSchedule) -> Any:
    model_admin = admin.site._registry[PeriodicTask]
    request = RequestFactory().get("/admin/")
    request.user = user
    form_class = model_admin.get_form(request)
    data = {"name": f"run {task}", "regtask": "", "task": task, "interval": interval.pk, "enabled": "on"}
    data |= {"args": "[]", "kwargs": "{}", "queue": "", "exchange": "", "routing_key": "", "headers": "{}"}
    data |= {"priority": "", "expire_seconds": "", "description": "", "start_time": "", "expires": ""}
    return form_class(data=data)


@pytest.fixture
def interval(db: None) -> IntervalSchedule:
    return IntervalSchedule.objects.create(every=10, period=IntervalSchedule.MINUTES)


def test_the_allow_list_is_the_beat_schedule_plus_the_audit_slot_task() -> None:
    assert {entry["task"] for entry in BEAT_SCHEDULE.values()} | {SCHEDULE_TASK} == PERIODIC_TASK_ALLOWLIST


def test_a_compliance_officer_cannot_schedule_an_arbitrary_registered_task(
    alice: Any, interval: IntervalSchedule
) -> None:
    form = _periodic_task_form(alice, "discovery.tasks.ingest_log_chunk_task", interval)
    assert not form.is_valid()
    assert "task" in form.errors


def test_a_compliance_officer_schedules_one_of_the_service_s_periodic_tasks(
    alice: Any, interval: IntervalSchedule
) -> None:
    form = _periodic_task_form(alice, "discovery.tasks.purge_discovery_detail_task", interval)
    assert form.is_valid(), form.errors


def test_the_registered_task_choices_offer_only_the_allow_list(client: Client, alice: Any) -> None:
    client.force_login(alice)
    page = client.get(reverse("admin:django_celery_beat_periodictask_add")).content.decode()
    offered = set(re.findall(r'<option value="([\w.]+_task)"', page))
    assert offered and offered <= PERIODIC_TASK_ALLOWLIST
    assert "discovery.tasks.ingest_log_chunk_task" not in page


def test_a_superuser_may_schedule_any_task(django_user_model: Any, interval: IntervalSchedule) -> None:
    root = django_user_model.objects.create_superuser("root", "root@example.com", "pw-root-123456")
    form = _periodic_task_form(root, "discovery.tasks.ingest_log_chunk_task", interval)
    assert form.is_valid(), form.errors
