from __future__ import annotations

from rest_framework import serializers

from discovery.models import LogSource


class LogSourceSerializer(serializers.ModelSerializer[LogSource]):
    class Meta:
        model = LogSource
        fields = ["id", "name", "log_format", "time_zone", "description", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]
