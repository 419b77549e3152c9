"""Registry models: the AI systems the organisation builds or uses (EU AI Act Art. 3(1) 'AI system')."""

from __future__ import annotations

from django.db import models
from simple_history.models import HistoricalRecords

from core.models import BaseModel
from governance.choices import LifecycleStage


class AISystem(BaseModel):
    """One AI system in the inventory (Art. 3(1)); the unit that is classified, audited and gated.

    Every change is recorded by django-simple-history (who, when, before/after, reason), which is the registry's
    audit trail for Art. 12/17-style accountability.
    """

    name = models.CharField(max_length=200, unique=True)
    purpose = models.TextField(help_text="What the system does, in plain words (its intended purpose, Art. 3(12)).")
    business_unit = models.CharField(max_length=120, blank=True)
    business_owner = models.CharField(max_length=120, blank=True)
    technical_owner = models.CharField(max_length=120, blank=True)
    lifecycle_stage = models.CharField(
        max_length=20, choices=LifecycleStage.choices, default=LifecycleStage.PROPOSED, db_index=True
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = "AI system"

    def __str__(self) -> str:
        return self.name
