"""Filter fields that validate their input's range, so a query string never reaches the database as a 500.

- ``UTCIsoDateTimeFilter``: an ISO 8601 date-time converted to UTC before it is used. PostgreSQL refuses UTC
  offsets beyond ±15:59 (``DataError`` on ``?slot_after=5455-11-23T18:17:56+19:45``), and a value at the edge of
  Python's range (year 1 or 9999) cannot be converted at all: both are a 400 with a field error.
- ``BoundedNumberFilter``: a number filter whose form field has a minimum and a maximum (``?max_age_days=1e20`` is
  a 400, not an ``OverflowError`` in ``timedelta``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField


class UTCIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time, made aware (current time zone) and converted to UTC; out-of-range values are invalid."""

    default_error_messages = {"out_of_range": "Enter a date-time between years 1 and 9999 once converted to UTC."}

    def clean(self, value: Any) -> datetime | None:
        cleaned = super().clean(value)
        if cleaned is None:
            return None
        try:
            return cleaned.astimezone(UTC)
        except (OverflowError, ValueError) as exc:
            raise forms.ValidationError(self.error_messages["out_of_range"], code="out_of_range") from exc


class UTCIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    """``IsoDateTimeFilter`` on :class:`UTCIsoDateTimeField`."""

    field_class = UTCIsoDateTimeField


class BoundedNumberFilter(django_filters.NumberFilter):
    """``NumberFilter`` with required bounds: ``BoundedNumberFilter(min_value=0, max_value=36_500, ...)``."""

    def __init__(self, *args: Any, min_value: float, max_value: float, **kwargs: Any) -> None:
        super().__init__(*args, min_value=min_value, max_value=max_value, **kwargs)
