"""Choices of the audits app. String values are stored and returned by the API: add, never rename."""

from __future__ import annotations

from django.db import models


class TaskType(models.TextChoices):
    BINARY = "binary", "Binary classification"
    REGRESSION = "regression", "Regression / score"


class SourceType(models.TextChoices):
    UPLOAD = "upload", "Uploaded file"
    PATH = "path", "File path (polled on schedule)"
    URL = "url", "HTTP(S) URL (polled on schedule)"
    SQL = "sql", "SQL query against a configured database"


class FileFormat(models.TextChoices):
    AUTO = "auto", "Detect from content"
    CSV = "csv", "CSV"
    CSV_GZ = "csv.gz", "CSV, gzip-compressed"
    PARQUET = "parquet", "Parquet"


class LegalBasis(models.TextChoices):
    """Mirrors ``audits.metrics.LegalBasis`` (values identical)."""

    ART_10 = "art_10", "EU AI Act Art. 10(2)(f)-(g)"
    LL144 = "ll144", "NYC Local Law 144"
    FOUR_FIFTHS = "four_fifths", "EEOC four-fifths rule"
    INTERNAL = "internal", "Internal policy"


class RunStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class RunTrigger(models.TextChoices):
    SCHEDULE = "schedule", "Schedule"
    MANUAL = "manual", "Run now"
    COMMAND = "command", "Management command"
    DEMO = "demo", "Demo data"


class RunVerdict(models.TextChoices):
    """Mirrors ``audits.metrics.Verdict`` for the overall verdict of a run."""

    PASS = "pass", "Pass"
    WARN = "warn", "Warn"
    FAIL = "fail", "Fail"
    INSUFFICIENT_DATA = "insufficient_data", "Insufficient data"


class FindingKind(models.TextChoices):
    FAILING = "failing", "Audit verdict is failing"
    RUN_ERROR = "run_error", "Audit run could not complete"


class FindingStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"
