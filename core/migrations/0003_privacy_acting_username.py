"""Keep the actor's name on every audit-log entry (the FK is SET_NULL when an account is deleted); backfill."""

from typing import Any

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def backfill(apps: Any, schema_editor: Any) -> None:
    from django.conf import settings

    entry = apps.get_model("core", "AuditLogEntry")
    user = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    name_field = getattr(user, "USERNAME_FIELD", "username")
    entry.objects.filter(acting_user__isnull=False).update(
        acting_username=Subquery(user.objects.filter(pk=OuterRef("acting_user_id")).values(name_field)[:1])
    )


class Migration(migrations.Migration):
    dependencies = [("core", "0002_roles")]

    operations = [
        migrations.AddField(
            model_name="auditlogentry",
            name="acting_username",
            field=models.CharField(blank=True, db_index=True, max_length=150),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
