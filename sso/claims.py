"""From an OpenID Connect user's claims to the project's roles: pure Python, no Django (a plain unit-tested core).

The IdP says which groups a user is in (``OIDC_GROUPS_CLAIM``, ``groups`` by default, a dotted path such as
``realm_access.roles`` reaching into a nested claim); ``OIDC_ROLE_MAP`` says which role each group grants. A group may
grant several roles and several groups may grant the same role; groups the map does not name grant nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any


class RoleMapError(ValueError):
    """``OIDC_ROLE_MAP`` cannot be read, or names a role that does not exist."""


def role_key(name: str) -> str:
    """The comparable form of a role name: ``"Compliance officer"``, ``compliance-officer`` and
    ``COMPLIANCE_OFFICER`` are all ``compliance_officer``."""
    return re.sub(r"[\s\-_]+", "_", name.strip().lower())


def parse_role_map(text: str, *, known_roles: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Read ``OIDC_ROLE_MAP`` into ``{IdP group: (role name, ...)}`` with the roles spelt as in ``known_roles``.

    Two spellings: comma-separated ``group=role`` pairs (``aigov-auditors=auditor,sec=security_analyst``; a group
    named twice grants both roles), or a JSON object whose values are a role or a list of roles (for group names
    holding ``,`` or ``=``, such as LDAP DNs). Role names compare by :func:`role_key`. Raises :class:`RoleMapError`.
    """
    roles_by_key = {role_key(role): role for role in known_roles}
    pairs: list[tuple[str, str]] = []
    text = text.strip()
    if not text:
        return {}
    if text.startswith("{"):
        try:
            loaded = json.loads(text)
        except json.JSONDecodeError as exc:
            raise RoleMapError(f"OIDC_ROLE_MAP is not valid JSON: {exc}") from exc
        if not isinstance(loaded, dict):
            raise RoleMapError("OIDC_ROLE_MAP as JSON must be an object {group: role or [roles]}")
        for group, value in loaded.items():
            values = value if isinstance(value, list) else [value]
            if not all(isinstance(v, str) for v in values):
                raise RoleMapError(f"OIDC_ROLE_MAP: the roles of group {group!r} must be strings")
            pairs.extend((group, v) for v in values)
    else:
        for item in text.split(","):
            if not item.strip():
                continue
            group, sep, role = item.rpartition("=")
            if not sep or not group.strip() or not role.strip():
                raise RoleMapError(f"OIDC_ROLE_MAP: {item.strip()!r} is not group=role")
            pairs.append((group.strip(), role.strip()))
    mapping: dict[str, list[str]] = {}
    for group, role in pairs:
        known = roles_by_key.get(role_key(role))
        if known is None:
            raise RoleMapError(
                f"OIDC_ROLE_MAP: unknown role {role!r} for group {group!r} (roles: {', '.join(sorted(roles_by_key))})"
            )
        if known not in mapping.setdefault(group, []):
            mapping[group].append(known)
    return {group: tuple(roles) for group, roles in mapping.items()}


def claim_values(claims: Mapping[str, Any], path: str) -> list[str]:
    """The string values of the claim at ``path`` (dots reach into nested objects): a list of strings as is, one
    string as a one-item list, anything else (missing, a number, an object) as no values."""
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return []
        value = value[part]
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [item for item in value if isinstance(item, str)]
    return []


def roles_for_groups(groups: Iterable[str], role_map: Mapping[str, Iterable[str]]) -> tuple[str, ...]:
    """The roles the groups grant under ``role_map``, sorted, each once."""
    return tuple(sorted({role for group in groups for role in role_map.get(group, ())}))
