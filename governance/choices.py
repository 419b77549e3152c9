from __future__ import annotations

from django.db import models


class LifecycleStage(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    PILOT = "pilot", "Pilot"
    APPROVED = "approved", "Approved"
    PRODUCTION = "production", "Production"
    SUSPENDED = "suspended", "Suspended"
    RETIRED = "retired", "Retired"
