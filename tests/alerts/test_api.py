"""Alerts API: role matrix (analysts triage, auditors and compliance officers read, charlie 403), triage actions,
filters, query budget, channels with masked secrets, outbox re-send, promotion, block list."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from alerts import services
from alerts.choices import AlertStatus
from alerts.models import Alert
from core.models import AuditLogEntry
from discovery.models import ServicePromotion
from notifications.choices import DeliveryStatus
from notifications.models import Channel, Delivery
from tests.alerts.factories import AlertRuleFactory, add_usage
from tests.notifications.factories import ChannelFactory

D0 = date(2026, 3, 2)
pytestmark = pytest.mark.usefixtures("catalog")
ROLES = [("alice", 200), ("audrey", 200), ("sam", 200), ("charlie", 403)]


def raise_alerts(*subjects: str) -> list[Alert]:
    AlertRuleFactory(key="unsanctioned")
    for subject in subjects or ("u1",):
        add_usage(subject, "deepseek", D0)
    services.alert_rules_evaluate(since=D0, until=D0, now=datetime(2026, 3, 2, 18, tzinfo=UTC))
    return list(Alert.objects.order_by("subject"))


@pytest.mark.parametrize(
    "url_name",
    [
        "alerts-api:alert-list",
        "alerts-api:alertrule-list",
        "notifications-api:channel-list",
        "alerts-api:silence-list",
        "notifications-api:delivery-list",
        "discovery-api:promotion-list",
    ],
)
@pytest.mark.parametrize(("persona", "status"), ROLES, indirect=["persona"])
def test_every_role_reads_alerts_and_charlie_is_refused(
    api: APIClient, persona: Any, status: int, url_name: str
) -> None:
    api.force_authenticate(persona)
    assert api.get(reverse(url_name)).status_code == status


@pytest.mark.parametrize(
    ("persona", "status"), [("sam", 200), ("alice", 403), ("audrey", 403), ("charlie", 403)], indirect=["persona"]
)
def test_only_security_analysts_triage(api: APIClient, persona: Any, status: int) -> None:
    # given
    (alert,) = raise_alerts()
    api.force_authenticate(persona)
    # when
    response = api.post(
        reverse("alerts-api:alert-transition", args=[alert.pk]), {"to": "acknowledged", "reason": "looking"}
    )
    # then
    assert response.status_code == status
    alert.refresh_from_db()
    assert alert.status == ("acknowledged" if status == 200 else "open")


def test_invalid_transition_is_409_with_a_stable_code(api: APIClient, sam: Any) -> None:
    (alert,) = raise_alerts()
    api.force_authenticate(sam)
    url = reverse("alerts-api:alert-transition", args=[alert.pk])
    refused = api.post(url, {"to": "resolved"})
    assert refused.status_code == 400 and "a reason is required" in refused.json()["reason"][0]
    assert api.post(url, {"to": "resolved", "reason": "blocked at the proxy"}).status_code == 200
    response = api.post(url, {"to": "acknowledged"})
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"


def test_assign_comment_and_history(api: APIClient, sam: Any) -> None:
    # given
    (alert,) = raise_alerts()
    api.force_authenticate(sam)
    # when
    assigned = api.post(reverse("alerts-api:alert-assign", args=[alert.pk]), {"assignee": sam.pk})
    commented = api.post(reverse("alerts-api:alert-comment", args=[alert.pk]), {"body": "user informed"})
    comments = api.get(reverse("alerts-api:alert-comments", args=[alert.pk]))
    history = api.get(reverse("alerts-api:alert-history", args=[alert.pk]))
    # then
    assert assigned.status_code == 200 and assigned.json()["assignee"] == sam.pk
    assert commented.status_code == 201
    assert [c["body"] for c in comments.json()] == ["user informed"]
    assert history.status_code == 200


def test_auditor_cannot_comment(api: APIClient, audrey: Any) -> None:
    (alert,) = raise_alerts()
    api.force_authenticate(audrey)
    assert api.post(reverse("alerts-api:alert-comment", args=[alert.pk]), {"body": "x"}).status_code == 403


def test_bulk_transition(api: APIClient, sam: Any) -> None:
    alerts = raise_alerts("u1", "u2", "u3")
    services.alert_transition(alert=alerts[0], to=AlertStatus.FALSE_POSITIVE, actor=sam, reason="test")
    api.force_authenticate(sam)
    response = api.post(
        reverse("alerts-api:alert-bulk"),
        {"ids": [a.pk for a in alerts], "to": "resolved", "reason": "blocked"},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert sorted(body["changed"]) == [alerts[1].pk, alerts[2].pk]
    assert list(body["skipped"]) == [str(alerts[0].pk)]
    assert AuditLogEntry.objects.filter(event_type="alerts.alert.transitioned", reason="blocked").count() == 2


def test_filters_and_query_budget(api: APIClient, audrey: Any, django_assert_max_num_queries: Any) -> None:
    # given
    alerts = raise_alerts("u1", "u2", "u3")
    Alert.objects.filter(pk=alerts[0].pk).update(status=AlertStatus.RESOLVED, last_seen=datetime.now(UTC))
    api.force_authenticate(audrey)
    url = reverse("alerts-api:alert-list")
    # when
    with django_assert_max_num_queries(8):
        everything = api.get(url).json()
    resolved = api.get(url, {"status": "resolved"}).json()
    open_high = api.get(url, {"status": "open", "severity": "high"}).json()
    by_service = api.get(url, {"service": "chatgpt"}).json()
    by_rule = api.get(url, {"rule": "unsanctioned"}).json()
    recent = api.get(url, {"max_age_days": 1}).json()
    old = api.get(url, {"min_age_days": 30}).json()
    # then
    assert everything["count"] == 3
    assert [a["subject"] for a in resolved["results"]] == ["u1"]
    assert open_high["count"] == 2
    assert by_service["count"] == 0
    assert by_rule["count"] == 3
    assert [a["subject"] for a in recent["results"]] == ["u1"]
    assert old["count"] == 2
    assert everything["results"][0]["rule_key"] == "unsanctioned"


@pytest.mark.parametrize(("persona", "status"), [("sam", 201), ("audrey", 403), ("alice", 403)], indirect=["persona"])
def test_channels_are_configured_by_analysts_and_secrets_masked(api: APIClient, persona: Any, status: int) -> None:
    api.force_authenticate(persona)
    response = api.post(
        reverse("notifications-api:channel-list"),
        {"name": "SIEM", "kind": "webhook", "config": {"url": "https://siem.example/hook", "secret": "top"}},
        format="json",
        HTTP_X_CHANGE_REASON="wire up the SIEM",
    )
    assert response.status_code == status
    if status == 201:
        assert response.json()["config"] == {"url": "https://siem.example/hook", "secret": "***"}
        assert Channel.objects.get().config["secret"] == "top"


def test_channel_config_is_validated(api: APIClient, sam: Any) -> None:
    api.force_authenticate(sam)
    response = api.post(
        reverse("notifications-api:channel-list"),
        {"name": "x", "kind": "webhook", "config": {"url": "https://x"}},
        format="json",
    )
    assert response.status_code == 400
    assert "secret" in str(response.json())


def test_rule_params_are_validated(api: APIClient, sam: Any) -> None:
    api.force_authenticate(sam)
    data = {"key": "vol", "name": "Volume", "kind": "upload_volume", "params": {"user_bytes": 5}}
    response = api.post(reverse("alerts-api:alertrule-list"), data, format="json")
    assert response.status_code == 400
    data["params"] = {"user_bytes_per_day": 5}
    assert api.post(reverse("alerts-api:alertrule-list"), data, format="json").status_code == 201


def test_silence_created_by_analyst(api: APIClient, sam: Any) -> None:
    api.force_authenticate(sam)
    until = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    response = api.post(reverse("alerts-api:silence-list"), {"subject": "u1", "until": until}, format="json")
    assert response.status_code == 201
    assert response.json()["created_by"] == sam.pk


@pytest.mark.parametrize(("persona", "status"), [("sam", 200), ("audrey", 403)], indirect=["persona"])
def test_dead_letter_resend(api: APIClient, persona: Any, status: int) -> None:
    # given
    ChannelFactory()
    raise_alerts()
    delivery = Delivery.objects.get()
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.DEAD, attempts=8, last_error="HTTP 500")
    api.force_authenticate(persona)
    # when
    response = api.post(reverse("notifications-api:delivery-resend", args=[delivery.pk]), {"reason": "fixed"})
    # then
    assert response.status_code == status
    delivery.refresh_from_db()
    assert delivery.status == (DeliveryStatus.PENDING if status == 200 else DeliveryStatus.DEAD)


@pytest.mark.parametrize(
    ("persona", "status"), [("alice", 201), ("sam", 403), ("audrey", 403), ("charlie", 403)], indirect=["persona"]
)
def test_promotion_needs_registry_write_permission(api: APIClient, persona: Any, status: int) -> None:
    (alert,) = raise_alerts()
    api.force_authenticate(persona)
    response = api.post(
        reverse("discovery-api:promotion-list"), {"service": "deepseek", "alert": alert.pk, "reason": "classify"}
    )
    assert response.status_code == status
    assert ServicePromotion.objects.count() == (1 if status == 201 else 0)
    if status == 201:
        assert response.json()["system_stage"] == "proposed"


@pytest.mark.parametrize(("persona", "status"), ROLES, indirect=["persona"])
def test_blocklist_download(api: APIClient, persona: Any, status: int) -> None:
    api.force_authenticate(persona)
    response = api.get(reverse("discovery-api:blocklist", args=["rpz"]))
    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"].startswith("text/plain")
        text = response.content.decode()
        assert "deepseek.com CNAME ." in text
        assert 'filename="aigov-rpz.zone"' in response["Content-Disposition"]


def test_blocklist_unknown_format(api: APIClient, sam: Any) -> None:
    api.force_authenticate(sam)
    assert api.get(reverse("discovery-api:blocklist", args=["hosts"])).status_code == 400
