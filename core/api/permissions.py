"""API permissions: Django model permissions, with ``view`` required for reads (DRF's default lets any user read)."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission, DjangoModelPermissions
from rest_framework.request import Request


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


class ActionPerms(BasePermission):
    """For ``@action`` endpoints: the user needs every permission the viewset lists in ``action_perms[action]``.

    The mapping lives on the viewset (``action_perms = {"classify": ("governance.change_aisystem", ...)}``) because
    DRF refuses unknown ``@action`` kwargs as ``as_view`` initkwargs. An action missing from the mapping is refused.
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        required = getattr(view, "action_perms", {}).get(view.action)
        return bool(required and request.user and request.user.is_authenticated and request.user.has_perms(required))
