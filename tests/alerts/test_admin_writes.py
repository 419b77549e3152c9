"""Every admin write of an alerting or notification object goes through its service: the audit-log row and the
history's change reason are the ones the API would leave (real POSTs to the admin pages, as a security analyst)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.test import Client
from django.urls import reverse

from alerts.models import AlertRule, Silence
from core.models import AuditLogEntry
from notifications.models import Channel
from tests.admin_forms import page_form_data
from tests.alerts.factories import AlertRuleFactory
from tests.notifications.factories import ChannelFactory

pytestmark = pytest.mark.django_db
REASON = "quarterly review"
DELETE_REASON = "deleted in the admin"


def assert_audited(event_type: str, obj: models.Model, actor: Any, reason: str) -> AuditLogEntry:
    entry = AuditLogEntry.objects.get(
        event_type=event_type,
        target_content_type=ContentType.objects.get_for_model(type(obj)),
        target_object_id=str(obj.pk),
    )
    assert (entry.acting_user, entry.reason) == (actor, reason)
    history = type(obj).history.filter(id=obj.pk).order_by("-history_id").first()  # type: ignore[attr-defined]
    assert history.history_change_reason == reason
    return entry


@pytest.fixture
def analyst(client: Client, sam: Any) -> Client:
    client.force_login(sam)
    return client


def change(client: Client, name: str, obj: models.Model, **values: Any) -> None:
    url = reverse(f"admin:{name}_change", args=[obj.pk])
    data = {**page_form_data(client.get(url)), **values, "change_reason": REASON}
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]


def delete(client: Client, name: str, obj: models.Model) -> None:
    response = client.post(reverse(f"admin:{name}_delete", args=[obj.pk]), {"post": "yes"})
    assert response.status_code == 302


def bulk_delete(client: Client, name: str, objs: list[models.Model]) -> None:
    response = client.post(
        reverse(f"admin:{name}_changelist"),
        {"action": "delete_selected", "post": "yes", "_selected_action": [str(o.pk) for o in objs]},
    )
    assert response.status_code == 302


# --- alert rules ---------------------------------------------------------------------------------------------------


def test_alert_rule_add_is_audited(analyst: Client, sam: Any) -> None:
    channel = ChannelFactory(name="soc")
    data = {
        "key": "big-uploads",
        "name": "Big uploads",
        "kind": "large_upload",
        "severity": "high",
        "enabled": "on",
        "params": "{}",
        "window_hours": "24",
        "repeat_interval_hours": "24",
        "channels": [str(channel.pk)],
        "change_reason": REASON,
    }
    assert analyst.post(reverse("admin:alerts_alertrule_add"), data).status_code == 302
    rule = AlertRule.objects.get(key="big-uploads")
    entry = assert_audited("alerts.alert_rule.created", rule, sam, REASON)
    assert entry.extra_data["channels"] == [channel.pk] and list(rule.channels.all()) == [channel]


def test_alert_rule_change_of_severity_and_channels_is_audited(analyst: Client, sam: Any) -> None:
    rule = AlertRuleFactory(severity="medium")
    channel = ChannelFactory(name="siem")
    change(analyst, "alerts_alertrule", rule, severity="critical", channels=[str(channel.pk)])
    rule.refresh_from_db()
    entry = assert_audited("alerts.alert_rule.updated", rule, sam, REASON)
    assert entry.extra_data["fields"] == ["channels", "severity"]
    assert (rule.severity, list(rule.channels.all())) == ("critical", [channel])


@pytest.mark.parametrize("bulk", [False, True], ids=["page", "bulk action"])
def test_alert_rule_delete_is_audited(analyst: Client, sam: Any, bulk: bool) -> None:
    rule = AlertRuleFactory()
    bulk_delete(analyst, "alerts_alertrule", [rule]) if bulk else delete(analyst, "alerts_alertrule", rule)
    assert not AlertRule.objects.filter(pk=rule.pk).exists()
    entry = AuditLogEntry.objects.get(event_type="alerts.alert_rule.deleted", target_object_id=str(rule.pk))
    assert (entry.acting_user, entry.reason) == (sam, DELETE_REASON)


# --- silences ------------------------------------------------------------------------------------------------------


def test_silence_add_is_audited_with_its_author(analyst: Client, sam: Any) -> None:
    data = {
        "subject": "PSEUDO1",
        "until_0": "2030-01-01",
        "until_1": "00:00:00",
        "reason": "on leave",
        "change_reason": REASON,
    }
    assert analyst.post(reverse("admin:alerts_silence_add"), data).status_code == 302
    silence = Silence.objects.get(subject="PSEUDO1")
    assert silence.created_by == sam
    assert_audited("alerts.silence.created", silence, sam, REASON)


def test_silence_change_and_delete_are_audited(analyst: Client, sam: Any) -> None:
    silence = Silence.objects.create(subject="PSEUDO2", until=datetime(2030, 1, 1, tzinfo=UTC))
    change(analyst, "alerts_silence", silence, until_0="2029-06-01", until_1="00:00:00")
    silence.refresh_from_db()
    assert silence.until.date().isoformat() == "2029-06-01"
    assert assert_audited("alerts.silence.updated", silence, sam, REASON).extra_data["fields"] == ["until"]
    delete(analyst, "alerts_silence", silence)
    entry = AuditLogEntry.objects.get(event_type="alerts.silence.deleted", target_object_id=str(silence.pk))
    assert (entry.acting_user, entry.reason) == (sam, DELETE_REASON)


# --- channels ------------------------------------------------------------------------------------------------------


def test_channel_add_is_audited(analyst: Client, sam: Any) -> None:
    data = {
        "name": "GRC mail",
        "kind": "email",
        "config": '{"to": ["grc@example.com"]}',
        "enabled": "on",
        "min_severity": "low",
        "topics": ["audit_finding", "obligation_reminder"],
        "change_reason": REASON,
    }
    response = analyst.post(reverse("admin:notifications_channel_add"), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    channel = Channel.objects.get(name="GRC mail")
    assert channel.topics == ["audit_finding", "obligation_reminder"]
    assert_audited("notifications.channel.created", channel, sam, REASON)


def test_channel_secret_rotation_is_audited_without_the_secret(analyst: Client, sam: Any) -> None:
    channel = ChannelFactory(kind="webhook", config={"url": "https://siem.example/hook", "secret": "old-secret"})
    change(analyst, "notifications_channel", channel, secret_value="new-secret")
    channel.refresh_from_db()
    assert channel.config["secret"] == "new-secret"
    entry = assert_audited("notifications.channel.updated", channel, sam, REASON)
    assert entry.extra_data["fields"] == ["config"] and "new-secret" not in str(entry.extra_data)


@pytest.mark.parametrize("bulk", [False, True], ids=["page", "bulk action"])
def test_channel_delete_is_audited(analyst: Client, sam: Any, bulk: bool) -> None:
    channel = ChannelFactory()
    if bulk:
        bulk_delete(analyst, "notifications_channel", [channel])
    else:
        delete(analyst, "notifications_channel", channel)
    assert not Channel.objects.filter(pk=channel.pk).exists()
    entry = AuditLogEntry.objects.get(event_type="notifications.channel.deleted", target_object_id=str(channel.pk))
    assert (entry.acting_user, entry.reason) == (sam, DELETE_REASON)
