"""Bad input is a 400 with field errors, never a 500 (issue 12, item 6: the 500s schemathesis found).

- a model ``ValidationError`` from a service's ``full_clean()`` (constraints) -> 400 with field errors;
- filter values out of range (``?max_age_days=1e20``) -> 400 from the filter form, not ``OverflowError``;
- date-times the database cannot take (a UTC offset beyond ±15:59 on PostgreSQL, a year-1 value that cannot be
  converted to UTC) -> 400;
- an upload the service cannot read (random bytes to a source with a blank format) -> 400 with a field error.
"""

from __future__ import annotations

import random
from typing import Any
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from alerts.models import Silence
from discovery.models import LogBatch, LogSource
from tests.audits.test_api import _payload as audit_definition_payload
from tests.discovery.factories import LogSourceFactory, ensure_catalog

# --- Django ValidationError -> 400 -----------------------------------------------------------------------------


def test_a_silence_that_matches_nothing_is_a_400_with_a_non_field_error(api: APIClient, sam: Any) -> None:
    # given
    api.force_authenticate(sam)
    # when: only an end date - the model's check constraint refuses it in the service's full_clean()
    response = api.post(reverse("alerts-api:silence-list"), {"until": "2030-01-01T00:00:00Z"}, format="json")
    # then
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid"
    assert body["non_field_errors"] == ["Give a rule, a user pseudonym or a service."]
    assert not Silence.objects.exists()


def test_an_audit_definition_with_both_a_cron_and_an_interval_is_a_400(api: APIClient, alice: Any) -> None:
    # given
    api.force_authenticate(alice)
    payload = {**audit_definition_payload(), "schedule_interval_minutes": 60}
    # when
    response = api.post(reverse("audits-api:auditdefinition-list"), payload, format="json")
    # then
    assert response.status_code == 400, response.content
    assert response.json()["non_field_errors"] == ["Give a cron expression or an interval, not both."]


# --- filter ranges ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("param", ["max_age_days", "min_age_days"])
@pytest.mark.parametrize("value", ["1e20", "-1", "36501", "NaN", "Infinity"])
def test_alert_age_filters_out_of_range_are_a_400(api: APIClient, audrey: Any, param: str, value: str) -> None:
    # given
    api.force_authenticate(audrey)
    # when
    response = api.get(reverse("alerts-api:alert-list"), {param: value})
    # then
    assert response.status_code == 400, response.content
    assert param in response.json()


@pytest.mark.parametrize("param", ["max_age_days", "min_age_days"])
def test_alert_age_filters_in_range_still_filter(api: APIClient, audrey: Any, param: str) -> None:
    api.force_authenticate(audrey)
    assert api.get(reverse("alerts-api:alert-list"), {param: "36500"}).status_code == 200


@pytest.mark.parametrize(
    "value",
    [
        "0001-01-01T00:00:00+01:00",  # before year 1 once in UTC
        "9999-12-31T23:00:00-05:00",  # after year 9999 once in UTC
    ],
)
@pytest.mark.parametrize(
    ("route", "param"),
    [
        ("audits-api:auditrun-list", "slot_after"),
        ("audits-api:auditrun-list", "slot_before"),
        ("core-api:auditlogentry-list", "event_time_after"),
    ],
)
def test_date_times_the_database_cannot_take_are_a_400(
    api: APIClient, audrey: Any, route: str, param: str, value: str
) -> None:
    # given
    api.force_authenticate(audrey)
    # when
    response = api.get(reverse(route), {param: value})
    # then
    assert response.status_code == 400, response.content
    assert param in response.json()


@pytest.mark.parametrize(
    "value",
    [
        "5455-11-23T18:17:56+19:45",  # was a PostgreSQL DataError: "time zone displacement out of range"
        "5455-11-23T18:17:56+14:00",
    ],
)
def test_far_date_times_with_any_rfc3339_offset_filter_in_utc(api: APIClient, audrey: Any, value: str) -> None:
    api.force_authenticate(audrey)
    response = api.get(reverse("audits-api:auditrun-list"), {"slot_after": value})
    assert response.status_code == 200 and response.json()["count"] == 0


def test_an_offset_beyond_fifteen_hours_compares_as_its_utc_instant(api: APIClient, audrey: Any) -> None:
    # given: an entry at 2030-01-01T00:00Z, i.e. 2030-01-01T19:45+19:45
    from datetime import UTC, datetime

    from core.models import AuditLogEntry

    entry = AuditLogEntry.objects.create(event_type="core.test.happened")
    AuditLogEntry.objects.filter(pk=entry.pk).update(event_time=datetime(2030, 1, 1, tzinfo=UTC))
    api.force_authenticate(audrey)
    url = reverse("core-api:auditlogentry-list")
    # when
    before = api.get(url, {"event_time_after": "2030-01-01T19:44:59+19:45"}).json()
    after = api.get(url, {"event_time_after": "2030-01-01T19:45:01+19:45"}).json()
    # then
    assert [row["id"] for row in before["results"]] == [entry.pk]
    assert after["count"] == 0


# --- unreadable uploads ----------------------------------------------------------------------------------------


@pytest.fixture
def blank_format_source(db: None) -> LogSource:
    ensure_catalog()
    return LogSourceFactory(name="Unknown proxy", log_format="")


def _upload(api: APIClient, source: LogSource, data: bytes, log_format: str = "") -> Any:
    with mock.patch("discovery.tasks.ingest_log_chunk_task.delay"):
        return api.post(
            reverse("discovery-api:logbatch-upload"),
            {"source": source.pk, "file": SimpleUploadedFile("blob.bin", data), "log_format": log_format},
            format="multipart",
        )


@pytest.mark.parametrize("seed", range(5))
def test_random_bytes_to_a_source_with_a_blank_format_are_a_400_with_a_field_error(
    api: APIClient, sam: Any, blank_format_source: LogSource, seed: int
) -> None:
    # given
    api.force_authenticate(sam)
    data = random.Random(seed).randbytes(4096)
    # when
    response = _upload(api, blank_format_source, data)
    # then
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "validation_failed"
    assert set(body) & {"file", "log_format"}
    assert not LogBatch.objects.exists()


def test_a_csv_reader_error_during_format_detection_is_a_400_on_the_file(
    api: APIClient, sam: Any, blank_format_source: LogSource
) -> None:
    # given: whatever a parser raises while sniffing the first lines (here the csv module's own error)
    import csv

    api.force_authenticate(sam)
    with mock.patch("discovery.ingest.detect_format", side_effect=csv.Error("new-line character seen in field")):
        # when
        response = _upload(api, blank_format_source, b"a,b\rc\n")
    # then
    assert response.status_code == 400, response.content
    assert "new-line character" in response.json()["file"][0]


def test_an_unknown_format_name_is_a_400_on_log_format(
    api: APIClient, sam: Any, blank_format_source: LogSource
) -> None:
    api.force_authenticate(sam)
    response = _upload(api, blank_format_source, b"hello\n", log_format="no-such-format")
    assert response.status_code == 400, response.content
    assert response.json()["log_format"]
