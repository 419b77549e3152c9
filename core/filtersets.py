from __future__ import annotations

import django_filters
from django.utils.choices import CallableChoiceIterator

from core.events import event_type_choices
from core.filters import UTCIsoDateTimeFilter
from core.models import AuditLogEntry


class AuditLogEntryFilterSet(django_filters.FilterSet):
    event_time_after = UTCIsoDateTimeFilter(field_name="event_time", lookup_expr="gte")
    event_time_before = UTCIsoDateTimeFilter(field_name="event_time", lookup_expr="lt")
    # Read from the registry on each use (so every app's declarations are in); not a bare callable, so that
    # drf-spectacular lists the names as the parameter's enum in the schema.
    event_type = django_filters.ChoiceFilter(
        choices=CallableChoiceIterator(event_type_choices),
        help_text="One of the registered audit-log event types (core/events.py), named '<app>.<entity>.<verb>'.",
    )
    target_type = django_filters.CharFilter(method="filter_target_type", help_text="app_label.model")

    class Meta:
        model = AuditLogEntry
        fields = ["acting_user", "target_object_id"]

    def filter_target_type(self, queryset, name, value):
        app_label, _, model = value.partition(".")
        return queryset.filter(target_content_type__app_label=app_label, target_content_type__model=model)
