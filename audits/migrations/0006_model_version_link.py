"""Link each definition's free-text model version to a governance.ModelVersion (created when missing)."""

from django.db import migrations


def link_versions(apps, schema_editor):
    AuditDefinition = apps.get_model("audits", "AuditDefinition")
    HistoricalAuditDefinition = apps.get_model("audits", "HistoricalAuditDefinition")
    AuditRun = apps.get_model("audits", "AuditRun")
    ModelVersion = apps.get_model("governance", "ModelVersion")
    for definition in AuditDefinition.objects.exclude(model_version_label=""):
        version, _ = ModelVersion.objects.get_or_create(
            system_id=definition.ai_system_id, version=definition.model_version_label.strip()[:60]
        )
        AuditDefinition.objects.filter(pk=definition.pk).update(model_version=version)
        AuditRun.objects.filter(definition_id=definition.pk).update(model_version=version)
    for row in HistoricalAuditDefinition.objects.exclude(model_version_label="").iterator():
        version = ModelVersion.objects.filter(
            system_id=row.ai_system_id, version=row.model_version_label.strip()[:60]
        ).first()
        if version is not None:
            HistoricalAuditDefinition.objects.filter(pk=row.pk).update(model_version=version)


def unlink_versions(apps, schema_editor):
    for name in ("AuditDefinition", "HistoricalAuditDefinition"):
        model = apps.get_model("audits", name)
        for row in model.objects.exclude(model_version=None).select_related("model_version").iterator():
            model.objects.filter(pk=row.pk).update(model_version_label=row.model_version.version)


class Migration(migrations.Migration):
    dependencies = [("audits", "0005_model_version_fk")]

    operations = [migrations.RunPython(link_versions, unlink_versions)]
