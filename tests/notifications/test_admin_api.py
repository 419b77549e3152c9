"""Channel topics and finding deliveries in the admin and the API, with the existing role permissions."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from audits.payloads import FINDING_TOPIC, AuditFindingPayload
from discovery.models import LogSource
from notifications import services as notification_services
from notifications.models import Channel, Delivery
from tests.notifications.factories import ChannelFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def finding_delivery(finding_payload: AuditFindingPayload) -> Delivery:
    ChannelFactory(name="GRC", topics=["audit_finding"])
    target = LogSource.objects.create(name="stand-in for a finding")
    (delivery_id,) = notification_services.notification_queue(
        topic=FINDING_TOPIC, event_key=finding_payload.event_id, message=finding_payload.to_message(), target=target
    )
    return Delivery.objects.get(pk=delivery_id)


# --- API -------------------------------------------------------------------------------------------------------


def test_api_channel_topics_default_to_alerts_and_can_subscribe_to_findings(api: APIClient, sam: Any) -> None:
    # given
    api.force_authenticate(sam)
    url = reverse("notifications-api:channel-list")
    # when
    plain = api.post(url, {"name": "SOC", "kind": "email", "config": {"to": ["soc@x.org"]}}, format="json")
    grc = api.post(
        url,
        {
            "name": "GRC",
            "kind": "email",
            "config": {"to": ["grc@x.org"]},
            "topics": ["audit_finding", "shadow_ai_alert", "audit_finding"],
        },
        format="json",
    )
    # then
    assert (plain.status_code, grc.status_code) == (201, 201)
    assert plain.json()["topics"] == ["shadow_ai_alert"]
    assert grc.json()["topics"] == ["shadow_ai_alert", "audit_finding"]
    assert Channel.objects.get(name="GRC").topics == ["shadow_ai_alert", "audit_finding"]


@pytest.mark.parametrize("topics", [[], ["pager"], "audit_finding"])
def test_api_refuses_bad_topics(api: APIClient, sam: Any, topics: Any) -> None:
    api.force_authenticate(sam)
    response = api.post(
        reverse("notifications-api:channel-list"),
        {"name": "x", "kind": "email", "config": {"to": ["a@b.c"]}, "topics": topics},
        format="json",
    )
    assert response.status_code == 400
    assert "topics" in response.json() or "topics" in str(response.json())


@pytest.mark.parametrize(("persona", "status"), [("sam", 200), ("alice", 403), ("audrey", 403)], indirect=["persona"])
def test_api_only_analysts_change_topics(api: APIClient, persona: Any, status: int) -> None:
    # given
    channel = ChannelFactory()
    api.force_authenticate(persona)
    # when
    response = api.patch(
        reverse("notifications-api:channel-detail", args=[channel.pk]), {"topics": ["audit_finding"]}, format="json"
    )
    # then
    assert response.status_code == status
    channel.refresh_from_db()
    assert channel.topics == (["audit_finding"] if status == 200 else ["shadow_ai_alert"])


def test_api_filters_channels_by_topic(api: APIClient, audrey: Any) -> None:
    # given
    ChannelFactory(name="alerts")
    ChannelFactory(name="findings", topics=["audit_finding"])
    ChannelFactory(name="both", topics=["shadow_ai_alert", "audit_finding"])
    api.force_authenticate(audrey)
    url = reverse("notifications-api:channel-list")
    # when
    findings = api.get(url, {"topic": "audit_finding"}).json()
    alerts = api.get(url, {"topic": "shadow_ai_alert"}).json()
    # then
    assert sorted(c["name"] for c in findings["results"]) == ["both", "findings"]
    assert sorted(c["name"] for c in alerts["results"]) == ["alerts", "both"]
    assert api.get(url, {"topic": "nope"}).status_code == 400


def test_api_lists_finding_deliveries_with_topic_event_and_target(
    api: APIClient, alice: Any, finding_delivery: Delivery
) -> None:
    # given
    api.force_authenticate(alice)
    url = reverse("notifications-api:delivery-list")
    # when
    listed = api.get(url, {"topic": "audit_finding"}).json()
    none = api.get(url, {"topic": "shadow_ai_alert"}).json()
    # then
    (row,) = listed["results"]
    assert row["topic"] == "audit_finding"
    assert "alert" not in row and row["recipients"] == 0  # generic: what it is about is the target
    assert row["event_key"] == "audits.run.41.1"
    assert row["title"].startswith("Fairness audit failing")
    assert (row["target_type"], row["target_id"]) == ("discovery.logsource", str(finding_delivery.target_object_id))
    assert row["channel_name"] == "GRC"
    assert none["count"] == 0
    about = api.get(url, {"target_type": "discovery.logsource", "target_id": finding_delivery.target_object_id})
    assert [r["id"] for r in about.json()["results"]] == [finding_delivery.pk]


# --- admin -----------------------------------------------------------------------------------------------------


def test_admin_channel_form_has_topic_checkboxes_and_saves_them(client: Client, sam: Any) -> None:
    # given
    client.force_login(sam)
    url = reverse("admin:notifications_channel_add")
    form = client.get(url).content.decode()
    assert 'type="checkbox" name="topics" value="audit_finding"' in form
    # when
    response = client.post(
        url,
        {
            "name": "GRC mail",
            "kind": "email",
            "config": '{"to": ["grc@x.org"]}',
            "enabled": "on",
            "min_severity": "low",
            "topics": ["audit_finding"],
        },
    )
    # then
    assert response.status_code == 302, response.content[:3000]
    assert Channel.objects.get(name="GRC mail").topics == ["audit_finding"]


def test_admin_channel_form_refuses_no_topic(client: Client, sam: Any) -> None:
    client.force_login(sam)
    response = client.post(
        reverse("admin:notifications_channel_add"),
        {"name": "x", "kind": "email", "config": '{"to": ["a@b.c"]}', "min_severity": "low"},
    )
    assert response.status_code == 200
    assert Channel.objects.count() == 0


def test_admin_channel_list_shows_and_filters_topics(client: Client, audrey: Any) -> None:
    # given
    ChannelFactory(name="alerts")
    ChannelFactory(name="findings", topics=["audit_finding"])
    client.force_login(audrey)
    # when
    response = client.get(reverse("admin:notifications_channel_changelist"), {"topic": "audit_finding"})
    # then
    assert [c.name for c in response.context["cl"].result_list] == ["findings"]
    assert "Fairness-audit findings" in response.content.decode()


def test_admin_delivery_pages_show_a_finding_delivery(client: Client, sam: Any, finding_delivery: Delivery) -> None:
    # given
    client.force_login(sam)
    # when
    changelist = client.get(reverse("admin:notifications_delivery_changelist"), {"topic__exact": "audit_finding"})
    page = client.get(reverse("admin:notifications_delivery_change", args=[finding_delivery.pk]))
    # then
    assert changelist.context["cl"].result_count == 1
    assert "Fairness audit failing: CV screening" in changelist.content.decode()
    content = page.content.decode()
    assert page.status_code == 200
    assert "audits.run.41.1" in content
    assert reverse("admin:discovery_logsource_change", args=[finding_delivery.target_object_id]) in content
    assert "&quot;finding_id&quot;: 7" in content or '"finding_id": 7' in content
