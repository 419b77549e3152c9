"""/metrics: bearer-token access, and the service's own metrics read from the database and the broker at scrape time,
parsed with prometheus_client's own parser."""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.test import Client
from kombu import Connection
from prometheus_client.parser import text_string_to_metric_families

from audits.choices import FindingKind, RunStatus, RunVerdict
from audits.models import Finding
from core import monitoring
from core.models import WorkerHeartbeat
from core.selectors import BrokerUnavailable, celery_queue_lengths
from core.tasks import HEARTBEAT_NAME
from discovery.choices import BatchStatus
from discovery.models import LogBatch
from discovery.services import log_batch_ingest
from notifications.choices import ChannelKind, DeliveryStatus
from notifications.models import Delivery
from tests.audits.factories import AuditRunFactory
from tests.discovery.factories import SQUID_LINES, LogSourceFactory, ensure_catalog, squid_bytes
from tests.notifications.factories import ChannelFactory

TOKEN = "scrape-token-0123456789"
NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
def metrics_on(settings: Any) -> None:
    settings.METRICS_TOKEN = TOKEN


def scrape(client: Client) -> Samples:
    """GET /metrics with the token; every sample as ``{(name, labels): value}``, parsed by prometheus_client."""
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    samples: Samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, /, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


def names(samples: Samples) -> set[str]:
    return {name for name, _ in samples}


# --- access ---------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_metrics_are_off_with_404_when_no_token_is_configured(client: Client, settings: Any) -> None:
    # given
    settings.METRICS_TOKEN = ""
    # when
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer ")
    # then
    assert response.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token", f"Token {TOKEN}", f"Basic {TOKEN}", "Bearer", f"Bearer {TOKEN}x"],
)
def test_metrics_refuse_a_missing_or_wrong_bearer_token_with_401(
    client: Client, metrics_on: None, authorization: str | None
) -> None:
    # when
    headers = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}
    response = client.get("/metrics", **headers)
    # then
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert b"aigov_" not in response.content


@pytest.mark.django_db
def test_a_signed_in_superuser_without_the_token_is_refused_too(
    client: Client, metrics_on: None, admin_user: Any
) -> None:
    # given
    client.force_login(admin_user)
    # when
    response = client.get("/metrics")
    # then
    assert response.status_code == 401


@pytest.mark.django_db
def test_metrics_answer_the_right_token_in_the_prometheus_text_format(client: Client, metrics_on: None) -> None:
    # when
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    # then
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert response["Cache-Control"] == "no-store"
    samples = scrape(client)
    for collector in ("core", "notifications", "audits", "discovery"):
        assert value(samples, "aigov_scrape_collector_success", collector=collector) == 1


# --- values ---------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_ingestion_metrics_count_lines_backlog_and_lag_per_source(client: Client, metrics_on: None) -> None:
    # given: one source with a finished batch of the 8 sample lines (2 malformed, last event 2026-03-03 10:04 UTC),
    # a second whose upload is still queued (its chunk task runs on commit: never, inside this test), and a third idle
    ensure_catalog()
    hq, branch, idle = (LogSourceFactory(name=name) for name in ("HQ proxy", "Branch proxy", "Idle proxy"))
    log_batch_ingest(source=hq, fileobj=io.BytesIO(squid_bytes()), name="access.log", synchronous=True)
    branch_log = io.BytesIO(squid_bytes(SQUID_LINES[:3]))
    queued = log_batch_ingest(source=branch, fileobj=branch_log, name="access.log").batch
    assert queued.status == BatchStatus.PROCESSING
    # when
    samples = scrape(client)
    # then
    assert value(samples, "aigov_ingest_lines_total", source="HQ proxy") == 8
    assert value(samples, "aigov_ingest_lines_malformed_total", source="HQ proxy") == 2
    assert value(samples, "aigov_ingest_lines_total", source="Branch proxy") == 0
    assert value(samples, "aigov_ingest_batches", source="HQ proxy", status="done") == 1
    assert value(samples, "aigov_ingest_batches", source="HQ proxy", status="processing") == 0
    assert value(samples, "aigov_ingest_batches", source="Branch proxy", status="processing") == 1
    assert value(samples, "aigov_ingest_chunks_backlog", source="Branch proxy", status="pending") == queued.chunks_total
    assert value(samples, "aigov_ingest_chunks_backlog", source="HQ proxy", status="pending") == 0
    last_event = datetime.fromtimestamp(1772532240, UTC)
    assert value(samples, "aigov_ingest_data_lag_seconds", source="HQ proxy") == (NOW - last_event).total_seconds()
    assert value(samples, "aigov_ingest_last_batch_finished_age_seconds", source="HQ proxy") == 0
    # a source with no data has no lag at all rather than a made-up one
    assert ("aigov_ingest_data_lag_seconds", frozenset({("source", "Branch proxy")})) not in samples
    assert ("aigov_ingest_data_lag_seconds", frozenset({("source", "Idle proxy")})) not in samples
    assert value(samples, "aigov_ingest_batches", source=idle.name, status="processing") == 0


@pytest.mark.django_db
def test_a_duplicate_batch_adds_no_lines(client: Client, metrics_on: None) -> None:
    # given
    ensure_catalog()
    hq = LogSourceFactory(name="HQ proxy")
    log_batch_ingest(source=hq, fileobj=io.BytesIO(squid_bytes()), name="access.log", synchronous=True)
    LogBatch.objects.create(source=hq, sha256="d" * 64, status=BatchStatus.DUPLICATE, records_read=8)
    # when
    samples = scrape(client)
    # then
    assert value(samples, "aigov_ingest_lines_total", source="HQ proxy") == 8
    assert value(samples, "aigov_ingest_batches", source="HQ proxy", status="duplicate") == 1


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_outbox_metrics_count_deliveries_per_channel_and_state(client: Client, metrics_on: None) -> None:
    # given
    soc = ChannelFactory(name="SOC mail")
    hook = ChannelFactory(name="SIEM hook", kind=ChannelKind.WEBHOOK, config={"url": "https://siem.example/x"})

    def delivery(channel: Any, n: int, status: str, attempts: int = 0) -> None:
        Delivery.objects.create(
            channel=channel,
            topic="audit_finding",
            event_key=f"audits.run.{n}.1",
            status=status,
            attempts=attempts,
            next_attempt_at=NOW,
        )

    delivery(soc, 1, DeliveryStatus.PENDING)
    delivery(soc, 2, DeliveryStatus.PENDING, attempts=2)
    delivery(soc, 3, DeliveryStatus.DEAD, attempts=5)
    delivery(soc, 4, DeliveryStatus.SENT, attempts=1)
    delivery(soc, 5, DeliveryStatus.SENT, attempts=1)
    delivery(hook, 6, DeliveryStatus.SENDING, attempts=1)
    delivery(None, 7, DeliveryStatus.DEAD, attempts=5)  # a direct e-mail
    Delivery.objects.filter(event_key="audits.run.1.1").update(created_at=NOW - timedelta(minutes=10))
    # when
    samples = scrape(client)
    # then
    mail = {"channel": "SOC mail", "kind": "email"}
    assert value(samples, "aigov_notification_deliveries", **mail, status="pending") == 2
    assert value(samples, "aigov_notification_deliveries_failed", **mail) == 1
    assert value(samples, "aigov_notification_deliveries", **mail, status="dead") == 1
    assert value(samples, "aigov_notification_deliveries", **mail, status="sending") == 0
    assert value(samples, "aigov_notification_deliveries_sent_total", **mail) == 2
    assert value(samples, "aigov_notification_oldest_pending_age_seconds", **mail) == 600
    hook_labels = {"channel": "SIEM hook", "kind": "webhook"}
    assert value(samples, "aigov_notification_deliveries", **hook_labels, status="sending") == 1
    assert value(samples, "aigov_notification_deliveries", **hook_labels, status="pending") == 0
    direct = {"channel": "(direct e-mail)", "kind": "email"}
    assert value(samples, "aigov_notification_deliveries", **direct, status="dead") == 1


@pytest.mark.django_db
def test_audit_metrics_count_runs_by_status_and_verdict(client: Client, metrics_on: None) -> None:
    # given
    first = AuditRunFactory(status=RunStatus.SUCCEEDED, verdict=RunVerdict.FAIL)
    definition = first.definition
    AuditRunFactory(definition=definition, status=RunStatus.SUCCEEDED, verdict=RunVerdict.FAIL)
    AuditRunFactory(definition=definition, status=RunStatus.SUCCEEDED, verdict=RunVerdict.PASS)
    AuditRunFactory(definition=definition, status=RunStatus.FAILED)
    AuditRunFactory(definition=definition, status=RunStatus.PENDING)
    Finding.objects.create(
        ai_system=definition.ai_system, definition=definition, run=first, kind=FindingKind.FAILING, title="failing"
    )
    # when
    samples = scrape(client)
    # then
    assert value(samples, "aigov_audit_runs_verdict_total", verdict="fail") == 2
    assert value(samples, "aigov_audit_runs_verdict_total", verdict="pass") == 1
    assert value(samples, "aigov_audit_runs_verdict_total", verdict="warn") == 0
    assert value(samples, "aigov_audit_runs", status="succeeded") == 3
    assert value(samples, "aigov_audit_runs", status="failed") == 1
    assert value(samples, "aigov_audit_runs", status="pending") == 1
    assert value(samples, "aigov_audit_runs", status="running") == 0
    assert value(samples, "aigov_audit_findings_open") == 1


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_heartbeat_age_is_what_healthz_reports(client: Client, metrics_on: None) -> None:
    # given
    WorkerHeartbeat.objects.create(name=HEARTBEAT_NAME, last_seen=NOW - timedelta(seconds=42), beats=3)
    # when
    samples = scrape(client)
    healthz = client.get("/healthz").json()
    # then
    assert value(samples, "aigov_worker_heartbeat_age_seconds", name=HEARTBEAT_NAME) == 42
    assert healthz["worker_heartbeat_age_seconds"] == 42


@pytest.mark.django_db
def test_no_heartbeat_yet_means_no_age_sample(client: Client, metrics_on: None) -> None:
    # when
    samples = scrape(client)
    # then
    assert "aigov_worker_heartbeat_age_seconds" not in names(samples)


@pytest.mark.django_db
def test_the_configured_broker_reports_every_queue(client: Client, metrics_on: None) -> None:
    # when (Redis in CI's first pass, the embedded SQLite broker in the second)
    samples = scrape(client)
    # then
    assert value(samples, "aigov_celery_broker_up") == 1
    for queue in ("default", "ingest", "audits", "alerts"):
        assert value(samples, "aigov_celery_queue_length", queue=queue) >= 0


@pytest.mark.django_db
def test_an_unreachable_broker_is_reported_down_and_the_rest_still_answers(
    client: Client, metrics_on: None, settings: Any
) -> None:
    # given
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    # when
    samples = scrape(client)
    # then
    assert value(samples, "aigov_celery_broker_up") == 0
    assert "aigov_celery_queue_length" not in names(samples)
    assert value(samples, "aigov_scrape_collector_success", collector="core") == 1
    assert "aigov_audit_runs" in names(samples)


@pytest.mark.django_db
def test_a_broker_whose_queues_cannot_be_read_is_left_out(client: Client, metrics_on: None, settings: Any) -> None:
    # given
    settings.CELERY_BROKER_URL = "memory://"
    # when
    samples = scrape(client)
    # then
    assert "aigov_celery_broker_up" not in names(samples)
    assert "aigov_celery_queue_length" not in names(samples)


@pytest.mark.django_db
def test_a_failing_collector_is_reported_and_leaves_the_others(
    client: Client, metrics_on: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given
    def broken() -> list[Any]:
        raise RuntimeError("boom")

    monkeypatch.setitem(monitoring._COLLECTORS, "broken", broken)
    # when
    samples = scrape(client)
    # then
    assert value(samples, "aigov_scrape_collector_success", collector="broken") == 0
    assert value(samples, "aigov_scrape_collector_success", collector="audits") == 1
    assert "aigov_audit_runs" in names(samples)


@pytest.mark.django_db
def test_a_scrape_costs_the_same_queries_whatever_the_number_of_sources_and_channels(
    client: Client, metrics_on: None, django_assert_max_num_queries: Any
) -> None:
    # given
    for n in range(5):
        LogSourceFactory(name=f"Proxy {n}")
        ChannelFactory(name=f"Channel {n}")
    # then: heartbeats 1, outbox 2, audits 2, discovery 4
    with django_assert_max_num_queries(9):
        scrape(client)


def test_registering_another_function_under_a_known_collector_name_is_an_error() -> None:
    # then
    monitoring.metrics_collector_register("core", monitoring.core_collect)  # same declaration: fine
    with pytest.raises(ValueError, match="registered twice"):
        monitoring.metrics_collector_register("core", lambda: [])


# --- queue lengths on both supported brokers ------------------------------------------------------------------------


@pytest.fixture
def queue_name() -> str:
    return f"metrics-test-{uuid.uuid4().hex[:12]}"  # no worker consumes it


def test_queue_lengths_on_the_embedded_sqlalchemy_broker(tmp_path: Path, queue_name: str) -> None:
    # given
    url = f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"
    with Connection(url) as connection:
        queue = connection.SimpleQueue(queue_name)
        for n in range(3):
            queue.put({"n": n})
        queue.close()
    # when
    lengths = celery_queue_lengths(broker_url=url, queues=[queue_name, "never-declared"])
    # then
    assert lengths == {queue_name: 3, "never-declared": 0}


def _redis_url() -> str:
    from django.conf import settings

    configured: str = settings.CELERY_BROKER_URL
    if configured.startswith(("redis://", "rediss://")):
        return configured
    return os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_queue(queue_name: str) -> Iterator[tuple[str, Any]]:
    """A Redis client on the test Redis (CI's broker) and a fresh queue name, deleted afterwards. Redis is a required
    peer in CI (fail), optional elsewhere (skip)."""
    import redis

    url = _redis_url()
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.ConnectionError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is not reachable at {url} (CI needs it)")
        pytest.skip(f"Redis is not reachable at {url}")
    yield url, client
    client.delete(queue_name)
    client.close()


def test_queue_lengths_on_redis_are_the_length_of_the_queue_list(redis_queue: tuple[str, Any], queue_name: str) -> None:
    # given: what Celery's Redis transport does to send a task, LPUSH onto the list named after the queue
    url, client = redis_queue
    client.lpush(queue_name, "message-1", "message-2")
    # when
    lengths = celery_queue_lengths(broker_url=url, queues=[queue_name, f"{queue_name}-empty"])
    # then
    assert lengths == {queue_name: 2, f"{queue_name}-empty": 0}


def test_an_unreachable_redis_raises_broker_unavailable_quickly() -> None:
    # when
    started = datetime.now(UTC)
    with pytest.raises(BrokerUnavailable):
        celery_queue_lengths(broker_url="redis://127.0.0.1:1/0", queues=["default"], timeout=1)
    # then
    assert datetime.now(UTC) - started < timedelta(seconds=5)
