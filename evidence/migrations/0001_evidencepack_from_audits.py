"""EvidencePack, taken over from the audits app (state only: the table ``audits_evidencepack`` already exists).

Written by hand from the model's state at ``audits.0007``; ``audits.0008`` removes it from the audits state after
this. It has no simple-history table (lifecycle events go to the audit log), so there is no historical model to move.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import evidence.models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("audits", "0007_model_version_label_remove"),
        ("governance", "0002_registry"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="EvidencePack",
                    fields=[
                        ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "id",
                            models.UUIDField(
                                default=evidence.models._pack_id, editable=False, primary_key=True, serialize=False
                            ),
                        ),
                        ("period_start", models.DateField(blank=True, null=True)),
                        ("period_end", models.DateField(blank=True, null=True)),
                        (
                            "requested_at",
                            models.DateTimeField(
                                help_text="The pack's created-at: its data is cut off at this instant."
                            ),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("pending", "Pending"),
                                    ("building", "Building"),
                                    ("built", "Built"),
                                    ("failed", "Failed"),
                                ],
                                db_index=True,
                                default="pending",
                                max_length=10,
                            ),
                        ),
                        (
                            "progress",
                            models.PositiveSmallIntegerField(default=0, help_text="Percent done while building."),
                        ),
                        ("progress_step", models.CharField(blank=True, max_length=100)),
                        ("attempts", models.PositiveIntegerField(default=0)),
                        ("built_at", models.DateTimeField(blank=True, null=True)),
                        ("error", models.TextField(blank=True)),
                        (
                            "sha256",
                            models.CharField(blank=True, help_text="SHA-256 of the stored ZIP.", max_length=64),
                        ),
                        ("size", models.BigIntegerField(blank=True, help_text="Bytes.", null=True)),
                        (
                            "storage_key",
                            models.CharField(blank=True, help_text="Name in the default storage.", max_length=500),
                        ),
                        (
                            "key_id",
                            models.CharField(
                                blank=True, help_text="Id of the Ed25519 key that signed the manifest.", max_length=32
                            ),
                        ),
                        ("law_version", models.CharField(blank=True, max_length=60)),
                        (
                            "timestamped",
                            models.BooleanField(default=False, help_text="Carries an RFC 3161 trusted timestamp."),
                        ),
                        (
                            "ai_system",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="evidence_packs",
                                to="governance.aisystem",
                            ),
                        ),
                        (
                            "audit_run",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="evidence_packs",
                                to="audits.auditrun",
                            ),
                        ),
                        (
                            "requested_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "audits_evidencepack",
                        "ordering": ["-requested_at", "-created_at"],
                        "permissions": [
                            ("download_evidencepack", "Can download evidence packs"),
                            ("request_evidencepack", "Can request evidence packs"),
                        ],
                        "get_latest_by": "requested_at",
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(
                                    models.Q(("period_start__isnull", True), ("period_end__isnull", True)),
                                    models.Q(
                                        ("period_start__isnull", False),
                                        ("period_end__isnull", False),
                                        ("period_end__gte", models.F("period_start")),
                                    ),
                                    _connector="OR",
                                ),
                                name="audits_evidencepack_period_complete",
                                violation_error_message=(
                                    "Give both period dates, the end on or after the start, or neither."
                                ),
                            )
                        ],
                    },
                ),
            ],
        ),
    ]
