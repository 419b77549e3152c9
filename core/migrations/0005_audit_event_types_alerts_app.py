"""Rename the audit-log event types of alerting and the outbox, written while both lived in the discovery app, to
the names of their new apps (``discovery.alert.raised`` -> ``alerts.alert.raised``,
``discovery.alert_delivery.dead_lettered`` -> ``notifications.delivery.dead_lettered``, ...).

The mapping is ``core.events.RENAMED_2026_ALERTS_APP`` (frozen; injective, so this migration reverses exactly).
Only the type label changes; one ``core.audit_log.event_types_renamed`` entry records which names and how many
rows, as in 0004.
"""

from typing import Any

from django.db import migrations

from core.events import RENAMED_2026_ALERTS_APP

RENAMED_EVENT = "core.audit_log.event_types_renamed"


def _rename(apps: Any, mapping: dict[str, str], direction: str) -> None:
    entry = apps.get_model("core", "AuditLogEntry")
    counts = {old: entry.objects.filter(event_type=old).update(event_type=new) for old, new in mapping.items()}
    counts = {old: n for old, n in counts.items() if n}
    if counts:
        entry.objects.create(
            event_type=RENAMED_EVENT,
            reason="alerting and notifications moved out of the discovery app",
            extra_data={
                "migration": "core.0005_audit_event_types_alerts_app",
                "direction": direction,
                "renamed": {old: {"to": mapping[old], "rows": n} for old, n in sorted(counts.items())},
            },
        )


def forward(apps: Any, schema_editor: Any) -> None:
    _rename(apps, RENAMED_2026_ALERTS_APP, "forward")


def backward(apps: Any, schema_editor: Any) -> None:
    _rename(apps, {new: old for old, new in RENAMED_2026_ALERTS_APP.items()}, "backward")


class Migration(migrations.Migration):
    dependencies = [("core", "0004_audit_event_types_one_style")]

    operations = [migrations.RunPython(forward, backward)]
