"""The three roles, declared as data, and the code that keeps their Django groups in step with it.

The declaration is the source of truth: after every ``migrate`` each role group holds exactly the permissions
listed here (new models included), so access is reviewed in code, not clicked together in the admin.

- Compliance officer: full management of the registry (governance), audits and evidence packs (request,
  download); reads discovery and the audit trail; edits the beat schedules.
- Auditor: read-only everywhere, plus requesting and downloading evidence packs for any system (evidence is the
  auditor's job; a request only builds a signed pack from the records, it changes none).
- Security analyst: full management of discovery, alerts and notification channels; reads the registry; no
  registry writes, no audits.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

COMPLIANCE_OFFICER = "Compliance officer"
AUDITOR = "Auditor"
SECURITY_ANALYST = "Security analyst"

ALL = ("view", "add", "change", "delete")
VIEW = ("view",)

#: role -> {app_label: actions granted on every model of that app}
ROLE_APP_ACTIONS: dict[str, dict[str, tuple[str, ...]]] = {
    COMPLIANCE_OFFICER: {
        "governance": ALL,
        "audits": ALL,
        "evidence": ALL,
        "discovery": VIEW,
        "alerts": VIEW,
        "notifications": VIEW,
        "core": VIEW,
        "django_celery_beat": ALL,
    },
    AUDITOR: {
        "governance": VIEW,
        "audits": VIEW,
        "evidence": VIEW,
        "discovery": VIEW,
        "alerts": VIEW,
        "notifications": VIEW,
        "core": VIEW,
        "django_celery_beat": VIEW,
    },
    SECURITY_ANALYST: {
        "governance": VIEW,
        "discovery": ALL,
        "alerts": ALL,
        "notifications": ALL,
        "core": VIEW,
    },
}

#: role -> extra custom permissions ("app_label.codename"); applied when the permission exists
ROLE_EXTRA_PERMISSIONS: dict[str, tuple[str, ...]] = {
    COMPLIANCE_OFFICER: ("evidence.download_evidencepack", "evidence.request_evidencepack"),
    AUDITOR: ("evidence.download_evidencepack", "evidence.request_evidencepack"),
    SECURITY_ANALYST: ("discovery.reidentify_pseudonym",),
}

ROLE_NAMES = tuple(ROLE_APP_ACTIONS)


def _wanted_permission_ids(role: str, permissions: Iterable[Any]) -> set[int]:
    actions = ROLE_APP_ACTIONS[role]
    extras = set(ROLE_EXTRA_PERMISSIONS[role])
    wanted: set[int] = set()
    for perm in permissions:
        app_label = perm.content_type.app_label
        action = perm.codename.split("_", 1)[0]
        granted = actions.get(app_label, ())
        if perm.content_type.model.startswith("historical"):
            granted = tuple(a for a in granted if a == "view")  # the audit trail is read-only for every role
        if action in granted and perm.codename == f"{action}_{perm.content_type.model}":
            wanted.add(perm.id)
        if f"{app_label}.{perm.codename}" in extras:
            wanted.add(perm.id)
    return wanted


def sync_roles(*, group_model: Any, permission_model: Any) -> dict[str, int]:
    """Create the role groups if missing and set each one's permissions to exactly the declared set.

    Takes the model classes so a data migration can pass its historical models. Returns permissions per role.
    """
    permissions = list(permission_model.objects.select_related("content_type"))
    counts: dict[str, int] = {}
    for role in ROLE_NAMES:
        group, _ = group_model.objects.get_or_create(name=role)
        wanted = _wanted_permission_ids(role, permissions)
        group.permissions.set(wanted)
        counts[role] = len(wanted)
    return counts


def sync_roles_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """post_migrate receiver: create every app's permissions first (they are normally created per app), then sync."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission

    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    sync_roles(group_model=Group, permission_model=Permission)
