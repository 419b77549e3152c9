"""Evidence-pack models: one row per requested pack (its bytes live in the default storage).

The model moved here from ``audits`` (migrations ``audits.0008`` and ``evidence.0001``, state only): its table is
still ``audits_evidencepack`` and its permissions moved with its content type (``evidence.0002``).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.text import slugify

from core.models import BaseModel
from evidence.choices import EvidencePackStatus


def _pack_id() -> uuid.UUID:
    return uuid.uuid4()


class EvidencePack(BaseModel):
    """A signed, reproducible evidence pack (ZIP) for one AI system and optional period, or for one audit run.

    Requested by a compliance officer, built once by a Celery task (``evidence_pack_build``) and then immutable:
    the stored bytes are never rebuilt in place; their SHA-256, size, storage key and signing key id are recorded
    here, and every download goes to the audit log (EU AI Act Art. 12/17 record-keeping, Art. 18 documentation
    keeping). A new pack for the same scope is a new row with a new id. Lifecycle events go to the audit log, so
    the row has no simple-history table.
    """

    id = models.UUIDField(primary_key=True, default=_pack_id, editable=False)
    ai_system = models.ForeignKey("governance.AISystem", on_delete=models.PROTECT, related_name="evidence_packs")
    audit_run = models.ForeignKey(
        "audits.AuditRun", null=True, blank=True, on_delete=models.PROTECT, related_name="evidence_packs"
    )
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(help_text="The pack's created-at: its data is cut off at this instant.")
    status = models.CharField(
        max_length=10, choices=EvidencePackStatus.choices, default=EvidencePackStatus.PENDING, db_index=True
    )
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done while building.")
    progress_step = models.CharField(max_length=100, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    built_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    sha256 = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the stored ZIP.")
    size = models.BigIntegerField(null=True, blank=True, help_text="Bytes.")
    storage_key = models.CharField(max_length=500, blank=True, help_text="Name in the default storage.")
    key_id = models.CharField(max_length=32, blank=True, help_text="Id of the Ed25519 key that signed the manifest.")
    law_version = models.CharField(max_length=60, blank=True)
    timestamped = models.BooleanField(default=False, help_text="Carries an RFC 3161 trusted timestamp.")

    class Meta:
        db_table = "audits_evidencepack"  # the table of the days the model lived in audits: data stays put
        ordering = ["-requested_at", "-created_at"]
        get_latest_by = "requested_at"
        permissions = [
            ("download_evidencepack", "Can download evidence packs"),
            ("request_evidencepack", "Can request evidence packs"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(period_start__isnull=True) & models.Q(period_end__isnull=True))
                | (
                    models.Q(period_start__isnull=False)
                    & models.Q(period_end__isnull=False)
                    & models.Q(period_end__gte=models.F("period_start"))
                ),
                name="audits_evidencepack_period_complete",
                violation_error_message="Give both period dates, the end on or after the start, or neither.",
            )
        ]

    def __str__(self) -> str:
        scope = f"run {self.audit_run_id}" if self.audit_run_id else self.period_label
        return f"Evidence pack {str(self.pk)[:8]} · {self.ai_system} · {scope}"

    @property
    def period_label(self) -> str:
        if self.period_start and self.period_end:
            return f"{self.period_start:%Y-%m-%d} to {self.period_end:%Y-%m-%d}"
        return "all time"

    @property
    def filename(self) -> str:
        """The download name: ``evidence-pack-<system>-<scope>-<id8>.zip`` (safe characters only)."""
        system = slugify(self.ai_system.name)[:40] or "system"
        if self.audit_run_id:
            scope = f"run-{self.audit_run_id}"
        elif self.period_start and self.period_end:
            scope = f"{self.period_start:%Y%m%d}-{self.period_end:%Y%m%d}"
        else:
            scope = f"to-{self.requested_at:%Y%m%d}"
        return f"evidence-pack-{system}-{scope}-{str(self.pk)[:8]}.zip"
