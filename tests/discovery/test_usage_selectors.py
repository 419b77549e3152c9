"""usage_by_department_policy: the aggregated, pseudonym-free usage an evidence pack shows for one service."""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import date
from typing import Any

from discovery.models import LogSource, UsageRecord
from discovery.selectors import usage_by_department_policy
from discovery.services import log_batch_ingest
from tests.discovery.factories import squid_bytes


def _by_hand(service: str, day_from: date | None, day_to: date | None) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str], list[UsageRecord]] = defaultdict(list)
    for record in UsageRecord.objects.filter(service__slug=service):
        if (day_from is None or record.day >= day_from) and (day_to is None or record.day <= day_to):
            groups[(record.department, record.policy_status)].append(record)
    return [
        {
            "department": department,
            "policy_status": policy,
            "users": len({r.subject for r in records}),
            "requests": sum(r.requests for r in records),
            "upload_requests": sum(r.upload_requests for r in records),
            "dns_lookups": sum(r.dns_lookups for r in records),
            "bytes_up": sum(r.bytes_up for r in records),
            "bytes_down": sum(r.bytes_down for r in records),
            "first_seen": min(r.first_seen for r in records),
            "last_seen": max(r.last_seen for r in records),
        }
        for (department, policy), records in sorted(groups.items())
    ]


def test_usage_is_summed_per_department_and_policy_within_the_days(catalog: None) -> None:
    # given the sample proxy log (two days of usage of several services)
    source = LogSource.objects.create(name="p", log_format="squid")
    log_batch_ingest(source=source, fileobj=io.BytesIO(squid_bytes()), name="a.log", synchronous=True)
    days = sorted(set(UsageRecord.objects.filter(service__slug="chatgpt").values_list("day", flat=True)))
    assert len(days) >= 2, "the sample should span more than one day"
    # when
    everything = usage_by_department_policy(service="chatgpt")
    first_day = usage_by_department_policy(service="chatgpt", day_from=days[0], day_to=days[0])
    # then
    assert everything == _by_hand("chatgpt", None, None) and everything
    assert first_day == _by_hand("chatgpt", days[0], days[0])
    assert sum(r["requests"] for r in first_day) < sum(r["requests"] for r in everything)
    assert usage_by_department_policy(service="no-such-service") == []
    assert all("subject" not in row for row in everything)
