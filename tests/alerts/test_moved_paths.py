"""What clients and bookmarks depend on keeps working after alerting and the outbox left the discovery app: the old
API paths (deprecated aliases of the same views), the old admin URLs (redirects), and the links in notifications
sent before (which point at the old admin pages)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from alerts import services
from alerts.models import Alert, Silence
from notifications.models import Delivery
from tests.alerts.factories import AlertRuleFactory, add_usage
from tests.notifications.factories import ChannelFactory

pytestmark = pytest.mark.usefixtures("catalog")
D0 = date(2026, 3, 2)

#: old alias -> new path
MOVED = {
    "/api/v1/discovery/alert-rules/": "/api/v1/alerts/rules/",
    "/api/v1/discovery/alerts/": "/api/v1/alerts/alerts/",
    "/api/v1/discovery/silences/": "/api/v1/alerts/silences/",
    "/api/v1/discovery/channels/": "/api/v1/notifications/channels/",
    "/api/v1/discovery/deliveries/": "/api/v1/notifications/deliveries/",
}


@pytest.fixture
def alert() -> Alert:
    AlertRuleFactory(key="unsanctioned")
    ChannelFactory(name="soc")
    add_usage("u1", "deepseek", D0)
    services.alert_rules_evaluate(since=D0, until=D0, now=datetime(2026, 3, 2, 18, tzinfo=UTC))
    Silence.objects.create(subject="u2", until=datetime(2030, 1, 1, tzinfo=UTC), reason="on leave")
    return Alert.objects.get()


def api_as(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize(("old", "new"), sorted(MOVED.items()))
def test_the_old_api_paths_answer_like_the_new_ones(alert: Alert, audrey: Any, old: str, new: str) -> None:
    # when
    before, after = api_as(audrey).get(old), api_as(audrey).get(new)
    # then
    assert before.status_code == after.status_code == 200
    assert before.json() == after.json() and before.json()["count"] >= 1


def test_triage_through_the_old_path_keeps_its_permissions(alert: Alert, sam: Any, audrey: Any) -> None:
    # when
    refused = api_as(audrey).post(f"/api/v1/discovery/alerts/{alert.pk}/transition/", {"to": "acknowledged"})
    done = api_as(sam).post(f"/api/v1/discovery/alerts/{alert.pk}/transition/", {"to": "acknowledged"})
    # then
    assert (refused.status_code, done.status_code) == (403, 200)
    alert.refresh_from_db()
    assert alert.status == "acknowledged"


def test_a_delivery_resent_through_the_old_path(alert: Alert, sam: Any) -> None:
    delivery = Delivery.objects.get()
    Delivery.objects.filter(pk=delivery.pk).update(status="dead")
    response = api_as(sam).post(f"/api/v1/discovery/deliveries/{delivery.pk}/resend/", {"reason": "fixed"})
    assert response.status_code == 200 and response.json()["status"] == "pending"


def test_the_old_paths_are_deprecated_in_the_schema_and_the_new_ones_are_not() -> None:
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    for old, new in MOVED.items():
        assert paths[old]["get"].get("deprecated") is True, old
        assert not paths[new]["get"].get("deprecated"), new
    assert paths["/api/v1/discovery/alerts/{id}/transition/"]["post"].get("deprecated") is True
    assert not paths["/api/v1/discovery/promotions/"]["get"].get("deprecated")  # promotions stayed in discovery


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/admin/discovery/alert/", "/admin/alerts/alert/"),
        ("/admin/discovery/alert/12/change/", "/admin/alerts/alert/12/change/"),
        ("/admin/discovery/alert/?status__exact=open", "/admin/alerts/alert/?status__exact=open"),
        ("/admin/discovery/alertrule/3/change/", "/admin/alerts/alertrule/3/change/"),
        ("/admin/discovery/silence/add/", "/admin/alerts/silence/add/"),
        ("/admin/discovery/channel/", "/admin/notifications/channel/"),
        ("/admin/discovery/delivery/9/change/", "/admin/notifications/delivery/9/change/"),
    ],
)
def test_old_admin_bookmarks_redirect(old: str, new: str) -> None:
    response = Client().get(old)
    assert (response.status_code, response["Location"]) == (301, new)


def test_an_old_admin_form_post_is_redirected_as_a_post() -> None:
    response = Client().post("/admin/discovery/alert/", {"action": "mark_resolved"})
    assert (response.status_code, response["Location"]) == (308, "/admin/alerts/alert/")


def test_the_link_of_an_old_notification_opens_the_alert(alert: Alert, sam: Any) -> None:
    # given: a notification sent before the move linked the discovery admin page
    client = Client()
    client.force_login(sam)
    # when
    response = client.get(f"/admin/discovery/alert/{alert.pk}/change/", follow=True)
    # then
    assert response.redirect_chain == [(f"/admin/alerts/alert/{alert.pk}/change/", 301)]
    assert response.status_code == 200 and alert.summary in response.content.decode()


def test_other_discovery_admin_pages_are_not_redirected(sam: Any) -> None:
    client = Client()
    client.force_login(sam)
    assert client.get("/admin/discovery/logsource/").status_code == 200
