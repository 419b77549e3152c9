"""The registry behind ``/metrics``: each app declares a collector (in its ``AppConfig.ready()``, as apps register
their notification topics), so core serves every app's metrics without importing any of them.

A collector is a function that returns Prometheus metric families computed **at scrape time** from the database
(through the app's selectors) or the broker. Nothing is counted in process memory, so every gunicorn worker and
every Celery process answers the same and no ``prometheus_client`` multiprocess mode is needed: any web process
that receives the scrape reads the shared state.

A collector that raises does not fail the scrape: its metrics are left out, the error is logged, and
``aigov_scrape_collector_success{collector=...}`` says 0 for it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric

logger = logging.getLogger(__name__)

#: a collector: returns the metric families of one app, computed when called
CollectFunction = Callable[[], Iterable["Metric"]]

_COLLECTORS: dict[str, CollectFunction] = {}


def metrics_collector_register(name: str, collect: CollectFunction) -> None:
    """Declare the collector ``name`` (an app label). Idempotent for the same function; another function under a
    known name is an error (two apps would overwrite each other's metrics)."""
    existing = _COLLECTORS.get(name)
    if existing is not None and existing is not collect:
        raise ValueError(f"metrics collector {name!r} registered twice with different functions")
    _COLLECTORS[name] = collect


def metrics_collector_names() -> list[str]:
    return list(_COLLECTORS)


class _RegisteredCollectors:
    """The prometheus_client collector over every registered function (``CollectorRegistry`` calls ``collect``)."""

    def collect(self) -> Iterator[Metric]:
        from prometheus_client.core import GaugeMetricFamily

        success = GaugeMetricFamily(
            "aigov_scrape_collector_success",
            "1 if the collector answered this scrape, 0 if it failed",
            labels=["collector"],
        )
        duration = GaugeMetricFamily(
            "aigov_scrape_collector_duration_seconds", "Time the collector took in this scrape", labels=["collector"]
        )
        for name, collect in _COLLECTORS.items():
            started = time.perf_counter()
            try:
                families = list(collect())
            except Exception:
                logger.exception("metrics collector %s failed; its metrics are left out of this scrape", name)
                ok = 0.0
            else:
                yield from families
                ok = 1.0
            success.add_metric([name], ok)
            duration.add_metric([name], time.perf_counter() - started)
        yield success
        yield duration


def metrics_render() -> tuple[bytes, str]:
    """The text exposition of every registered collector, and its content type. A fresh registry per scrape, without
    prometheus_client's process and platform collectors: they would describe only the one web process that happened
    to answer."""
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

    registry = CollectorRegistry(auto_describe=False)
    registry.register(_RegisteredCollectors())
    return generate_latest(registry), CONTENT_TYPE_LATEST


def core_collect() -> Iterable[Metric]:
    """Core's own metrics: the age of each worker heartbeat and the length of each Celery queue."""
    from django.conf import settings
    from prometheus_client.core import GaugeMetricFamily

    from core.queues import Queue
    from core.selectors import BrokerUnavailable, celery_queue_lengths, heartbeat_ages

    heartbeat = GaugeMetricFamily(
        "aigov_worker_heartbeat_age_seconds",
        "Seconds since a worker last ran the beat-scheduled heartbeat task (absent: it never ran; /healthz calls it "
        f"stale after {int(settings.HEARTBEAT_STALE_AFTER.total_seconds())} s)",
        labels=["name"],
    )
    for name, age in sorted(heartbeat_ages().items()):
        heartbeat.add_metric([name], age.total_seconds())
    yield heartbeat

    broker_up = GaugeMetricFamily("aigov_celery_broker_up", "1 if the Celery broker answered this scrape, else 0")
    try:
        lengths = celery_queue_lengths(
            broker_url=settings.CELERY_BROKER_URL,
            queues=[q.value for q in Queue],
            transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
        )
    except BrokerUnavailable as exc:
        logger.warning("metrics: the Celery broker did not answer: %s", exc)
        broker_up.add_metric([], 0)
        yield broker_up
        return
    if lengths is None:
        return  # a broker whose queue lengths we cannot read: both metrics are left out
    broker_up.add_metric([], 1)
    yield broker_up
    queue_length = GaugeMetricFamily(
        "aigov_celery_queue_length",
        "Messages waiting in the Celery queue (not yet taken by a worker)",
        labels=["queue"],
    )
    for queue, length in lengths.items():
        queue_length.add_metric([queue], length)
    yield queue_length
