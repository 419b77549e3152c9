"""Writes for shared infrastructure: the audit log and the heartbeat."""

from __future__ import annotations

import socket
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import F, ProtectedError
from django.utils import timezone

from core import events
from core.events import event_type_check
from core.models import AuditLogEntry, WorkerHeartbeat


def _event_type_checked(event_type: str) -> str:
    """``event_type`` if registered in :mod:`core.events`; otherwise raise (``AUDIT_LOG_STRICT_EVENT_TYPES``, on in
    tests and with ``DEBUG``) or log an error and let the row be written (production: never lose an audit row)."""
    event_type_check(event_type, strict=settings.AUDIT_LOG_STRICT_EVENT_TYPES)
    return event_type


def _username(user: Any) -> str:
    return str(user.get_username())[:150] if user is not None else ""


def audit_log_record(
    *,
    event_type: str,
    actor: AbstractBaseUser | AnonymousUser | None,
    target: models.Model | None = None,
    reason: str = "",
    extra_data: dict[str, Any] | None = None,
) -> AuditLogEntry:
    """Append one audit-log row. Call inside the service's transaction so the event and the change commit together.

    ``event_type`` must be registered in :mod:`core.events` (declared in the writing app's ``events.py``)."""
    _event_type_checked(event_type)
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    entry = AuditLogEntry(
        event_type=event_type,
        acting_user=user,  # type: ignore[misc]
        acting_username=_username(user),
        reason=reason,
        extra_data=extra_data or {},
    )
    if target is not None:
        entry.target_content_type = ContentType.objects.get_for_model(target)
        entry.target_object_id = str(target.pk)
        entry.target_repr = str(target)[:255]
    entry.save()
    return entry


def audit_log_record_many(
    *,
    event_type: str,
    actor: AbstractBaseUser | AnonymousUser | None,
    events: Iterable[tuple[models.Model, dict[str, Any]]],
    reason: str = "",
) -> list[AuditLogEntry]:
    """Append one audit-log row per ``(target, extra_data)`` in a single bulk INSERT: the same rows
    :func:`audit_log_record` would write one by one. Call inside the service's transaction."""
    _event_type_checked(event_type)
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    username = _username(user)
    entries = []
    for target, extra_data in events:
        entries.append(
            AuditLogEntry(
                event_type=event_type,
                acting_user=user,  # type: ignore[misc]
                acting_username=username,
                reason=reason,
                extra_data=extra_data,
                target_content_type=ContentType.objects.get_for_model(target),
                target_object_id=str(target.pk),
                target_repr=str(target)[:255],
            )
        )
    return AuditLogEntry.objects.bulk_create(entries) if entries else []


@transaction.atomic
def heartbeat_record(*, name: str) -> WorkerHeartbeat:
    """Record that a worker ran the heartbeat task now. Idempotent per call: counts beats, never duplicates rows."""
    now = timezone.now()
    heartbeat, created = WorkerHeartbeat.objects.get_or_create(
        name=name, defaults={"last_seen": now, "beats": 1, "hostname": socket.gethostname()}
    )
    if not created:
        WorkerHeartbeat.objects.filter(pk=heartbeat.pk).update(
            last_seen=now, beats=F("beats") + 1, hostname=socket.gethostname()
        )
        heartbeat.refresh_from_db()
    return heartbeat


def history_stamp(instance: models.Model, *, actor: Any, reason: str = "") -> None:
    """Tell django-simple-history who made the next save/delete of ``instance`` and why."""
    if actor is not None and getattr(actor, "is_authenticated", False):
        instance._history_user = actor  # type: ignore[attr-defined]
    if reason:
        instance._change_reason = reason[:100]  # type: ignore[attr-defined]


def model_create[M: models.Model](model: type[M], *, actor: Any, reason: str = "", data: dict[str, Any]) -> M:
    """Validate and insert one row, recording actor and reason in its history. Call inside a service's transaction."""
    instance = model(**data)
    instance.full_clean()
    history_stamp(instance, actor=actor, reason=reason)
    instance.save()
    return instance


def model_update[M: models.Model](instance: M, *, actor: Any, reason: str = "", data: dict[str, Any]) -> M:
    """Validate and apply field changes to one row, recording actor, reason and the before/after in its history."""
    for field, value in data.items():
        setattr(instance, field, value)
    instance.full_clean()
    history_stamp(instance, actor=actor, reason=reason)
    instance.save()
    return instance


def model_delete(instance: models.Model, *, actor: Any, reason: str = "") -> None:
    """Delete one row; its history keeps a final '-' record with actor and reason."""
    history_stamp(instance, actor=actor, reason=reason)
    instance.delete()


def model_create_audited[M: models.Model](
    model: type[M], *, event_type: str, actor: Any, reason: str = "", data: dict[str, Any]
) -> M:
    """:func:`model_create` plus an ``event_type`` audit-log row naming the new row. Call inside a service's
    transaction."""
    instance = model_create(model, actor=actor, reason=reason, data=data)
    audit_log_record(event_type=event_type, actor=actor, target=instance, reason=reason)
    return instance


def model_update_audited[M: models.Model](
    instance: M, *, event_type: str, actor: Any, reason: str = "", data: dict[str, Any]
) -> M:
    """:func:`model_update` plus an ``event_type`` audit-log row listing the fields that changed (names only: the
    values are in the row's history, where field access masks what a viewer may not read)."""
    before = {field: getattr(instance, field) for field in data}
    model_update(instance, actor=actor, reason=reason, data=data)
    changed = sorted(field for field in data if getattr(instance, field) != before[field])
    audit_log_record(event_type=event_type, actor=actor, target=instance, reason=reason, extra_data={"fields": changed})
    return instance


def model_delete_audited(instance: models.Model, *, event_type: str, actor: Any, reason: str = "") -> None:
    """:func:`model_delete` plus an ``event_type`` audit-log row naming the row (written first, while it has its
    primary key). Call inside a service's transaction."""
    audit_log_record(event_type=event_type, actor=actor, target=instance, reason=reason)
    model_delete(instance, actor=actor, reason=reason)


# --- accounts ------------------------------------------------------------------------------------------------------


def user_delete_guard(sender: Any, instance: Any, **kwargs: Any) -> None:
    """``pre_delete`` guard on the user model: refuse to delete an account that change-history rows name as who
    made a change (they keep only the account link, so deleting it would erase "who" from the trail; audit-log
    entries keep the username themselves). Deactivate the account instead (:func:`user_deactivate`). A guard
    rather than a service because users are deleted from many places (admin, shell, cascades) that must all obey."""
    from core.selectors import user_history_references

    references = user_history_references(user=instance)
    if references:
        rows = sum(references.values())
        raise ProtectedError(
            f"{instance.get_username()} made {rows} recorded change(s) ({', '.join(sorted(references))}); "
            "deleting the account would erase who made them: deactivate it instead",
            set(),
        )


@transaction.atomic
def user_deactivate(*, user: Any, actor: Any, reason: str = "") -> Any:
    """Deactivate an account (it can no longer log in) while its name stays on the audit trail; audited."""
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
        audit_log_record(event_type=events.USER_DEACTIVATED, actor=actor, target=user, reason=reason)
    return user
