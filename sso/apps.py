from __future__ import annotations

from django.apps import AppConfig


class SsoConfig(AppConfig):
    """Single sign-on with OpenID Connect (mozilla-django-oidc): login, provisioning, roles from the IdP's groups."""

    name = "sso"
    verbose_name = "Single sign-on"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from sso import events  # noqa: F401  (declares the app's audit-log event types in core.events)
        from sso.views import auth_method_mark

        user_logged_in.connect(auth_method_mark, dispatch_uid="sso.auth_method_mark")
