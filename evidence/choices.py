"""Choices of the evidence app."""

from __future__ import annotations

from django.db import models


class EvidencePackStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    BUILDING = "building", "Building"
    BUILT = "built", "Built"
    FAILED = "failed", "Failed"
