"""The move of alerting and the outbox out of discovery keeps the data, the routing, the permissions, the audit-log
links and the event names.

Data is written through the models of the schema before the move (``discovery.0011``, no alerts or notifications
app) and read back through ``alerts.models`` and ``notifications.models`` after migrating forward.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.apps.registry import Apps
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from alerts.models import Alert, AlertRule
from alerts.services import channels_for
from core.models import AuditLogEntry
from notifications.models import Channel, Delivery

BEFORE_MOVE = [("discovery", "0011_content_dedup"), ("core", "0004_audit_event_types_one_style")]
MOVED_APPS = ("alerts", "notifications", "discovery", "core", "evidence")
AT = datetime(2026, 3, 2, 12, tzinfo=UTC)


def _migrate_to_before_the_move() -> Apps:
    executor = MigrationExecutor(connection)
    others = [node for node in executor.loader.graph.leaf_nodes() if node[0] not in MOVED_APPS]
    targets = [*others, *BEFORE_MOVE, ("alerts", None), ("notifications", None)]
    executor.migrate(targets)
    return executor.loader.project_state([*others, *BEFORE_MOVE]).apps


def _migrate_forward() -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    ContentType.objects.clear_cache()


def _permission(old: Apps, model: str, codename: str) -> Any:
    content_type, _ = old.get_model("contenttypes", "ContentType").objects.get_or_create(
        app_label="discovery", model=model
    )
    permission, _ = old.get_model("auth", "Permission").objects.get_or_create(
        content_type=content_type, codename=codename, defaults={"name": codename}
    )
    return permission


@pytest.mark.django_db(transaction=True)
def test_alerts_channels_deliveries_grants_and_audit_trail_survive_the_move() -> None:
    # given the schema before the move: two rules, one alert, a channel that filtered by rule ("only the first
    # rule") and one that took everything, an alert delivery, a triage grant and audit-log rows about the alert
    old = _migrate_to_before_the_move()
    assert not {"alerts", "notifications"} & {config.label for config in old.get_app_configs()}
    service = old.get_model("discovery", "AIService").objects.create(slug="legacy-ai", name="Legacy AI")
    rule_model = old.get_model("discovery", "AlertRule")
    first = rule_model.objects.create(key="first", name="First", kind="unsanctioned", severity="high")
    second = rule_model.objects.create(key="second", name="Second", kind="first_use_org", severity="high")
    alert = old.get_model("discovery", "Alert").objects.create(
        rule=first,
        fingerprint="f" * 64,
        window_start=AT,
        subject="PSEUDO1",
        service=service,
        severity="high",
        summary="legacy alert",
        count=3,
        first_seen=AT,
        last_seen=AT,
        notifications=2,
    )
    channel_model = old.get_model("discovery", "Channel")
    filtered = channel_model.objects.create(name="only first", kind="email", config={"to": ["a@x.org"]})
    filtered.rules.add(first)
    everything = channel_model.objects.create(name="everything", kind="email", config={"to": ["b@x.org"]})
    delivery = old.get_model("discovery", "Delivery").objects.create(
        alert=alert, channel=filtered, notification=2, next_attempt_at=AT, status="sent"
    )
    triage = _permission(old, "alert", "change_alert")
    resend = _permission(old, "delivery", "change_delivery")
    alert_type_id = triage.content_type_id
    user_model = old.get_model(*get_user_model()._meta.label.split("."))
    analyst = user_model.objects.create(username="legacy-analyst", is_active=True)
    analyst.user_permissions.add(triage, resend)
    log = old.get_model("core", "AuditLogEntry").objects
    log.create(event_type="discovery.alert.raised", target_content_type_id=alert_type_id, target_object_id=alert.pk)
    log.create(event_type="discovery.alert_delivery.resent", target_content_type_id=alert_type_id)
    # when
    _migrate_forward()
    # then the rows read back through the new apps
    moved = Alert.objects.select_related("rule", "service").get(pk=alert.pk)
    assert (moved.rule.key, moved.service.slug, moved.count, moved.notifications) == ("first", "legacy-ai", 3, 2)
    assert (Alert._meta.db_table, Channel._meta.db_table) == ("discovery_alert", "discovery_channel")
    # the delivery names its event and its alert generically, and the alert's admin inline finds it
    row = Delivery.objects.get(pk=delivery.pk)
    assert (row.event_key, row.target, row.channel.name, row.status) == (
        f"alerts.alert.{alert.pk}.2",
        moved,
        filtered.name,
        "sent",
    )
    assert list(moved.deliveries.all()) == [row]
    # the same people receive the same rules: the first rule to both channels, the second to "everything" only
    assert sorted(c.name for c in channels_for(alert=moved)) == ["everything", "only first"]
    assert [c.name for c in AlertRule.objects.get(pk=second.pk).channels.all()] == [everything.name]
    # the content types moved in place: grants and audit-log links still resolve
    assert ContentType.objects.get_for_model(Alert).pk == alert_type_id
    assert not ContentType.objects.filter(app_label="discovery", model__in=["alert", "delivery", "channel"]).exists()
    user = get_user_model().objects.get(username="legacy-analyst")
    assert user.has_perm("alerts.change_alert") and user.has_perm("notifications.change_delivery")
    raised = AuditLogEntry.objects.get(event_type="alerts.alert.raised")
    assert raised.target == moved
    assert AuditLogEntry.objects.filter(event_type="notifications.delivery.resent").count() == 1
    assert not AuditLogEntry.objects.filter(event_type__startswith="discovery.alert").exists()
    renamed = AuditLogEntry.objects.get(
        event_type="core.audit_log.event_types_renamed", extra_data__migration="core.0005_audit_event_types_alerts_app"
    )
    assert renamed.extra_data["renamed"]["discovery.alert.raised"] == {"to": "alerts.alert.raised", "rows": 1}


@pytest.mark.django_db(transaction=True)
def test_the_move_reverses_and_alert_deliveries_get_their_alert_back() -> None:
    # given the schema before the move with an alert delivery, migrated forward
    old = _migrate_to_before_the_move()
    service = old.get_model("discovery", "AIService").objects.create(slug="legacy-ai", name="Legacy AI")
    rule = old.get_model("discovery", "AlertRule").objects.create(key="r", name="R", kind="unsanctioned")
    alert = old.get_model("discovery", "Alert").objects.create(
        rule=rule,
        fingerprint="e" * 64,
        window_start=AT,
        service=service,
        severity="high",
        summary="s",
        first_seen=AT,
        last_seen=AT,
    )
    channel = old.get_model("discovery", "Channel").objects.create(name="c", kind="email", config={"to": ["a@x.org"]})
    old.get_model("discovery", "Delivery").objects.create(
        alert=alert, channel=channel, notification=3, next_attempt_at=AT
    )
    _migrate_forward()
    Delivery.objects.create(
        channel=None, recipients=["a@x.org"], topic="obligation_reminder", event_key="g.o.1", next_attempt_at=AT
    )
    # when migrated back
    back = _migrate_to_before_the_move()
    # then the alert delivery has its alert and number again; the row the old schema cannot hold is gone
    rows = list(back.get_model("discovery", "Delivery").objects.values_list("alert_id", "notification", "event_key"))
    assert rows == [(alert.pk, 3, "")]
    assert back.get_model("contenttypes", "ContentType").objects.filter(app_label="discovery", model="alert").exists()
    _migrate_forward()  # leave the database as the other tests expect it
