"""Move EvidencePack's content type from ``audits`` to ``evidence`` (a data migration).

The row is relabelled in place, so everything that points at it keeps working: the permissions
(``download_evidencepack``, ``request_evidencepack`` and the default four) with their role-group and per-user
grants, audit-log entries about packs (``core.AuditLogEntry.target_content_type``) and admin log entries. If both
rows exist (the new one created before this ran), the old one is kept and the new one's grants and links are
folded into it. ``core.roles`` then re-syncs the role groups after ``migrate`` from its declaration, which now
names ``evidence.*``. Reversible (the same move back).
"""

from django.db import migrations

MODEL = "evidencepack"


def _move(apps, schema_editor, source, target):  # type: ignore[no-untyped-def]
    db = schema_editor.connection.alias
    content_type = apps.get_model("contenttypes", "ContentType")
    permission = apps.get_model("auth", "Permission")
    old = content_type.objects.using(db).filter(app_label=source, model=MODEL).first()
    if old is None:
        return  # a fresh database: the content type is created for the new app after migrate
    new = content_type.objects.using(db).filter(app_label=target, model=MODEL).first()
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
        for label, model in (("core", "AuditLogEntry"), ("admin", "LogEntry")):
            try:
                entries = apps.get_model(label, model)
            except LookupError:
                continue
            field = "target_content_type" if label == "core" else "content_type"
            entries.objects.using(db).filter(**{field: new}).update(**{field: old})
        new.delete()
    old.app_label = target
    old.save(update_fields=["app_label"])


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    _move(apps, schema_editor, "audits", "evidence")


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    _move(apps, schema_editor, "evidence", "audits")


class Migration(migrations.Migration):
    dependencies = [
        ("evidence", "0001_evidencepack_from_audits"),
        ("audits", "0008_evidencepack_moved_to_evidence"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("core", "0003_privacy_acting_username"),
        ("admin", "0003_logentry_add_action_flag_choices"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
