"""Drop the free-text model version column now that 0006 linked it to governance.ModelVersion."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("audits", "0006_model_version_link")]

    operations = [
        migrations.RemoveField("auditdefinition", "model_version_label"),
        migrations.RemoveField("historicalauditdefinition", "model_version_label"),
    ]
