"""Fairness-audit models: what to audit (definition), each execution (run) and what came out of it (finding).

Evidence packs, which read these, live in ``evidence.models`` (same table, ``audits_evidencepack``)."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from audits.choices import (
    FileFormat,
    FindingKind,
    FindingStatus,
    LegalBasis,
    RunStatus,
    RunTrigger,
    RunVerdict,
    SourceType,
    TaskType,
)
from core.models import BaseModel


def _default_sensitive() -> list[str]:
    return []


def _default_metrics() -> list[str]:
    return ["selection_rate", "true_positive_rate", "false_positive_rate"]


def cron_description(expression: str) -> str:
    """``expression`` (five cron fields) in words, e.g. "At 06:00 AM, only on Monday"; the expression itself when
    cron-descriptor cannot read it."""
    from cron_descriptor import Options, get_description  # loaded when a label is shown, not at app loading

    options = Options()
    options.use_24hour_time_format = True
    try:
        return str(get_description(expression, options))
    except Exception:  # any parse failure: show the raw expression rather than fail a page
        return expression


class AuditDefinition(BaseModel):
    """What to audit for one AI system and how (EU AI Act Art. 10(2)(f)-(g) bias examination; NYC LL144;
    EEOC four-fifths rule). Predictions-only: the audit reads model outputs, never the model.

    The data source is one of an uploaded file, a server-side file path or an HTTP(S) URL (both re-read on every
    run) or a SQL query against a database alias from ``settings.DATABASES``. The schedule (cron or interval) is
    mirrored into a django-celery-beat ``PeriodicTask`` owned by the definition (``audit_definition_schedule_sync``).
    """

    name = models.CharField(max_length=200)
    ai_system = models.ForeignKey("governance.AISystem", on_delete=models.PROTECT, related_name="audit_definitions")
    description = models.TextField(blank=True)
    model_version = models.ForeignKey(
        "governance.ModelVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_definitions",
        help_text="The registered model version whose outputs are audited (Annex IV §2(b)); each run records the "
        "version current when it was created. Register versions on the AI system.",
    )

    # --- data source -----------------------------------------------------------------------------------------
    source_type = models.CharField(max_length=10, choices=SourceType.choices, default=SourceType.UPLOAD)
    source_file = models.FileField(
        upload_to="audits/inputs/%Y/%m/",
        blank=True,
        validators=[FileExtensionValidator(["csv", "gz", "parquet"])],
        help_text="CSV, CSV.gz or Parquet with one row per model decision.",
    )
    source_path = models.CharField(
        max_length=500, blank=True, help_text="Server-side path under one of settings.AUDITS_INPUT_DIRS."
    )
    source_url = models.URLField(max_length=500, blank=True, help_text="http(s) URL, downloaded on every run.")
    source_database = models.CharField(max_length=64, blank=True, help_text="Database alias in settings.DATABASES.")
    source_query = models.TextField(blank=True, help_text="A single SELECT statement returning the mapped columns.")
    file_format = models.CharField(max_length=10, choices=FileFormat.choices, default=FileFormat.AUTO)

    # --- column mapping ----------------------------------------------------------------------------------------
    task_type = models.CharField(max_length=12, choices=TaskType.choices, default=TaskType.BINARY)
    column_y_true = models.CharField(max_length=100, default="y_true")
    column_y_pred = models.CharField(max_length=100, blank=True, default="y_pred")
    column_y_score = models.CharField(max_length=100, blank=True)
    score_threshold = models.FloatField(null=True, blank=True, help_text="Binary task with a score: ŷ = score ≥ t.")
    column_sample_weight = models.CharField(max_length=100, blank=True)
    sensitive_features = models.JSONField(
        default=_default_sensitive, blank=True, help_text='Column names, e.g. ["sex", "race"].'
    )
    column_control = models.CharField(max_length=100, blank=True, help_text="Optional control feature (strata).")
    pos_label = models.CharField(max_length=50, default="1", help_text="Label value meaning selected/positive.")

    # --- what to compute and how to judge it -------------------------------------------------------------------
    metrics = models.JSONField(
        default=_default_metrics, blank=True, help_text="Group metrics to show (fairlearn names)."
    )
    intersectional = models.BooleanField(
        default=True, help_text="Analyse the sensitive features jointly (sex x race); otherwise one at a time."
    )
    reference_group = models.CharField(
        max_length=200, blank=True, help_text="Group key (e.g. 'M,White'); default: the most favoured group."
    )
    min_group_size = models.PositiveIntegerField(default=30, help_text="Smaller groups are reported, not judged.")
    thresholds = models.JSONField(
        default=dict,
        blank=True,
        help_text='Per metric, e.g. {"impact_ratio": {"fail": 0.8, "warn": 0.9, "higher_is_better": true}}; '
        "empty = defaults (four-fifths for ratios, 0.1/0.05 for differences).",
    )
    n_boot = models.PositiveIntegerField(default=1000, help_text="Bootstrap replicates for the CIs (0 = none).")
    legal_basis = models.CharField(max_length=12, choices=LegalBasis.choices, default=LegalBasis.ART_10)

    # --- schedule ------------------------------------------------------------------------------------------------
    enabled = models.BooleanField(default=True)
    schedule_cron = models.CharField(
        max_length=100, blank=True, help_text="Crontab 'minute hour day-of-month month day-of-week', e.g. '0 6 1 * *'."
    )
    schedule_interval_minutes = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)], help_text="Alternatively: run every N minutes."
    )
    periodic_task = models.OneToOneField(
        "django_celery_beat.PeriodicTask",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_definition",
        editable=False,
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["ai_system", "name"],
                name="audits_definition_unique_name_per_system",
                violation_error_message="This AI system already has an audit definition with that name.",
            ),
            models.CheckConstraint(
                condition=models.Q(schedule_cron="") | models.Q(schedule_interval_minutes__isnull=True),
                name="audits_definition_one_schedule_kind",
                violation_error_message="Give a cron expression or an interval, not both.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.source_url and not self.source_url.lower().startswith(("http://", "https://")):
            errors["source_url"] = "Only http:// and https:// URLs are allowed."
        if not isinstance(self.sensitive_features, list) or not all(
            isinstance(c, str) and c for c in self.sensitive_features
        ):
            errors["sensitive_features"] = "A list of column names."
        if bool(self.column_y_pred) == bool(self.column_y_score):
            errors["column_y_pred"] = "Give exactly one of the prediction column and the score column."
        if self.column_y_score and self.task_type == TaskType.BINARY and self.score_threshold is None:
            errors["score_threshold"] = "A score column needs a threshold for a binary task."
        if not isinstance(self.metrics, list) or not all(isinstance(m, str) for m in self.metrics):
            errors["metrics"] = "A list of metric names."
        if not isinstance(self.thresholds, dict):
            errors["thresholds"] = "An object mapping metric names to bands."
        version = self.model_version if self.model_version_id else None
        if version is not None and self.ai_system_id and version.system_id != self.ai_system_id:
            errors["model_version"] = "This model version belongs to another AI system."
        if errors:
            raise ValidationError(errors)
        # deeper checks (metric names, threshold bands, cron syntax) live in the pure core and the services
        from audits.validation import definition_config_errors

        errors.update(definition_config_errors(self))
        if errors:
            raise ValidationError(errors)

    def missing_configuration(self) -> list[str]:
        """What a run still needs. A definition may be saved incomplete (a draft); its runs then fail with this."""
        required = {
            SourceType.UPLOAD: ("source_file",),
            SourceType.PATH: ("source_path",),
            SourceType.URL: ("source_url",),
            SourceType.SQL: ("source_database", "source_query"),
        }[SourceType(self.source_type)]
        missing = [f"{name} (for a {SourceType(self.source_type).label.lower()} source)" for name in required]
        missing = [m for name, m in zip(required, missing, strict=True) if not getattr(self, name)]
        if not self.sensitive_features:
            missing.append("sensitive_features (at least one column)")
        return missing

    @property
    def schedule_label(self) -> str:
        """The schedule as people read it: "At 06:00, only on Monday (cron 0 6 * * 1)" (cron-descriptor, which
        django-celery-beat uses for its own schedules), "every 30 min" or "manual only"."""
        if self.schedule_cron:
            return f"{cron_description(self.schedule_cron)} (cron {self.schedule_cron})"
        if self.schedule_interval_minutes:
            return f"every {self.schedule_interval_minutes} min"
        return "manual only"


class AuditRun(BaseModel):
    """One execution of an audit definition for one schedule slot (or one "run now" request).

    ``(definition, slot)`` is unique, so a beat tick delivered twice maps to the same run (get_or_create), and a
    worker only works on a run it claimed by a conditional UPDATE (PENDING -> RUNNING). The row is derived data
    whose lifecycle events go to the audit log, so it has no simple-history table.
    """

    definition = models.ForeignKey(AuditDefinition, on_delete=models.PROTECT, related_name="runs")
    slot = models.DateTimeField(help_text="Schedule slot (or request time) this run is for.")
    trigger = models.CharField(max_length=10, choices=RunTrigger.choices, default=RunTrigger.SCHEDULE)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    model_version = models.ForeignKey(
        "governance.ModelVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_runs",
        help_text="The definition's model version when the run was created: which model these outputs came from.",
    )
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.PENDING, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, help_text="Why the run failed (clear message for people).")

    input_sha256 = models.CharField(max_length=64, blank=True)
    input_bytes = models.BigIntegerField(null=True, blank=True)
    row_count = models.BigIntegerField(null=True, blank=True)
    rows_excluded = models.BigIntegerField(null=True, blank=True)
    fairlearn_version = models.CharField(max_length=20, blank=True)
    verdict = models.CharField(max_length=20, choices=RunVerdict.choices, blank=True, db_index=True)
    result = models.JSONField(null=True, blank=True, help_text="{'analyses': [FairnessResult.to_dict(), ...]}")
    notes = models.JSONField(default=list, blank=True, help_text="Data-quality notes (unknown groups, empty groups).")

    class Meta:
        ordering = ["-slot", "-id"]
        get_latest_by = "slot"
        constraints = [
            models.UniqueConstraint(
                fields=["definition", "slot"],
                name="audits_run_unique_slot_per_definition",
                violation_error_message="This audit already has a run for that slot.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.definition} @ {self.slot:%Y-%m-%d %H:%M}"

    @property
    def analyses(self) -> list[dict[str, Any]]:
        return list((self.result or {}).get("analyses", []))


class Finding(BaseModel):
    """Something an audit found that a person must act on: a newly failing verdict or a run that could not
    complete. Linked to the AI system (and the run/definition) as evidence for the Art. 10 examination record."""

    ai_system = models.ForeignKey("governance.AISystem", on_delete=models.PROTECT, related_name="audit_findings")
    definition = models.ForeignKey(AuditDefinition, on_delete=models.PROTECT, related_name="findings")
    run = models.ForeignKey(AuditRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="findings")
    kind = models.CharField(max_length=12, choices=FindingKind.choices)
    status = models.CharField(max_length=10, choices=FindingStatus.choices, default=FindingStatus.OPEN, db_index=True)
    title = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    obligation = models.CharField(max_length=100, blank=True, help_text="Legal basis the audit serves.")
    registry_obligation = models.ForeignKey(
        "governance.Obligation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_findings",
        help_text="The system's EU AI Act Art. 10 obligation in the registry, when it has one.",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


def _pack_id() -> uuid.UUID:
    """Kept for migration 0004, which references it; the model moved to ``evidence.models``."""
    return uuid.uuid4()
