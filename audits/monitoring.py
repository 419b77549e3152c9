"""Fairness audits' ``/metrics`` (registered in :class:`audits.apps.AuditsConfig`): runs by status and verdict and
open findings, computed from the database when scraped (see :mod:`core.monitoring`). Not ``audits/metrics/``: that
package holds the fairness metrics."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from audits.choices import RunStatus, RunVerdict
from audits.selectors import audit_run_counts, findings_open_count

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric


def audits_collect() -> Iterable[Metric]:
    counts = audit_run_counts()
    by_status: Counter[str] = Counter()
    by_verdict: Counter[str] = Counter()
    for (status, verdict), n in counts.items():
        by_status[status] += n
        if verdict:
            by_verdict[verdict] += n
    runs = GaugeMetricFamily(
        "aigov_audit_runs",
        "Audit runs per status (pending and running are the audit backlog)",
        labels=["status"],
    )
    for status in RunStatus.values:
        runs.add_metric([status], by_status[status])
    verdicts = CounterMetricFamily(
        "aigov_audit_runs_verdict", "Audit runs that completed, per verdict", labels=["verdict"]
    )
    for verdict in RunVerdict.values:
        verdicts.add_metric([verdict], by_verdict[verdict])
    findings = GaugeMetricFamily("aigov_audit_findings_open", "Open audit findings (failing verdicts, run errors)")
    findings.add_metric([], findings_open_count())
    return [runs, verdicts, findings]
