"""Step 4 of 4 (see 0012): nothing forwards. Backwards it runs first, deleting the rows the old schema cannot hold
(direct e-mails without a channel, topics other than alerts and audit findings), before step 3 is undone."""

from django.db import migrations, models

OLD_TOPICS = ("shadow_ai_alert", "audit_finding")


def drop_rows_the_old_schema_cannot_hold(apps, schema_editor):  # type: ignore[no-untyped-def]
    delivery = apps.get_model("discovery", "Delivery")
    rows = delivery.objects.using(schema_editor.connection.alias)
    rows.filter(models.Q(channel__isnull=True) | ~models.Q(topic__in=OLD_TOPICS)).delete()


class Migration(migrations.Migration):
    dependencies = [("discovery", "0014_delivery_generic")]

    operations = [migrations.RunPython(migrations.RunPython.noop, drop_rows_the_old_schema_cannot_hold)]
