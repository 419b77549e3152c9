from __future__ import annotations

from datetime import UTC, date, datetime, time

import factory

from alerts.choices import AlertRuleKind, AlertSeverity
from alerts.models import AlertRule
from discovery.choices import PolicyStatus, SubjectKind
from discovery.models import AIService, LogBatch, LogChunk, LogSource, UsageRecord
from tests.notifications.factories import ChannelFactory, channel_config

__all__ = ["AlertRuleFactory", "ChannelFactory", "add_usage", "channel_config"]


class AlertRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AlertRule

    key = factory.Sequence(lambda n: f"rule-{n}")
    name = factory.Sequence(lambda n: f"Rule {n}")
    kind = AlertRuleKind.UNSANCTIONED
    severity = AlertSeverity.HIGH
    window_hours = 24
    repeat_interval_hours = 24


def add_usage(
    subject: str,
    slug: str,
    day: date,
    *,
    requests: int = 1,
    bytes_up: int = 0,
    policy: str | None = None,
    hour: int = 10,
) -> UsageRecord:
    """One usage row (with the batch/chunk it hangs off), as ingestion would write it."""
    source, _ = LogSource.objects.get_or_create(name="alerts-test")
    batch, _ = LogBatch.objects.get_or_create(source=source, sha256="0" * 64, defaults={"log_format": "squid"})
    index = LogChunk.objects.filter(batch=batch).count()
    chunk = LogChunk.objects.create(batch=batch, index=index, start_offset=0, end_offset=0)
    service = AIService.objects.get(slug=slug)
    at = datetime.combine(day, time(hour), tzinfo=UTC)
    return UsageRecord.objects.create(
        chunk=chunk,
        batch=batch,
        service=service,
        subject=subject,
        subject_kind=SubjectKind.USER,
        key_version=1,
        day=day,
        requests=requests,
        bytes_up=bytes_up,
        first_seen=at,
        last_seen=at.replace(minute=30),
        policy_status=policy or service.policy or PolicyStatus.UNSANCTIONED,
    )
