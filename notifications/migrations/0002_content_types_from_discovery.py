"""Move the content types of Channel, Delivery and Channel's history from ``discovery`` to ``notifications`` (a
data migration; see ``core.db.content_types``): permissions and role grants (``discovery.change_delivery`` becomes
``notifications.change_delivery``), audit-log and admin log entries keep pointing at the right rows. Reversible.
"""

from django.db import migrations

from core.db.content_types import content_type_move

MODELS = ("channel", "delivery", "historicalchannel")


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    for model in MODELS:
        content_type_move(apps, schema_editor, model=model, source="discovery", target="notifications")


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    for model in MODELS:
        content_type_move(apps, schema_editor, model=model, source="notifications", target="discovery")


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_outbox_from_discovery"),
        ("discovery", "0016_alerts_notifications_moved_out"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("core", "0005_audit_event_types_alerts_app"),
        ("admin", "0003_logentry_add_action_flag_choices"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
