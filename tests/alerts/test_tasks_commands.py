"""Tasks (thin, idempotent, retry scheduling), the beat entries, the batch hook end to end, export_blocklist."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.core.management import CommandError, call_command

from alerts.choices import AlertRuleKind
from alerts.models import Alert
from alerts.tasks import evaluate_alert_rules_task
from config.celery import app
from config.celery_schedule import BEAT_SCHEDULE
from discovery.models import LogSource
from discovery.services import log_batch_ingest
from discovery.tasks import sync_promoted_policies_task
from notifications.choices import ChannelKind, DeliveryStatus
from notifications.models import Delivery
from notifications.tasks import (
    dispatch_alert_deliveries_task,
    dispatch_deliveries_task,
    send_alert_delivery_task,
    send_delivery_task,
)
from tests.alerts.factories import AlertRuleFactory, add_usage
from tests.discovery.factories import squid_bytes
from tests.notifications.factories import ChannelFactory
from tests.notifications.receivers import HTTPReceiver

pytestmark = pytest.mark.usefixtures("catalog")


#: the task names from before alerting and the outbox left discovery (messages queued by an older release)
OLD_NAMES = (
    "discovery.tasks.evaluate_alert_rules_task",
    "discovery.tasks.send_alert_delivery_task",
    "discovery.tasks.dispatch_alert_deliveries_task",
)
NEW_NAMES = (
    "alerts.tasks.evaluate_alert_rules_task",
    "notifications.tasks.send_delivery_task",
    "notifications.tasks.dispatch_deliveries_task",
)


@pytest.mark.parametrize("name", [*OLD_NAMES, *NEW_NAMES, "discovery.tasks.sync_promoted_policies_task"])
def test_alert_tasks_are_routed_to_the_alerts_queue_and_registered(name: str) -> None:
    assert app.amqp.router.route({}, name)["queue"].name == "alerts"
    assert name in app.tasks


def test_beat_entries_exist_with_expiry() -> None:
    tasks = {entry["task"]: entry for entry in BEAT_SCHEDULE.values()}
    for name in (*NEW_NAMES[::2], "discovery.tasks.sync_promoted_policies_task"):
        assert tasks[name]["options"]["expires"] > 0
    assert not set(OLD_NAMES) & set(tasks)  # beat schedules the new names; the old ones only drain old queues


def test_evaluate_task_for_a_gone_batch_returns_quietly() -> None:
    evaluate_alert_rules_task(987654)
    assert not Alert.objects.exists()


def test_beat_evaluation_is_idempotent() -> None:
    AlertRuleFactory()
    add_usage("u1", "deepseek", datetime.now(UTC).date())
    evaluate_alert_rules_task()
    evaluate_alert_rules_task()
    assert Alert.objects.count() == 1


def test_send_task_reschedules_itself_with_the_backoff(http_receiver: HTTPReceiver) -> None:
    # given
    AlertRuleFactory()
    ChannelFactory(kind=ChannelKind.SLACK, config={"url": http_receiver.url})
    add_usage("u1", "deepseek", date(2026, 3, 2))
    evaluate_alert_rules_task_now()
    delivery = Delivery.objects.get()
    http_receiver.respond((429, {"Retry-After": "90"}))
    # when
    with mock.patch.object(send_delivery_task, "apply_async") as again:
        send_alert_delivery_task(delivery.pk)  # a message queued under the old name is handled the same way
    # then
    (args, kwargs) = again.call_args
    assert args == ((delivery.pk,),)
    assert kwargs["countdown"] >= 90


def evaluate_alert_rules_task_now() -> None:
    from alerts.services import alert_rules_evaluate

    alert_rules_evaluate(since=date(2026, 3, 2), until=date(2026, 3, 2), now=datetime(2026, 3, 2, 18, tzinfo=UTC))


def test_dispatcher_fans_out_due_deliveries() -> None:
    AlertRuleFactory()
    ChannelFactory()
    add_usage("u1", "deepseek", date(2026, 3, 2))
    evaluate_alert_rules_task_now()
    for dispatcher in (dispatch_deliveries_task, dispatch_alert_deliveries_task):  # new name, and the old alias
        with mock.patch.object(send_delivery_task, "delay") as delay:
            dispatcher()
        delay.assert_called_once_with(Delivery.objects.get().pk)


def test_sync_task_runs() -> None:
    sync_promoted_policies_task()


def test_ingestion_to_delivery_end_to_end(
    django_capture_on_commit_callbacks: Any, http_receiver: HTTPReceiver, mailoutbox: list[Any]
) -> None:
    # given: rules and two channels; tasks run eagerly, on-commit callbacks executed
    AlertRuleFactory(key="unsanctioned", kind=AlertRuleKind.UNSANCTIONED, window_hours=24 * 7)
    AlertRuleFactory(key="first-org", kind=AlertRuleKind.FIRST_USE_ORG, severity="medium")
    ChannelFactory(kind=ChannelKind.WEBHOOK, config={"url": http_receiver.url, "secret": "k"})
    ChannelFactory(kind=ChannelKind.EMAIL, config={"to": ["soc@example.com"]})
    source = LogSource.objects.create(name="proxy", log_format="squid")
    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            log_batch_ingest(source=source, fileobj=io.BytesIO(squid_bytes()), name="a.log", synchronous=True)
        alerts_after_first = Alert.objects.count()
        with django_capture_on_commit_callbacks(execute=True):
            log_batch_ingest(source=source, fileobj=io.BytesIO(squid_bytes()), name="a.log", synchronous=True)
    finally:
        app.conf.task_always_eager = False
    # then: alerts raised once, each delivered on both channels
    alerts = Alert.objects.count()
    assert alerts_after_first == alerts > 0
    assert Delivery.objects.filter(status=DeliveryStatus.SENT).count() == 2 * alerts
    assert len(http_receiver.requests) == alerts
    assert len(mailoutbox) == alerts
    assert all("jdoe" not in r.body.decode() for r in http_receiver.requests)  # pseudonyms only


@pytest.mark.parametrize(("fmt", "needle"), [("plain", "deepseek.com\n"), ("squid", ".deepseek.com\n")])
def test_export_blocklist_to_stdout(fmt: str, needle: str) -> None:
    out = io.StringIO()
    call_command("export_blocklist", "--format", fmt, stdout=out)
    assert needle in out.getvalue()


def test_export_blocklist_to_a_file(tmp_path: Path) -> None:
    out = io.StringIO()
    target = tmp_path / "edl.txt"
    call_command("export_blocklist", "--format", "panos", "--output", str(target), stdout=out)
    assert "*.deepseek.com" in target.read_text()
    assert out.getvalue().startswith("wrote ")


def test_export_blocklist_rejects_bad_input(tmp_path: Path) -> None:
    with pytest.raises(CommandError):
        call_command("export_blocklist", "--format", "hosts")
    with pytest.raises(CommandError):
        call_command("export_blocklist", "--output", str(tmp_path / "missing" / "x.txt"))
