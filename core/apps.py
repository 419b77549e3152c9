from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    """Shared infrastructure: audit log, roles, API plumbing, heartbeat."""

    name = "core"
    verbose_name = "Platform"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core.roles import sync_roles_after_migrate

        # Keep the declared roles' permissions in step with the models after every migrate (new models included).
        post_migrate.connect(sync_roles_after_migrate, sender=self, dispatch_uid="core.sync_roles")
