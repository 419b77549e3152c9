"""core.db.bulk: rows adapted by the backend's adapters and written by COPY (PostgreSQL) or the prepared INSERT
(SQLite, and PostgreSQL when conflicts are ignored) read back exactly as ``bulk_create`` would have stored them.

Runs on whichever database the suite uses: both paths on PostgreSQL, the INSERT path on SQLite.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from django.core.exceptions import FieldDoesNotExist
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from core.db import bulk
from core.models import AuditLogEntry, WorkerHeartbeat
from discovery.models import Pseudonym

pytestmark = pytest.mark.django_db

HEARTBEAT = ("name", "last_seen", "beats", "hostname")
PSEUDONYM = ("pseudonym", "key_version", "kind", "identity_encrypted", "created_at")
AWKWARD_TEXT = ["tab\there", "back\\slash \\N", "quote ' \" ,;", "new\nline", "\u00c9quipe \u2603 \U0001f600", ""]
TIMES = [
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime.fromtimestamp(1772409600.123456, UTC),
    datetime(2026, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=2))),  # not UTC: the generic adapter
]


def _heartbeat_rows(count: int, prefix: str = "w") -> list[list[Any]]:
    adapt = bulk.datetime_adapter()
    return [
        [f"{prefix}{i} {AWKWARD_TEXT[i % len(AWKWARD_TEXT)]}", adapt(TIMES[i % len(TIMES)]), 2**62 + i, f"h{i}"]
        for i in range(count)
    ]


def _expected(count: int, prefix: str = "w") -> list[tuple[Any, ...]]:
    return sorted(
        (f"{prefix}{i} {AWKWARD_TEXT[i % len(AWKWARD_TEXT)]}", TIMES[i % len(TIMES)], 2**62 + i, f"h{i}")
        for i in range(count)
    )


@pytest.mark.parametrize(
    ("case", "ignore_conflicts", "count"),
    [
        ("one row", False, 1),
        ("awkward values", False, len(AWKWARD_TEXT) * len(TIMES)),
        ("one row, INSERT path", True, 1),
        ("awkward values, INSERT path", True, len(AWKWARD_TEXT) * len(TIMES)),
        ("more rows than one batch", True, bulk.INSERT_BATCH + 3),
        ("more rows than one batch, COPY on PostgreSQL", False, bulk.INSERT_BATCH + 3),
    ],
)
def test_rows_read_back_as_written(case: str, ignore_conflicts: bool, count: int) -> None:
    # when
    with transaction.atomic():
        bulk.rows_insert(WorkerHeartbeat, HEARTBEAT, _heartbeat_rows(count), ignore_conflicts=ignore_conflicts)
    # then every value is stored as given (datetimes back in UTC)
    assert sorted(WorkerHeartbeat.objects.values_list(*HEARTBEAT)) == _expected(count), case


@pytest.mark.parametrize(
    ("ignore_conflicts", "statements"),
    [
        # COPY goes round Django's cursor wrapper (nothing captured); executemany is one captured entry per batch
        (False, 0 if connection.vendor == "postgresql" else 3),
        (True, 3),
    ],
)
def test_the_insert_path_sends_one_statement_per_batch(
    ignore_conflicts: bool, statements: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given batches of 4 rows
    monkeypatch.setattr(bulk, "INSERT_BATCH", 4)
    # when 10 rows are inserted
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        bulk.rows_insert(WorkerHeartbeat, HEARTBEAT, _heartbeat_rows(10), ignore_conflicts=ignore_conflicts)
    # then
    inserts = [q for q in queries.captured_queries if "workerheartbeat" in q["sql"].lower()]
    assert len(inserts) == statements
    assert WorkerHeartbeat.objects.count() == 10


def test_no_rows_send_nothing() -> None:
    with CaptureQueriesContext(connection) as queries:
        bulk.rows_insert(WorkerHeartbeat, HEARTBEAT, [])
        bulk.rows_insert(WorkerHeartbeat, HEARTBEAT, [], ignore_conflicts=True)
    assert queries.captured_queries == []


def test_ignore_conflicts_skips_the_rows_a_unique_constraint_refuses_and_keeps_the_stored_ones() -> None:
    # given two rows already stored
    bulk.rows_insert(WorkerHeartbeat, HEARTBEAT, _heartbeat_rows(2))
    again = _heartbeat_rows(2)
    for row in again:
        row[3] = "other host"
    # when the same names come again with four new ones
    with transaction.atomic():
        bulk.rows_insert(WorkerHeartbeat, HEARTBEAT, again + _heartbeat_rows(4, prefix="n"), ignore_conflicts=True)
    # then the new ones are in and the stored ones unchanged
    assert sorted(WorkerHeartbeat.objects.values_list(*HEARTBEAT)) == sorted(_expected(2) + _expected(4, "n"))


def test_without_ignore_conflicts_a_duplicate_fails_the_whole_insert() -> None:
    bulk.rows_insert(WorkerHeartbeat, HEARTBEAT, _heartbeat_rows(1))
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk.rows_insert(WorkerHeartbeat, HEARTBEAT, _heartbeat_rows(3))
    assert WorkerHeartbeat.objects.count() == 1


@pytest.mark.parametrize("ignore_conflicts", [False, True])
def test_binary_values_and_an_explicit_auto_now_field(ignore_conflicts: bool) -> None:
    # given identities with every byte value, adapted by the backend's Binary
    binary, adapt = bulk.binary_adapter(), bulk.datetime_adapter()
    tokens = [bytes(range(256)), b"", b"\x00\\N\t\n"]
    rows = [[f"p{i}", 3, "user", binary(token), adapt(TIMES[i])] for i, token in enumerate(tokens)]
    # when
    with transaction.atomic():
        bulk.rows_insert(Pseudonym, PSEUDONYM, rows, ignore_conflicts=ignore_conflicts)
    # then
    stored = [
        (p, v, k, bytes(t), c) for p, v, k, t, c in Pseudonym.objects.order_by("pseudonym").values_list(*PSEUDONYM)
    ]
    assert stored == [(f"p{i}", 3, "user", token, TIMES[i]) for i, token in enumerate(tokens)]


@pytest.mark.parametrize("value", TIMES)
def test_the_datetime_adapter_stores_what_the_backend_would(value: datetime) -> None:
    assert bulk.datetime_adapter()(value) == connection.ops.adapt_datetimefield_value(value)


def test_the_date_adapter_is_the_backends() -> None:
    day = datetime(2026, 3, 1, tzinfo=UTC).date()
    assert bulk.date_adapter()(day) == connection.ops.adapt_datefield_value(day)


@pytest.mark.parametrize(
    ("columns", "error"),
    [(("event_type", "target"), ValueError), (("event_type", "nonexistent"), FieldDoesNotExist)],
    ids=["generic foreign key", "no such field"],
)
def test_a_column_that_is_not_a_concrete_field_is_refused(columns: tuple[str, ...], error: type[Exception]) -> None:
    with pytest.raises(error, match=columns[1]):
        bulk.rows_insert(AuditLogEntry, columns, [["core.user.deactivated", None]])
    assert not AuditLogEntry.objects.exists()
