"""API permissions: Django model permissions, with ``view`` required for reads (DRF's default lets any user read)."""

from __future__ import annotations

from rest_framework.permissions import DjangoModelPermissions


class ModelPermissions(DjangoModelPermissions):
    """``DjangoModelPermissions`` that also requires ``<app>.view_<model>`` for GET/HEAD/OPTIONS.

    Views without a queryset (schema, health) are not model-backed and are let through to the other permission
    classes (``IsAuthenticated``).
    """

    perms_map = {
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "POST": ["%(app_label)s.add_%(model_name)s"],
        "PUT": ["%(app_label)s.change_%(model_name)s"],
        "PATCH": ["%(app_label)s.change_%(model_name)s"],
        "DELETE": ["%(app_label)s.delete_%(model_name)s"],
    }

    def has_permission(self, request, view):
        if getattr(view, "queryset", None) is None and not hasattr(view, "get_queryset"):
            return True
        return super().has_permission(request, view)


class ActionPermission(DjangoModelPermissions):
    """For ``@action`` endpoints: requires the permissions listed in the action's ``required_perms`` kwarg."""

    def has_permission(self, request, view):
        required = getattr(getattr(view, view.action, None), "kwargs", {}).get("required_perms", ())
        return bool(request.user and request.user.is_authenticated and request.user.has_perms(required))
