"""The outbox's ``/metrics`` (registered in :class:`notifications.apps.NotificationsConfig`): deliveries per channel
and status, computed from the database when scraped (see :mod:`core.monitoring`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.utils import timezone
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from notifications.choices import DeliveryStatus
from notifications.selectors import outbox_counts

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric

#: the ``channel`` label of direct e-mails (an obligation's owner, an audit's compliance officers): no channel
DIRECT_EMAIL = "(direct e-mail)"


def notifications_collect() -> Iterable[Metric]:
    now = timezone.now()
    labels = ["channel", "kind"]
    deliveries = GaugeMetricFamily(
        "aigov_notification_deliveries",
        "Outbox deliveries per channel in a current state: pending (waiting for their first or next attempt), "
        "sending (claimed by a worker), dead (gave up: re-send from the admin)",
        labels=[*labels, "status"],
    )
    failed = GaugeMetricFamily(
        "aigov_notification_deliveries_failed",
        "Pending deliveries that already failed at least once and wait for their next attempt",
        labels=labels,
    )
    sent = CounterMetricFamily("aigov_notification_deliveries_sent", "Deliveries sent, per channel", labels=labels)
    oldest = GaugeMetricFamily(
        "aigov_notification_oldest_pending_age_seconds",
        "Age of the oldest pending delivery of a channel (absent: none pending)",
        labels=labels,
    )
    for entry in outbox_counts():
        key = [DIRECT_EMAIL if entry.channel is None else entry.channel, entry.kind]
        if entry.status == DeliveryStatus.SENT:
            sent.add_metric(key, entry.count)
            continue
        deliveries.add_metric([*key, entry.status], entry.count)
        if entry.status == DeliveryStatus.PENDING:
            failed.add_metric(key, entry.failed_attempts)
            if entry.oldest_created_at is not None:
                oldest.add_metric(key, (now - entry.oldest_created_at).total_seconds())
    return [deliveries, failed, sent, oldest]
