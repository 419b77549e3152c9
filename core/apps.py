from __future__ import annotations

from types import ModuleType

from django.apps import AppConfig
from django.db.models.signals import post_migrate

from core.spreadsheets import register_lazy_xlsx


class CoreConfig(AppConfig):
    """Shared infrastructure: audit log, roles, API plumbing, heartbeat."""

    name = "core"
    verbose_name = "Platform"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings
        from django.contrib.auth.signals import user_logged_in
        from django.core import checks
        from django.core.signals import request_finished
        from django.db.models.signals import pre_delete

        from core import events  # noqa: F401  (the audit-log event type registry, with core's own types)
        from core.checks import secret_key_check
        from core.log_context import request_id_clear
        from core.mfa.signals import record_password_login
        from core.monitoring import core_collect, metrics_collector_register
        from core.roles import sync_roles_after_migrate
        from core.services import user_delete_guard

        # Accounts named by change-history rows are deactivated, never deleted (the trail would lose "who").
        pre_delete.connect(user_delete_guard, sender=settings.AUTH_USER_MODEL, dispatch_uid="core.user_delete_guard")

        checks.register(secret_key_check, checks.Tags.security)

        # log lines after a request's response was sent carry no request id (core.middleware.RequestIdMiddleware)
        request_finished.connect(request_id_clear, dispatch_uid="core.request_id_clear")

        # /metrics: core's heartbeat and queue metrics; each app registers its own in its ready()
        metrics_collector_register("core", core_collect)
        # how the session logged in, for the SSO exemption from the second factor (core.mfa)
        user_logged_in.connect(record_password_login, dispatch_uid="core.mfa.record_password_login")

        # Keep the declared roles' permissions in step with the models after every migrate (new models included).
        post_migrate.connect(sync_roles_after_migrate, sender=self, dispatch_uid="core.sync_roles")


class ImportExportConfig(AppConfig):
    """django-import-export (``INSTALLED_APPS`` names this config instead of ``import_export``), with tablib's XLSX
    format made lazy (:func:`core.spreadsheets.register_lazy_xlsx`) when the config is created, before the admin
    autodiscovery imports ``import_export.admin``, whose format lists would otherwise import openpyxl."""

    name = "import_export"
    default = False  # never the config of the "core" entry: that stays CoreConfig

    def __init__(self, app_name: str, app_module: ModuleType | None) -> None:
        super().__init__(app_name, app_module)
        register_lazy_xlsx()
