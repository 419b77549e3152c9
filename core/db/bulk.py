"""Bulk inserts for hot write paths: rows whose values are already adapted to the backend, written with ``COPY`` on
PostgreSQL and with one prepared ``INSERT`` run by ``executemany`` elsewhere (SQLite).

``Model.objects.bulk_create`` prepares every value through its model field, which on ingestion's usage rows cost
about 60 % of the time (1M Squid lines, ``bench/bench_ingest.py``). These helpers skip that: the caller adapts each
value once with the backend's own adapters (:func:`date_adapter`, :func:`datetime_adapter`,
:func:`binary_adapter`, plain ints and strings as they are), which gives the same stored values, and
:func:`rows_insert` sends the rows. What they do not do, unlike ``bulk_create``: no defaults, no ``pre_save``
(``auto_now`` fields must be given), no signals, no returned primary keys.

Take the adapters on the thread that owns the connection (a helper thread may then build rows with them without
touching a connection); call :func:`rows_insert` inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Field, Model
from django.db.models.constants import OnConflict

#: rows per ``executemany`` call of the INSERT path (large enough to amortise round trips, small enough for SQLite's
#: limits); the ``COPY`` path streams all rows in one statement.
INSERT_BATCH = 2000


def date_adapter(using: str = DEFAULT_DB_ALIAS) -> Callable[[date], Any]:
    """The backend's adapter for ``DateField`` values."""
    return connections[using].ops.adapt_datefield_value


def datetime_adapter(using: str = DEFAULT_DB_ALIAS) -> Callable[[datetime], Any]:
    """The backend's ``adapt_datetimefield_value``, short-cut on SQLite for UTC datetimes: Django makes an aware
    value naive in the connection's zone and stores ``str()`` of it, so a value already in UTC with the connection
    in UTC is ``str()`` of itself less its ``+00:00`` (a third of ingestion's commit time with the generic
    adapter). Any other value goes through the backend's adapter."""
    connection = connections[using]
    adapt = connection.ops.adapt_datetimefield_value
    if connection.vendor != "sqlite" or not settings.USE_TZ or connection.timezone is not UTC:
        return adapt

    def adapt_sqlite(value: datetime) -> Any:
        if value.tzinfo is UTC:
            return str(value)[:-6]  # "YYYY-MM-DD HH:MM:SS[.ffffff]+00:00"
        return adapt(value)

    return adapt_sqlite


def binary_adapter(using: str = DEFAULT_DB_ALIAS) -> Callable[[bytes], Any]:
    """The backend's DB-API ``Binary`` constructor, for ``BinaryField`` values."""
    return connections[using].Database.Binary  # type: ignore[attr-defined]  # the DB-API module of the backend


def rows_insert(
    model: type[Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    ignore_conflicts: bool = False,
    using: str = DEFAULT_DB_ALIAS,
) -> None:
    """Insert ``rows`` into ``model``'s table: each row holds the values of the fields named by ``columns`` (model
    field names; a foreign key by its name, the value being the id), in that order, already adapted.

    PostgreSQL: one ``COPY ... FROM STDIN``, several times faster than INSERTs (which it spends its time parsing and
    planning row by row); the values go through psycopg's adapters. Otherwise, or with ``ignore_conflicts`` (``COPY``
    cannot skip rows): one prepared ``INSERT`` (``... ON CONFLICT DO NOTHING`` / ``INSERT OR IGNORE`` with
    ``ignore_conflicts``, so rows that would violate a unique constraint are skipped) run by ``executemany`` in
    batches of :data:`INSERT_BATCH`. Nothing is sent for no rows. A failure raises ``django.db``'s errors on both
    paths (``IntegrityError`` for a unique violation without ``ignore_conflicts``), and the whole call fails.
    """
    if not rows:
        return
    connection = connections[using]
    ops = connection.ops
    fields = [model._meta.get_field(name) for name in columns]
    db_columns = [field.column for field in fields if isinstance(field, Field) and field.column]
    if len(db_columns) != len(columns):
        raise ValueError(f"{model.__name__}: every column must be a concrete field, got {list(columns)}")
    table = ops.quote_name(model._meta.db_table)
    quoted = ", ".join(ops.quote_name(column) for column in db_columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and not ignore_conflicts:
            # the raw psycopg cursor: errors are wrapped into django.db's (IntegrityError, ...) as the INSERT's are
            with connection.wrap_database_errors, cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        on_conflict = OnConflict.IGNORE if ignore_conflicts else None
        suffix = ops.on_conflict_suffix_sql(fields, on_conflict, None, None) if ignore_conflicts else ""
        placeholders = ", ".join(["%s"] * len(db_columns))
        sql = f"{ops.insert_statement(on_conflict=on_conflict)} {table} ({quoted}) VALUES ({placeholders}) {suffix}"
        sql = sql.rstrip()
        for start in range(0, len(rows), INSERT_BATCH):
            cursor.executemany(sql, rows[start : start + INSERT_BATCH])
