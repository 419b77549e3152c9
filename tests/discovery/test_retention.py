"""Retention purge of pseudonyms: an encrypted identity is kept only while usage or an alert within the retention
period (or an alert still being triaged) refers to its pseudonym."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from alerts.choices import AlertStatus
from alerts.models import Alert
from core.models import AuditLogEntry
from discovery.choices import SubjectKind
from discovery.models import AIService, LogSource, Pseudonym
from discovery.pseudonyms import encrypt_identity, pseudonymise
from discovery.services import discovery_detail_purge, log_batch_ingest
from tests.alerts.factories import AlertRuleFactory, add_usage
from tests.discovery.factories import squid_bytes

NOW = datetime(2026, 6, 1, 3, 17, tzinfo=UTC)
RETENTION_DAYS = 30
CUTOFF_DAY = date(2026, 5, 2)  # NOW - 30 days
pytestmark = pytest.mark.usefixtures("catalog")


@pytest.fixture(autouse=True)
def retention(settings: Any) -> None:
    settings.DISCOVERY_RETENTION_DAYS = RETENTION_DAYS


def person(name: str) -> str:
    pseudonym = pseudonymise(f"user:{name}")
    Pseudonym.objects.create(
        pseudonym=pseudonym, key_version=1, kind=SubjectKind.USER, identity_encrypted=encrypt_identity(name)
    )
    return pseudonym


def alert_on(subject: str, *, last_seen: datetime, status: str = AlertStatus.RESOLVED) -> Alert:
    at = last_seen - timedelta(hours=1)
    return Alert.objects.create(
        rule=AlertRuleFactory(),
        fingerprint=subject[:60] + f"{last_seen:%d}",
        window_start=at.replace(hour=0, minute=0),
        subject=subject,
        service=AIService.objects.get(slug="deepseek"),
        severity="high",
        status=status,
        summary="test",
        first_seen=at,
        last_seen=last_seen,
    )


def remaining() -> set[str]:
    return set(Pseudonym.objects.values_list("pseudonym", flat=True))


def purge_entries() -> list[dict[str, Any]]:
    return list(
        AuditLogEntry.objects.filter(event_type="discovery.retention.purged")
        .order_by("id")
        .values_list("extra_data", flat=True)
    )


def test_pseudonyms_nothing_recent_refers_to_are_deleted_once() -> None:
    # given
    recent_use = person("recent-use")
    add_usage(recent_use, "deepseek", CUTOFF_DAY)  # the cutoff day itself is kept
    old_use = person("old-use")
    add_usage(old_use, "deepseek", CUTOFF_DAY - timedelta(days=1))
    recent_alert = person("recent-alert")
    alert_on(recent_alert, last_seen=NOW - timedelta(days=RETENTION_DAYS) + timedelta(minutes=1))
    open_alert = person("open-alert")
    alert_on(open_alert, last_seen=NOW - timedelta(days=200), status=AlertStatus.ACKNOWLEDGED)
    old_alert = person("old-alert")
    alert_on(old_alert, last_seen=NOW - timedelta(days=RETENTION_DAYS, minutes=1))
    never_used = person("never-used")
    # when
    more = discovery_detail_purge(now=NOW)
    # then: kept while referenced within retention (or under triage); the rest is gone with its identity
    assert more is False
    assert remaining() == {recent_use, recent_alert, open_alert}
    assert {old_use, old_alert, never_used}.isdisjoint(remaining())
    assert Alert.objects.filter(subject=old_alert).exists()  # alerts themselves are kept (pseudonym only)
    [entry] = purge_entries()
    assert (entry["usage_rows"], entry["batches"], entry["pseudonyms"]) == (1, 0, 3)
    # when: run again (the next day's beat, or a redelivered task): nothing left to do, nothing logged
    assert discovery_detail_purge(now=NOW) is False
    assert remaining() == {recent_use, recent_alert, open_alert}
    assert len(purge_entries()) == 1


def test_pseudonym_purge_works_in_batches_until_drained() -> None:
    # given
    for i in range(3):
        person(f"gone-{i}")
    kept = person("kept")
    add_usage(kept, "deepseek", NOW.date())
    # when
    rounds = [discovery_detail_purge(now=NOW, batch_size=2) for _ in range(3)]
    # then
    assert rounds == [True, False, False]
    assert remaining() == {kept}
    assert [e["pseudonyms"] for e in purge_entries()] == [2, 1]


def test_ingested_identities_are_purged_with_their_last_usage(source: LogSource) -> None:
    # given: the squid sample (2026-03-02 and 03-03); kchen only appears on 03-02
    log_batch_ingest(source=source, fileobj=io.BytesIO(squid_bytes()), name="a.log", synchronous=True)
    kchen, jdoe = pseudonymise("user:kchen"), pseudonymise("user:jdoe")
    assert {kchen, jdoe} <= remaining()
    # when: 03-02 falls out of the retention period, 03-03 does not
    later = datetime(2026, 3, 3, 12, tzinfo=UTC) + timedelta(days=RETENTION_DAYS)
    while discovery_detail_purge(now=later):
        pass
    # then
    assert kchen not in remaining()
    assert jdoe in remaining()
