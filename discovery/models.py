"""Shadow-AI discovery models."""

from __future__ import annotations

from django.db import models
from simple_history.models import HistoricalRecords

from core.models import BaseModel


class LogSource(BaseModel):
    """A proxy, firewall or sensor whose logs are ingested (one format, one time zone, one identity mapping)."""

    name = models.CharField(max_length=120, unique=True)
    log_format = models.CharField(max_length=40, help_text="Parser name, e.g. squid, zscaler, zeek; blank = detect.")
    time_zone = models.CharField(max_length=64, default="UTC")
    description = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
