"""Fairness-audit models."""

from __future__ import annotations

from django.db import models
from simple_history.models import HistoricalRecords

from core.models import BaseModel


class AuditDefinition(BaseModel):
    """What to audit for one AI system and how (EU AI Act Art. 10(2)(f)-(g) bias examination; NYC LL144)."""

    name = models.CharField(max_length=200)
    ai_system = models.ForeignKey("governance.AISystem", on_delete=models.PROTECT, related_name="audit_definitions")
    description = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["ai_system", "name"],
                name="audits_definition_unique_name_per_system",
                violation_error_message="This AI system already has an audit definition with that name.",
            )
        ]

    def __str__(self) -> str:
        return self.name
