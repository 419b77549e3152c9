"""Rename the audit-log event types written before the registry (``core.events``) to its one naming style,
``<app>.<entity>.<verb>`` (``audit_run.retried`` -> ``audits.audit_run.retried``, ``governance.classify`` ->
``governance.ai_system.classified``, ``evidence_pack.downloaded`` -> ``evidence.pack.downloaded``, ...).

The mapping is ``core.events.RENAMED_2026_ONE_STYLE`` (frozen; injective, so this migration reverses exactly).
Only the type label changes; when rows were relabelled, one ``core.audit_log.event_types_renamed`` entry records
which names and how many rows, so the trail shows its own relabelling (a reversal records itself the same way).
"""

from typing import Any

from django.db import migrations

from core.events import RENAMED_2026_ONE_STYLE

RENAMED_EVENT = "core.audit_log.event_types_renamed"


def _rename(apps: Any, mapping: dict[str, str], direction: str) -> None:
    entry = apps.get_model("core", "AuditLogEntry")
    counts = {old: entry.objects.filter(event_type=old).update(event_type=new) for old, new in mapping.items()}
    counts = {old: n for old, n in counts.items() if n}
    if counts:
        entry.objects.create(
            event_type=RENAMED_EVENT,
            reason="audit-log event types renamed to one style: <app>.<entity>.<verb>",
            extra_data={
                "migration": "core.0004_audit_event_types_one_style",
                "direction": direction,
                "renamed": {old: {"to": mapping[old], "rows": n} for old, n in sorted(counts.items())},
            },
        )


def forward(apps: Any, schema_editor: Any) -> None:
    _rename(apps, RENAMED_2026_ONE_STYLE, "forward")


def backward(apps: Any, schema_editor: Any) -> None:
    _rename(apps, {new: old for old, new in RENAMED_2026_ONE_STYLE.items()}, "backward")


class Migration(migrations.Migration):
    dependencies = [("core", "0003_privacy_acting_username")]

    operations = [migrations.RunPython(forward, backward)]
