"""Data only: systems classified before the status existed were classified with every answer given (an unanswered
question was then stored as "no"), so their status is ``complete``. Kept apart from 0003's ALTER TABLE: PostgreSQL
refuses schema changes in a transaction with pending trigger events from updated rows."""

from django.db import migrations


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    for name in ("AISystem", "HistoricalAISystem"):
        model = apps.get_model("governance", name)
        model.objects.exclude(risk_class="").filter(classification_status="").update(classification_status="complete")


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    for name in ("AISystem", "HistoricalAISystem"):
        apps.get_model("governance", name).objects.update(classification_status="")


class Migration(migrations.Migration):
    dependencies = [("governance", "0003_classification_status")]

    operations = [migrations.RunPython(forwards, backwards)]
