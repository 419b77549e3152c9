"""Move the content types of the alert models from ``discovery`` to ``alerts`` (a data migration; see
``core.db.content_types``): permissions and role grants (``discovery.change_alert`` becomes
``alerts.change_alert``), audit-log entries about alerts and silences, admin log entries, and the targets of alert
notifications in the outbox keep pointing at the right rows. Reversible (the same move back).
"""

from django.db import migrations

from core.db.content_types import content_type_move

MODELS = (
    "alertrule",
    "alert",
    "alertcomment",
    "silence",
    "historicalalertrule",
    "historicalalert",
    "historicalsilence",
)


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    for model in MODELS:
        content_type_move(apps, schema_editor, model=model, source="discovery", target="alerts")


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    for model in MODELS:
        content_type_move(apps, schema_editor, model=model, source="alerts", target="discovery")


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0001_alerts_from_discovery"),
        ("discovery", "0016_alerts_notifications_moved_out"),
        ("notifications", "0002_content_types_from_discovery"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("core", "0005_audit_event_types_alerts_app"),
        ("admin", "0003_logentry_add_action_flag_choices"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
