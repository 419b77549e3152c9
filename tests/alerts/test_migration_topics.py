"""The migration that adds channel topics and event deliveries keeps existing channels on alerts only and existing
deliveries valid."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("discovery", "0005_usage_max_request_bytes")]
AFTER = [("discovery", "0006_delivery_events_channel_topics")]


@pytest.mark.django_db(transaction=True)
def test_existing_channels_get_alerts_only_and_existing_deliveries_stay_alert_deliveries() -> None:
    # given: the schema before, with a channel and an alert delivery
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    now = datetime(2026, 3, 2, tzinfo=UTC)
    rule = apps.get_model("discovery", "AlertRule").objects.create(key="r", name="r", kind="unsanctioned")
    service = apps.get_model("discovery", "AIService").objects.create(slug="svc", name="Svc")
    alert = apps.get_model("discovery", "Alert").objects.create(
        rule=rule,
        fingerprint="f" * 64,
        window_start=now,
        service=service,
        severity="high",
        summary="s",
        first_seen=now,
        last_seen=now,
    )
    channel = apps.get_model("discovery", "Channel").objects.create(name="SIEM", kind="webhook", config={})
    apps.get_model("discovery", "Delivery").objects.create(alert=alert, channel=channel, next_attempt_at=now)
    # when
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    apps = executor.loader.project_state(AFTER).apps
    # then
    assert apps.get_model("discovery", "Channel").objects.get().topics == ["shadow_ai_alert"]
    delivery = apps.get_model("discovery", "Delivery").objects.get()
    assert (delivery.topic, delivery.event_key, delivery.alert_id) == ("shadow_ai_alert", "", alert.pk)
    # and back to the latest schema for the rest of the session
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
