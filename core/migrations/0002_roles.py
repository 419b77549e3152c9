"""Create the three role groups (Compliance officer, Auditor, Security analyst) with their permissions.

Permissions of later models are added by the post_migrate sync in ``core.apps`` from the same declaration.
"""

from __future__ import annotations

from django.contrib.auth.management import create_permissions
from django.db import migrations


def create_roles(apps, schema_editor):  # type: ignore[no-untyped-def]
    from core.roles import sync_roles

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps, using=schema_editor.connection.alias)
        app_config.models_module = None
    sync_roles(group_model=apps.get_model("auth", "Group"), permission_model=apps.get_model("auth", "Permission"))


def delete_roles(apps, schema_editor):  # type: ignore[no-untyped-def]
    from core.roles import ROLE_NAMES

    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_NAMES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("governance", "0001_initial"),
        ("audits", "0001_initial"),
        ("discovery", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, delete_roles)]
