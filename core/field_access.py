"""Fields that only some users may read, declared on the model and applied wherever its values are shown.

A model lists them as ``read_restricted_fields = {"<field>": "<app_label>.<permission codename>"}``: a user without
that permission never sees the field's value — not in the admin change and history-form pages (the field is left out
of the form), not in the admin history diffs or the API ``history/`` diffs (old and new become :data:`HIDDEN`), and
not in API representations (serializers drop it, see :func:`drop_hidden`). Used for personal data such as a log
source's ``identity_map`` (the IP-to-user directory, readable only by who may edit it); secrets can declare
themselves the same way.
"""

from __future__ import annotations

from typing import Any

from django.db import models

HIDDEN = "(hidden)"


def read_restricted_fields(model: type[models.Model] | models.Model) -> dict[str, str]:
    """``{field: permission}`` the model declares (none: an empty dict)."""
    return dict(getattr(model, "read_restricted_fields", {}) or {})


def hidden_fields(model: type[models.Model] | models.Model, user: Any) -> frozenset[str]:
    """The restricted fields of ``model`` whose permission ``user`` lacks (all of them for no/anonymous user)."""
    allowed = user is not None and getattr(user, "is_authenticated", False)
    return frozenset(
        name for name, perm in read_restricted_fields(model).items() if not (allowed and user.has_perm(perm))
    )


def drop_hidden(model: type[models.Model] | models.Model, user: Any, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` (a representation of a ``model`` row) without the fields ``user`` may not read."""
    for name in hidden_fields(model, user):
        data.pop(name, None)
    return data


def mask_change(field: str, old: Any, new: Any, hidden: frozenset[str]) -> tuple[Any, Any]:
    """A history diff's ``(old, new)`` for ``field``, both :data:`HIDDEN` when the field is hidden."""
    return (HIDDEN, HIDDEN) if field in hidden else (old, new)
