from __future__ import annotations

import django_filters

from discovery.models import LogSource


class LogSourceFilterSet(django_filters.FilterSet):
    class Meta:
        model = LogSource
        fields = ["log_format", "time_zone"]
