"""Admin: alert pages per role, bulk triage actions, comments, dead-letter re-send, promotion, block-list download."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from alerts import services
from alerts.choices import AlertStatus
from alerts.models import Alert
from discovery.choices import SubjectKind
from discovery.models import AIService, Pseudonym, ServicePromotion
from notifications.choices import DeliveryStatus
from notifications.models import Delivery
from tests.alerts.factories import AlertRuleFactory, add_usage
from tests.notifications.factories import ChannelFactory

D0 = date(2026, 3, 2)
pytestmark = pytest.mark.usefixtures("catalog")
PAGES = [
    "admin:alerts_alert_changelist",
    "admin:alerts_alertrule_changelist",
    "admin:notifications_channel_changelist",
    "admin:alerts_silence_changelist",
    "admin:notifications_delivery_changelist",
    "admin:discovery_servicepromotion_changelist",
]


def raise_alerts(*subjects: str) -> list[Alert]:
    AlertRuleFactory(key="unsanctioned")
    ChannelFactory()
    for subject in subjects or ("u1",):
        add_usage(subject, "deepseek", D0)
    services.alert_rules_evaluate(since=D0, until=D0, now=datetime(2026, 3, 2, 18, tzinfo=UTC))
    return list(Alert.objects.order_by("subject"))


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize(
    ("persona", "status"), [("sam", 200), ("audrey", 200), ("alice", 200), ("charlie", 403)], indirect=["persona"]
)
def test_alert_pages_per_role(client: Client, persona: Any, status: int, page: str) -> None:
    raise_alerts()
    client.force_login(persona)
    assert client.get(reverse(page)).status_code == status


def test_alert_change_page_renders_with_comments_and_deliveries(client: Client, sam: Any) -> None:
    (alert,) = raise_alerts()
    client.force_login(sam)
    response = client.get(reverse("admin:alerts_alert_change", args=[alert.pk]))
    assert response.status_code == 200
    assert b"Deliveries" in response.content or b"deliveries" in response.content


#: where each model's admin lives since alerting and the outbox left discovery
APP_OF = {"alert": "alerts", "alertrule": "alerts", "silence": "alerts", "delivery": "notifications"}
APP_OF |= {"channel": "notifications", "servicepromotion": "discovery", "aiservice": "discovery"}


def _action(client: Client, action: str, ids: list[int], model: str = "alert") -> Any:
    return client.post(
        reverse(f"admin:{APP_OF[model]}_{model}_changelist"),
        {"action": action, "_selected_action": [str(i) for i in ids]},
        follow=True,
    )


def test_analyst_bulk_acknowledges_and_resolves(client: Client, sam: Any) -> None:
    # given
    alerts = raise_alerts("u1", "u2")
    client.force_login(sam)
    # when
    _action(client, "mark_acknowledged", [a.pk for a in alerts])
    client.post(
        reverse("admin:alerts_alert_changelist"),
        {"action": "mark_resolved", "_selected_action": [str(alerts[0].pk)], "apply_reason": "1", "reason": "blocked"},
    )
    _action(client, "assign_to_me", [alerts[1].pk])
    # then
    statuses = dict(Alert.objects.values_list("subject", "status"))
    assert statuses == {"u1": AlertStatus.RESOLVED, "u2": AlertStatus.ACKNOWLEDGED}
    assert Alert.objects.get(subject="u2").assignee == sam


def test_auditor_has_no_triage_actions(client: Client, audrey: Any) -> None:
    (alert,) = raise_alerts()
    client.force_login(audrey)
    response = client.get(reverse("admin:alerts_alert_changelist"))
    assert b"mark_acknowledged" not in response.content
    _action(client, "mark_acknowledged", [alert.pk])
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN


#: the form prefix of the alert's notifications (a generic inline of the outbox rows about it)
DELIVERIES = "notifications-delivery-target_content_type-target_object_id"


def test_comment_from_the_change_form(client: Client, sam: Any) -> None:
    (alert,) = raise_alerts()
    client.force_login(sam)
    prefix = "comments"
    response = client.post(
        reverse("admin:alerts_alert_change", args=[alert.pk]),
        {
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "1000",
            f"{prefix}-0-body": "asked the user to stop",
            f"{prefix}-0-alert": str(alert.pk),
            f"{DELIVERIES}-TOTAL_FORMS": "1",
            f"{DELIVERIES}-INITIAL_FORMS": "1",
            f"{DELIVERIES}-MIN_NUM_FORMS": "0",
            f"{DELIVERIES}-MAX_NUM_FORMS": "1000",
            f"{DELIVERIES}-0-id": str(Delivery.objects.get().pk),
        },
    )
    assert response.status_code == 302, response.content[:2000]
    comment = alert.comments.get()
    assert (comment.body, comment.author) == ("asked the user to stop", sam)


def test_dead_letter_resend_action(client: Client, sam: Any) -> None:
    raise_alerts()
    delivery = Delivery.objects.get()
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.DEAD, attempts=8)
    client.force_login(sam)
    response = client.get(reverse("admin:notifications_delivery_changelist") + "?status__exact=dead")
    assert b"1 delivery" in response.content or response.context["cl"].result_count == 1
    _action(client, "resend", [delivery.pk], model="delivery")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 0)


def test_compliance_officer_promotes_from_an_alert(client: Client, alice: Any, sam: Any) -> None:
    # given
    alerts = raise_alerts("u1", "u2")
    # when: the analyst cannot (no registry write), the compliance officer can
    client.force_login(sam)
    assert b"promote_service" not in client.get(reverse("admin:alerts_alert_changelist")).content
    client.force_login(alice)
    _action(client, "promote_service", [a.pk for a in alerts])
    # then: one system for the one service
    promotion = ServicePromotion.objects.get()
    assert promotion.service.slug == "deepseek"
    assert promotion.promoted_by == alice


@pytest.mark.parametrize("fmt", ["plain", "squid", "panos", "rpz"])
def test_blocklist_download_from_admin(client: Client, audrey: Any, fmt: str) -> None:
    client.force_login(audrey)
    response = client.get(reverse("admin:alerts_alert_blocklist", args=[fmt]))
    assert response.status_code == 200
    assert b"deepseek.com" in response.content


def test_changelist_links_the_block_lists(client: Client, sam: Any) -> None:
    client.force_login(sam)
    content = client.get(reverse("admin:alerts_alert_changelist")).content
    assert reverse("admin:alerts_alert_blocklist", args=["squid"]).encode() in content


def test_an_alert_is_titled_by_rule_service_name_subject_and_day(client: Client, sam: Any) -> None:
    (alert,) = raise_alerts("u1")
    client.force_login(sam)
    html = client.get(reverse("admin:alerts_alert_change", args=[alert.pk])).content.decode()
    title = f"{alert.rule.name}: {alert.service.name}, user u1, 2026-03-02"
    assert str(alert) == title and title in html
    assert f"/ {alert.service_id} @" not in html


def test_the_alert_page_has_triage_buttons_and_closing_asks_for_a_reason(client: Client, sam: Any) -> None:
    # given an open alert's page
    (alert,) = raise_alerts()
    client.force_login(sam)
    page = client.get(reverse("admin:alerts_alert_change", args=[alert.pk])).content.decode()
    triage = reverse("admin:alerts_alert_triage", args=[alert.pk])
    assert f'action="{triage}"' in page
    for status in ("acknowledged", "resolved", "false_positive"):
        assert f'name="to" value="{status}"' in page
    assert 'name="to" value="open"' not in page  # not a transition from open
    # when resolving without a reason, then with one
    refused = client.post(triage, {"to": "resolved", "reason": "  "}, follow=True)
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN
    assert "a reason is required" in refused.content.decode().lower()
    client.post(triage, {"to": "resolved", "reason": "blocked at the proxy"})
    # then
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED
    assert alert.history.first().history_change_reason == "blocked at the proxy"
    reopen = client.get(reverse("admin:alerts_alert_change", args=[alert.pk])).content.decode()
    assert 'name="to" value="open"' in reopen and 'name="to" value="resolved"' not in reopen


def test_an_auditor_sees_no_triage_buttons_and_cannot_post_them(client: Client, audrey: Any) -> None:
    (alert,) = raise_alerts()
    client.force_login(audrey)
    page = client.get(reverse("admin:alerts_alert_change", args=[alert.pk])).content.decode()
    assert 'name="to"' not in page
    response = client.post(reverse("admin:alerts_alert_triage", args=[alert.pk]), {"to": "resolved", "reason": "x"})
    alert.refresh_from_db()
    assert response.status_code == 403 and alert.status == AlertStatus.OPEN


def test_bulk_resolve_and_false_positive_ask_for_a_reason_first(client: Client, sam: Any) -> None:
    # given
    alerts = raise_alerts("u1", "u2")
    client.force_login(sam)
    ids = [str(a.pk) for a in alerts]
    changelist = reverse("admin:alerts_alert_changelist")
    # when the action is chosen, an intermediate page asks why, and nothing changes yet
    page = client.post(changelist, {"action": "mark_false_positive", "_selected_action": ids})
    assert page.status_code == 200 and "Mark false positive: why?" in page.content.decode()
    assert set(Alert.objects.values_list("status", flat=True)) == {AlertStatus.OPEN}
    # an empty reason is refused on that page
    again = client.post(changelist, {"action": "mark_false_positive", "_selected_action": ids, "apply_reason": "1"})
    assert "This field is required" in again.content.decode()
    assert set(Alert.objects.values_list("status", flat=True)) == {AlertStatus.OPEN}
    # then with a reason, every selected alert changes, with that reason in its history
    client.post(
        changelist,
        {"action": "mark_false_positive", "_selected_action": ids, "apply_reason": "1", "reason": "CI test traffic"},
    )
    assert set(Alert.objects.values_list("status", flat=True)) == {AlertStatus.FALSE_POSITIVE}
    assert {a.history.first().history_change_reason for a in Alert.objects.all()} == {"CI test traffic"}


def test_the_alert_page_links_to_re_identification_for_those_who_may(client: Client, sam: Any, audrey: Any) -> None:
    # given an alert about a pseudonymised user
    (alert,) = raise_alerts()
    record = Pseudonym.objects.create(
        pseudonym=alert.subject, key_version=1, kind=SubjectKind.USER, identity_encrypted=b"sealed"
    )
    url = reverse("admin:discovery_pseudonym_reidentify", args=[record.pk])
    page = reverse("admin:alerts_alert_change", args=[alert.pk])
    # then the security analyst (who holds the permission) gets the link, the auditor does not
    client.force_login(sam)
    assert sam.has_perm("discovery.reidentify_pseudonym") and url in client.get(page).content.decode()
    client.force_login(audrey)
    assert url not in client.get(page).content.decode()


def test_the_service_filter_lists_the_services_alerts_are_about_not_the_catalogue(client: Client, sam: Any) -> None:
    # given alerts about two services (the filter shows from two choices on) of a catalogue of hundreds
    AlertRuleFactory(key="unsanctioned")
    ChannelFactory()
    add_usage("u1", "deepseek", D0)
    add_usage("u2", "chatgpt", D0, policy="unsanctioned")
    services.alert_rules_evaluate(since=D0, until=D0, now=datetime(2026, 3, 2, 18, tzinfo=UTC))
    alerted = set(Alert.objects.values_list("service_id", flat=True))
    assert len(alerted) == 2
    client.force_login(sam)
    # when
    html = client.get(reverse("admin:alerts_alert_changelist")).content.decode()
    # then
    for pk in alerted:
        assert f"service__id__exact={pk}" in html
    others = AIService.objects.exclude(pk__in=alerted).values_list("pk", flat=True)
    assert len(others) > 100 and not any(f'service__id__exact={pk}"' in html for pk in others)
