"""Demo discovery data for `manage.py demo`. Idempotent."""

from __future__ import annotations

from typing import Any

from discovery.models import LogSource
from discovery.services import log_source_create


def load(*, users: dict[str, Any]) -> None:
    """Create the demo log sources as the security analyst ``sam``."""
    if not LogSource.objects.filter(name="HQ Squid proxy").exists():
        log_source_create(
            actor=users["sam"], reason="demo data", data={"name": "HQ Squid proxy", "log_format": "squid"}
        )
