"""Reads for shared infrastructure."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone

from core import tokens
from core.models import ApiToken, AuditLogEntry, WorkerHeartbeat


def audit_log_list() -> QuerySet[AuditLogEntry]:
    return AuditLogEntry.objects.select_related("acting_user", "target_content_type")


def usernames_by_id(*, user_ids: Iterable[Any]) -> dict[Any, str]:
    """``{user id: username}`` of the accounts among ``user_ids`` that exist (ids of deleted accounts are left out)."""
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    return {u.pk: u.get_username() for u in get_user_model().objects.filter(pk__in=ids)}


def heartbeat_age(*, name: str) -> timedelta | None:
    """Time since the named heartbeat last ran, or ``None`` if it never ran."""
    heartbeat = WorkerHeartbeat.objects.filter(name=name).first()
    return None if heartbeat is None else timezone.now() - heartbeat.last_seen


def user_history_references(*, user: Any) -> dict[str, int]:
    """Change-history rows (django-simple-history, every model) that name ``user`` as who made the change:
    ``{"<app_label>.<historical model>": count}``, only non-zero counts. These rows keep only the account link, so
    while any exist the account must not be deleted (see :func:`core.services.user_delete_guard`)."""
    from django.apps import apps

    counts: dict[str, int] = {}
    for model in apps.get_models():
        if getattr(model, "instance_type", None) is None or not hasattr(model, "history_user"):
            continue  # not a historical model
        count = model._default_manager.filter(history_user=user).count()
        if count:
            counts[model._meta.label_lower] = count
    return counts


# --- identity: API tokens (issue 18) --------------------------------------------------------------------------------


def api_token_list(*, user: Any) -> QuerySet[ApiToken]:
    """The API tokens ``user`` owns, newest first (revoked and expired ones included, for the record)."""
    return ApiToken.objects.filter(user=user).select_related("user", "revoked_by")


def api_token_visible_to(*, user: Any) -> QuerySet[ApiToken]:
    """The tokens the admin lists for ``user``: every token for a superuser, otherwise only their own."""
    queryset = ApiToken.objects.select_related("user", "revoked_by")
    return queryset if getattr(user, "is_superuser", False) else queryset.filter(user=user)


def api_token_for_plaintext(*, plaintext: str) -> ApiToken | None:
    """The token whose SHA-256 is that of ``plaintext`` (whatever its state), with its user, or ``None``."""
    return ApiToken.objects.select_related("user").filter(key_hash=tokens.token_hash(plaintext)).first()
