"""Discovery's ``/metrics`` (registered in :class:`discovery.apps.DiscoveryConfig`): ingestion backlog, lag and line
counts per log source, computed from the database when scraped (see :mod:`core.monitoring`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.utils import timezone
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from discovery.selectors import ingest_source_stats

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric


def discovery_collect() -> Iterable[Metric]:
    now = timezone.now()
    batches = GaugeMetricFamily(
        "aigov_ingest_batches",
        "Log batches per source and status (status=processing is the ingestion backlog)",
        labels=["source", "status"],
    )
    chunks = GaugeMetricFamily(
        "aigov_ingest_chunks_backlog",
        "Chunks of a log source waiting in the ingest queue (pending) or being ingested (processing)",
        labels=["source", "status"],
    )
    lines = CounterMetricFamily(
        "aigov_ingest_lines", "Lines (capture records) read from a source's counted batches", labels=["source"]
    )
    malformed = CounterMetricFamily(
        "aigov_ingest_lines_malformed", "Lines of a source's counted batches no parser could read", labels=["source"]
    )
    data_lag = GaugeMetricFamily(
        "aigov_ingest_data_lag_seconds",
        "Now minus the newest event time in a source's ingested data (absent: no data yet)",
        labels=["source"],
    )
    finished_age = GaugeMetricFamily(
        "aigov_ingest_last_batch_finished_age_seconds",
        "Now minus when a source's last batch that ingested anything (done or partial) finished (absent: none yet)",
        labels=["source"],
    )
    for entry in ingest_source_stats():
        for status, n in entry.batches.items():
            batches.add_metric([entry.source, status], n)
        for status, n in entry.chunks.items():
            chunks.add_metric([entry.source, status], n)
        lines.add_metric([entry.source], entry.lines_read)
        malformed.add_metric([entry.source], entry.lines_malformed)
        if entry.last_data_at is not None:
            data_lag.add_metric([entry.source], (now - entry.last_data_at).total_seconds())
        if entry.last_batch_finished_at is not None:
            finished_age.add_metric([entry.source], (now - entry.last_batch_finished_at).total_seconds())
    return [batches, chunks, lines, malformed, data_lag, finished_age]
