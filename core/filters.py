"""Filter fields that validate their input's range, so a query string never reaches the database as a 500.

- ``UTCIsoDateTimeFilter``: an ISO 8601 date-time converted to UTC before it is used. PostgreSQL refuses UTC
  offsets beyond ±15:59 (``DataError`` on ``?slot_after=5455-11-23T18:17:56+19:45``), and a value at the edge of
  Python's range (year 1 or 9999) cannot be converted at all: both are a 400 with a field error.
- ``BoundedNumberFilter``: a number filter whose form field has a minimum and a maximum (``?max_age_days=1e20`` is
  a 400, not an ``OverflowError`` in ``timedelta``).
- ``StrictOrderingFilter``: ``?ordering=`` naming a field the endpoint cannot order by is a 400 that lists the
  fields it can, instead of being silently ignored (DRF's ``OrderingFilter`` drops unknown terms).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter


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


class StrictOrderingFilter(OrderingFilter):
    """``OrderingFilter`` that refuses unknown terms: ``?ordering=nope`` is a 400 with ``{"ordering": [...]}``
    naming the unknown terms and the fields the endpoint orders by (a typo is not a silently unsorted page)."""

    def remove_invalid_fields(self, queryset: Any, fields: Iterable[str], view: Any, request: Any) -> list[str]:
        fields = list(fields)
        valid = [item[0] for item in self.get_valid_fields(queryset, view, {"request": request})]
        unknown = [term for term in fields if term.removeprefix("-") not in valid]
        if unknown:
            allowed = ", ".join(valid) or "none"
            names = ", ".join(repr(term) for term in unknown)
            raise ValidationError(
                {
                    self.ordering_param: [
                        f"cannot order by {names}; this endpoint orders by: {allowed} (- for descending)"
                    ]
                }
            )
        return fields
