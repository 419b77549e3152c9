"""Registry models: AI systems (EU AI Act Art. 3(1)), their model versions, classification records, the obligations
checklist and the reminders sent about it."""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from core.models import BaseModel
from governance.choices import (
    OPEN_OBLIGATION_STATUSES,
    ClassificationStatus,
    Deployment,
    LifecycleStage,
    ObligationStatus,
    OperatorRole,
    RiskClass,
    Sourcing,
)


def _validate_roles(value: Any) -> None:
    allowed = set(OperatorRole.values)
    if not isinstance(value, list) or any(v not in allowed for v in value) or len(set(value)) != len(value):
        raise ValidationError(f"Roles must be a list of distinct values from {sorted(allowed)}.")


def _validate_string_list(value: Any) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValidationError("Must be a list of non-empty strings.")


def _validate_facts(value: Any) -> None:
    from governance.classification import FactsValidationError, facts_from_dict

    if not isinstance(value, dict):
        raise ValidationError("Facts must be a JSON object.")
    try:
        facts_from_dict(value)
    except FactsValidationError as exc:
        raise ValidationError(exc.errors) from exc


class AISystemQuerySet(models.QuerySet["AISystem"]):
    def with_role(self, role: str) -> AISystemQuerySet:
        # roles is a JSON list; matching the quoted value works on SQLite and PostgreSQL alike
        return self.filter(roles__icontains=f'"{role}"')

    def with_overdue_obligations(self, *, today: Any = None) -> AISystemQuerySet:
        today = today or timezone.localdate()
        return self.filter(
            obligations__is_current=True,
            obligations__status__in=OPEN_OBLIGATION_STATUSES,
            obligations__due_date__lt=today,
        ).distinct()


class AISystem(BaseModel):
    """One AI system in the inventory (Art. 3(1)); the unit that is classified, audited and gated.

    ``facts`` holds the classification questionnaire (validated by ``governance.classification.facts_from_dict``);
    ``roles`` the organisation's operator roles (Art. 3(3)-(8)), copied into the facts when classifying;
    ``risk_class`` is the class of the latest classification record (empty: never classified) and
    ``classification_status`` whether that record was complete or left questions open that would change it (an
    answer "unknown"; the record's ``result`` lists them with the class the system is at least). Every change is
    recorded by django-simple-history (who, when, before/after, reason).
    """

    name = models.CharField(max_length=200, unique=True)
    purpose = models.TextField(help_text="What the system does, in plain words (its intended purpose, Art. 3(12)).")
    business_unit = models.CharField(max_length=120, blank=True)
    business_owner = models.CharField(max_length=120, blank=True)
    technical_owner = models.CharField(max_length=120, blank=True)
    lifecycle_stage = models.CharField(
        max_length=20, choices=LifecycleStage.choices, default=LifecycleStage.PROPOSED, db_index=True
    )
    vendor = models.CharField(max_length=200, blank=True, help_text="Vendor or provider of a third-party system.")
    sourcing = models.CharField(max_length=20, choices=Sourcing.choices, default=Sourcing.INTERNAL)
    deployment = models.CharField(max_length=20, choices=Deployment.choices, default=Deployment.CLOUD)
    data_location = models.CharField(
        max_length=120, blank=True, help_text="Where data is processed, e.g. 'EU (Frankfurt)'."
    )
    personal_data_categories = models.JSONField(
        default=list, blank=True, validators=[_validate_string_list], help_text="e.g. ['contact data', 'CV']"
    )
    affected_persons = models.TextField(
        blank=True, help_text="Who is affected by the outputs (applicants, customers...)."
    )
    roles = models.JSONField(
        default=list,
        blank=True,
        validators=[_validate_roles],
        help_text="The organisation's roles for this system (Art. 3(3)-(8)); several allowed.",
    )
    facts = models.JSONField(
        default=dict, blank=True, validators=[_validate_facts], help_text="EU AI Act classification questionnaire."
    )
    risk_class = models.CharField(max_length=20, choices=RiskClass.choices, blank=True, db_index=True)
    classification_status = models.CharField(
        max_length=20,
        choices=ClassificationStatus.choices,
        blank=True,
        default="",
        db_default="",  # rows written by code that predates the field (older migrations' models) stay valid
        db_index=True,
        help_text="Incomplete: an answer left unknown would change the class or the obligations.",
    )
    classified_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()
    objects = AISystemQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = "AI system"

    def __str__(self) -> str:
        return self.name


class ModelVersion(BaseModel):
    """One released version of the model behind a system (Art. 11/Annex IV technical documentation inputs)."""

    system = models.ForeignKey(AISystem, on_delete=models.CASCADE, related_name="model_versions")
    version = models.CharField(max_length=60)
    artifact_uri = models.CharField(max_length=500, blank=True, help_text="e.g. s3://models/cv-rank/1.4.0")
    base_model = models.CharField(max_length=200, blank=True, help_text="Base or GPAI model it builds on (Art. 3(63)).")
    training_compute_flop = models.FloatField(
        null=True,
        blank=True,
        help_text="Cumulative training compute in FLOP (Art. 51(2): 10^25 presumes systemic risk).",
    )
    release_date = models.DateField(null=True, blank=True)
    intended_use_notes = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["system", "-release_date", "-id"]
        constraints = [models.UniqueConstraint(fields=["system", "version"], name="governance_modelversion_unique")]

    def __str__(self) -> str:
        return f"{self.system} {self.version}"


class ImmutableRecord(Exception):
    """Raised when code tries to change or delete a classification record."""


class ClassificationRecordQuerySet(models.QuerySet["ClassificationRecord"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise ImmutableRecord("classification records cannot be changed")

    def delete(self) -> NoReturn:
        raise ImmutableRecord("classification records cannot be deleted")


class ClassificationRecord(models.Model):
    """One run of the EU AI Act engine for one system: facts, law version, as-of date, result and who ran it.

    Append-only evidence (no history table): ``save()`` refuses updates and ``delete()`` refuses, as do the queryset,
    the admin and the API. ``diff`` compares with the system's previous record (``diff_results``).
    """

    system = models.ForeignKey(AISystem, on_delete=models.PROTECT, related_name="classification_records")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    law_version = models.CharField(max_length=40)
    as_of = models.DateField()
    facts = models.JSONField()
    result = models.JSONField()
    risk_class = models.CharField(max_length=20, choices=RiskClass.choices, db_index=True)
    status = models.CharField(
        max_length=20,
        choices=ClassificationStatus.choices,
        default=ClassificationStatus.COMPLETE,
        db_default=ClassificationStatus.COMPLETE,
        db_index=True,
        help_text="Incomplete: the result lists the open questions that would change it.",
    )
    diff = models.JSONField(null=True, blank=True, help_text="Changes against the previous record (None: first run).")
    changed = models.BooleanField(default=True, help_text="Class, roles, flags or obligations differ from before.")

    objects = ClassificationRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        get_latest_by = ["created_at", "id"]

    def __str__(self) -> str:
        status = "" if self.status == ClassificationStatus.COMPLETE else f" ({self.status})"
        return f"{self.system} · {self.risk_class}{status} · {self.law_version} · {self.as_of}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ImmutableRecord("classification records cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise ImmutableRecord("classification records cannot be deleted")

    @property
    def summary(self) -> str:
        """The class in one line as the engine put it (``"at least limited; high if ..."`` when incomplete)."""
        return str(self.result.get("summary") or self.risk_class)

    @property
    def open_questions(self) -> list[dict[str, Any]]:
        """The unknown answers that would change this result, as stored (question, title, answer, class, ...)."""
        return list(self.result.get("open_questions") or [])


class Obligation(BaseModel):
    """One duty from the classification result (article, one-line duty, applies-from, deadline/retention text),
    tracked as a checklist item: status, owner, due date and evidence.

    ``obligation_id`` is the engine's catalogue id (e.g. ``"art-73"``); with ``system`` it is the natural key, so
    reclassification updates the legal text in place and keeps status, owner, due date and evidence. Items that no
    longer apply are kept with ``is_current=False``.
    """

    system = models.ForeignKey(AISystem, on_delete=models.CASCADE, related_name="obligations")
    obligation_id = models.CharField(max_length=60)
    article = models.CharField(max_length=60)
    duty = models.TextField()
    roles = models.JSONField(default=list, blank=True)
    applies_from = models.DateField()
    deadline_text = models.CharField(max_length=300, blank=True)
    verified = models.BooleanField(default=True, help_text="False when the law data for it is marked unverified.")
    is_current = models.BooleanField(default=True, help_text="Still required by the latest classification.")
    status = models.CharField(max_length=20, choices=ObligationStatus.choices, default=ObligationStatus.OPEN)
    not_applicable_reason = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="governance_obligations",
    )
    due_date = models.DateField(null=True, blank=True, db_index=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["system", "applies_from", "article"]
        constraints = [
            models.UniqueConstraint(fields=["system", "obligation_id"], name="governance_obligation_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.article}: {self.duty[:60]}"

    def clean(self) -> None:
        if self.status == ObligationStatus.NOT_APPLICABLE and not self.not_applicable_reason.strip():
            raise ValidationError({"not_applicable_reason": "Give the reason why this obligation does not apply."})

    @property
    def is_overdue(self) -> bool:
        return bool(
            self.is_current
            and self.status in OPEN_OBLIGATION_STATUSES
            and self.due_date is not None
            and self.due_date < timezone.localdate()
        )


def _evidence_upload_to(instance: ObligationEvidence, filename: str) -> str:
    return f"governance/evidence/{instance.obligation_id}/{filename}"


class ObligationEvidence(BaseModel):
    """A link or an uploaded file that shows an obligation was met (Art. 17 quality-management records)."""

    obligation = models.ForeignKey(Obligation, on_delete=models.CASCADE, related_name="evidence")
    description = models.CharField(max_length=200, blank=True)
    url = models.URLField(max_length=500, blank=True)
    file = models.FileField(upload_to=_evidence_upload_to, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["obligation", "id"]
        verbose_name_plural = "obligation evidence"

    def __str__(self) -> str:
        return self.description or self.url or (str(self.file.name) if self.file else f"evidence {self.pk}")

    def clean(self) -> None:
        if not self.url and not self.file:
            raise ValidationError("Give a URL or upload a file.")


class ObligationReminder(models.Model):
    """A reminder email sent about one obligation, due date and window (append-only; the unique key makes the beat
    job idempotent: a second run for the same obligation, due date and window sends nothing)."""

    obligation = models.ForeignKey(Obligation, on_delete=models.CASCADE, related_name="reminders")
    due_date = models.DateField()
    window_days = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(default=timezone.now)
    recipients = models.JSONField(default=list)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["obligation", "due_date", "window_days"], name="governance_obligationreminder_unique"
            )
        ]

    def __str__(self) -> str:
        return f"reminder {self.obligation_id} due {self.due_date} ({self.window_days} d)"
