"""Choices of the AI-system registry (TextChoices, one per enumerated field)."""

from __future__ import annotations

from django.db import models


class LifecycleStage(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    PILOT = "pilot", "Pilot"
    APPROVED = "approved", "Approved"
    PRODUCTION = "production", "Production"
    SUSPENDED = "suspended", "Suspended"
    RETIRED = "retired", "Retired"


class RiskClass(models.TextChoices):
    """EU AI Act risk class (Art. 5 prohibited, Art. 6 high, Art. 50 limited, minimal, Art. 2 out of scope).

    Values equal :class:`governance.classification.RiskClass`; the empty string means "not classified yet".
    """

    PROHIBITED = "prohibited", "Prohibited (Art. 5)"
    HIGH = "high", "High risk (Art. 6)"
    LIMITED = "limited", "Limited risk (Art. 50)"
    MINIMAL = "minimal", "Minimal risk"
    OUT_OF_SCOPE = "out_of_scope", "Out of scope (Art. 2 / 3(1))"


class ClassificationStatus(models.TextChoices):
    """Whether the questionnaire answers were enough for the class (values equal classification.ClassificationStatus).

    ``incomplete``: an answer left unknown would change the class or the obligations; the record lists the open
    questions and the class the system is at least. The empty string means "not classified yet".
    """

    COMPLETE = "complete", "Complete"
    INCOMPLETE = "incomplete", "Incomplete (open questions)"


class OperatorRole(models.TextChoices):
    """Operator roles of the organisation for a system (Art. 3(3)-(8)); values equal classification.Role."""

    PROVIDER = "provider", "Provider"
    DEPLOYER = "deployer", "Deployer"
    IMPORTER = "importer", "Importer"
    DISTRIBUTOR = "distributor", "Distributor"
    PRODUCT_MANUFACTURER = "product_manufacturer", "Product manufacturer"
    AUTHORISED_REPRESENTATIVE = "authorised_representative", "Authorised representative"


class Sourcing(models.TextChoices):
    INTERNAL = "internal", "Built internally"
    THIRD_PARTY = "third_party", "Third-party"


class Deployment(models.TextChoices):
    CLOUD = "cloud", "Cloud"
    ON_PREM = "on_prem", "On-premises"
    HYBRID = "hybrid", "Hybrid"


class ObligationStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


#: statuses that still need work (an obligation in one of these is "open" for the production gate and reminders)
OPEN_OBLIGATION_STATUSES = (ObligationStatus.OPEN, ObligationStatus.IN_PROGRESS)
