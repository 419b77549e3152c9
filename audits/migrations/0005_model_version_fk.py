"""AuditDefinition.model_version: free text -> a link to the registry's governance.ModelVersion; runs record theirs.

Existing free-text versions are kept: each becomes (or is matched to) a ModelVersion of the definition's AI system,
and existing runs and history rows point at it (0006). Schema, data and removal of the old column are three
migrations so PostgreSQL never alters a table with pending deferred-constraint checks.
"""

import django.db.models.deletion
from django.db import migrations, models

HELP_DEFINITION = (
    "The registered model version whose outputs are audited (Annex IV §2(b)); each run records the version current "
    "when it was created. Register versions on the AI system."
)
HELP_RUN = "The definition's model version when the run was created: which model these outputs came from."


class Migration(migrations.Migration):
    dependencies = [
        ("audits", "0004_evidence_pack"),
        ("governance", "0002_registry"),
    ]

    operations = [
        migrations.RenameField("auditdefinition", "model_version", "model_version_label"),
        migrations.RenameField("historicalauditdefinition", "model_version", "model_version_label"),
        migrations.AddField(
            model_name="auditdefinition",
            name="model_version",
            field=models.ForeignKey(
                blank=True,
                help_text=HELP_DEFINITION,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="audit_definitions",
                to="governance.modelversion",
            ),
        ),
        migrations.AddField(
            model_name="historicalauditdefinition",
            name="model_version",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                help_text=HELP_DEFINITION,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="governance.modelversion",
            ),
        ),
        migrations.AddField(
            model_name="auditrun",
            name="model_version",
            field=models.ForeignKey(
                blank=True,
                help_text=HELP_RUN,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="audit_runs",
                to="governance.modelversion",
            ),
        ),
    ]
