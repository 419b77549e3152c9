from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    """Shared infrastructure: audit log, roles, API plumbing, heartbeat."""

    name = "core"
    verbose_name = "Platform"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings
        from django.core import checks
        from django.db.models.signals import pre_delete

        from core import events  # noqa: F401  (the audit-log event type registry, with core's own types)
        from core.checks import secret_key_check
        from core.roles import sync_roles_after_migrate
        from core.services import user_delete_guard

        # Accounts named by change-history rows are deactivated, never deleted (the trail would lose "who").
        pre_delete.connect(user_delete_guard, sender=settings.AUTH_USER_MODEL, dispatch_uid="core.user_delete_guard")

        checks.register(secret_key_check, checks.Tags.security)

        # Keep the declared roles' permissions in step with the models after every migrate (new models included).
        post_migrate.connect(sync_roles_after_migrate, sender=self, dispatch_uid="core.sync_roles")
