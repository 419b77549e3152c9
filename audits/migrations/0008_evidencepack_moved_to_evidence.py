"""EvidencePack moved to the evidence app: removed from the audits *state* only.

The table (``audits_evidencepack``) and its rows stay where they are; ``evidence.0001`` takes the model over with
``db_table`` kept, and ``evidence.0002`` moves its content type (and with it the permissions and audit-log links).
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("audits", "0007_model_version_label_remove"),
        ("evidence", "0001_evidencepack_from_audits"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="EvidencePack")],
            database_operations=[],
        ),
    ]
