"""Moving a model's content type from one app label to another, for the data migration that follows a model moved
between apps with ``SeparateDatabaseAndState`` (``db_table`` kept).

The row is relabelled in place, so everything that points at it keeps working: the permissions (the default four
and custom ones) with their group and per-user grants, audit-log entries (``core.AuditLogEntry.target_content_type``),
admin log entries and generic foreign keys such as a notification delivery's target. If both rows exist (the new one
created by an earlier ``migrate`` before the data migration ran), the old one is kept and the new one's grants and
links are folded into it. ``core.roles`` then re-syncs the role groups after ``migrate``.
"""

from __future__ import annotations

from typing import Any

#: (app label, model, field) of generic links to a content type that the move must carry over
LINKS = (
    ("core", "AuditLogEntry", "target_content_type"),
    ("admin", "LogEntry", "content_type"),
    ("notifications", "Delivery", "target_content_type"),
)


def content_type_move(apps: Any, schema_editor: Any, *, model: str, source: str, target: str) -> None:
    """Relabel ``source.model``'s content type as ``target.model`` (use inside ``RunPython``; reversible by
    calling it with the labels swapped)."""
    db = schema_editor.connection.alias
    content_type = apps.get_model("contenttypes", "ContentType")
    permission = apps.get_model("auth", "Permission")
    old = content_type.objects.using(db).filter(app_label=source, model=model).first()
    if old is None:
        return  # a fresh database: the content type is created for the new app after migrate
    new = content_type.objects.using(db).filter(app_label=target, model=model).first()
    if new is not None:
        for perm in permission.objects.using(db).filter(content_type=new):
            twin = permission.objects.using(db).filter(content_type=old, codename=perm.codename).first()
            if twin is None:
                perm.content_type = old
                perm.save(update_fields=["content_type"])
                continue
            for group in perm.group_set.all():
                group.permissions.add(twin)
            for user in perm.user_set.all():
                user.user_permissions.add(twin)
            perm.delete()
        for label, name, field in LINKS:
            try:
                entries = apps.get_model(label, name)
            except LookupError:
                continue
            entries.objects.using(db).filter(**{field: new}).update(**{field: old})
        new.delete()
    old.app_label = target
    old.save(update_fields=["app_label"])
