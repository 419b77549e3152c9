"""Writes for shared infrastructure: the audit log and the heartbeat."""

from __future__ import annotations

import socket
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import F, ProtectedError
from django.utils import timezone

from core import events, tokens
from core.events import event_type_check
from core.exceptions import NotPermitted, ValidationFailed
from core.models import ApiToken, AuditLogEntry, WorkerHeartbeat


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


# --- identity: API tokens (issue 18) --------------------------------------------------------------------------------


def _may_manage_token_of(*, actor: Any, owner: Any) -> bool:
    """The owner manages their own tokens, a superuser everyone's; ``actor=None`` is an operator at the shell."""
    if actor is None:
        return True
    return bool(actor.pk == owner.pk or getattr(actor, "is_superuser", False))


def api_token_expiry_check(*, expires_at: datetime | None, now: datetime) -> datetime:
    """The expiry a new token gets: ``expires_at``, or ``API_TOKEN_DEFAULT_DAYS`` from now; refused when it is not in
    the future or lies more than ``API_TOKEN_MAX_DAYS`` ahead (every token expires)."""
    latest = now + timedelta(days=settings.API_TOKEN_MAX_DAYS)
    if expires_at is None:
        return min(now + timedelta(days=settings.API_TOKEN_DEFAULT_DAYS), latest)
    if expires_at <= now:
        raise ValidationFailed("The expiry must be in the future.", extra={"expires_at": ["must be in the future"]})
    if expires_at > latest:
        raise ValidationFailed(
            f"A token may live at most {settings.API_TOKEN_MAX_DAYS} days (API_TOKEN_MAX_DAYS).",
            extra={"expires_at": [f"at most {settings.API_TOKEN_MAX_DAYS} days ahead"]},
        )
    return expires_at


@transaction.atomic
def api_token_create(
    *, user: Any, name: str, expires_at: datetime | None = None, actor: Any, reason: str = ""
) -> tuple[ApiToken, str]:
    """Create an API token for ``user`` and return it with its plaintext, which is never stored (only its SHA-256)
    and must be shown to the owner now or never. ``actor`` is the owner, a superuser, or ``None`` for an operator
    (``manage.py create_api_token``). The expiry defaults to ``API_TOKEN_DEFAULT_DAYS`` and may not exceed
    ``API_TOKEN_MAX_DAYS``. Writes a ``core.api_token.created`` audit row (without the secret)."""
    if not _may_manage_token_of(actor=actor, owner=user):
        raise NotPermitted("Only the account's owner or a superuser can create its API tokens.")
    if not user.is_active:
        raise ValidationFailed("The account is inactive.")
    name = name.strip()
    if not name:
        raise ValidationFailed("A token needs a name.", extra={"name": ["may not be blank"]})
    now = timezone.now()
    expiry = api_token_expiry_check(expires_at=expires_at, now=now)
    new = tokens.token_generate()
    token = ApiToken(user=user, name=name, prefix=new.prefix, key_hash=new.key_hash, expires_at=expiry)
    token.full_clean(exclude=["created_at"])
    token.save()
    audit_log_record(
        event_type=events.API_TOKEN_CREATED,
        actor=actor,
        target=token,
        reason=reason,
        extra_data={
            "user": user.get_username(),
            "name": name,
            "prefix": new.prefix,
            "expires_at": expiry.isoformat(),
        },
    )
    return token, new.plaintext


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: Any, reason: str = "") -> ApiToken:
    """Revoke ``token`` now: it answers 401 from the next request on. The row stays, with who revoked it and when.
    Only its owner, a superuser or an operator (``actor=None``) may. Revoking a revoked token changes nothing and
    writes no second audit row; otherwise a ``core.api_token.revoked`` row is written."""
    if not _may_manage_token_of(actor=actor, owner=token.user):
        raise NotPermitted("Only the token's owner or a superuser can revoke it.")
    now = timezone.now()
    revoked_by = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    # conditional UPDATE: of two concurrent revocations exactly one writes the audit row
    updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=now, revoked_by=revoked_by
    )
    token.refresh_from_db()
    if updated:
        audit_log_record(
            event_type=events.API_TOKEN_REVOKED,
            actor=actor,
            target=token,
            reason=reason,
            extra_data={"user": token.user.get_username(), "name": token.name, "prefix": token.prefix},
        )
    return token


#: how stale ``ApiToken.last_used_at`` may get: one write a minute per token, not one per request
API_TOKEN_LAST_USED_RESOLUTION = timedelta(seconds=60)


def api_token_mark_used(*, token: ApiToken, now: datetime) -> None:
    """Refresh the token's last-used time, at most once per :data:`API_TOKEN_LAST_USED_RESOLUTION` (a conditional
    UPDATE, so busy clients cost one write a minute). Operational, not audited."""
    if token.last_used_at is not None and now - token.last_used_at < API_TOKEN_LAST_USED_RESOLUTION:
        return
    ApiToken.objects.filter(pk=token.pk).filter(
        models.Q(last_used_at__isnull=True) | models.Q(last_used_at__lt=now - API_TOKEN_LAST_USED_RESOLUTION)
    ).update(last_used_at=now)
    token.last_used_at = now


# --- identity: second factor (django-otp TOTP + backup codes; issue 18) ---------------------------------------------

#: how many one-time backup codes an enrolment hands out (each works once, in place of a TOTP code)
MFA_BACKUP_CODE_COUNT = 10


@transaction.atomic
def mfa_totp_device_start(*, user: Any) -> Any:
    """The unconfirmed TOTP device whose secret ``user`` is about to scan: the pending one, else a new one with a
    fresh random key. It verifies nothing until :func:`mfa_totp_device_confirm`; not audited (nothing changed yet)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


@transaction.atomic
def mfa_totp_device_confirm(*, device: Any, actor: Any) -> list[str]:
    """Confirm ``device`` (its owner just entered a valid code from it): it becomes the account's only TOTP device,
    and a fresh set of :data:`MFA_BACKUP_CODE_COUNT` backup codes replaces any older one. Returns the backup codes,
    to be shown once. Writes a ``core.mfa_device.enrolled`` audit row (without secrets)."""
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = device.user
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    StaticDevice.objects.filter(user=user).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    backup = StaticDevice.objects.create(user=user, name="backup codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(MFA_BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=backup, token=code) for code in codes])
    audit_log_record(
        event_type=events.MFA_DEVICE_ENROLLED,
        actor=actor,
        target=user,
        extra_data={"device": "totp", "backup_codes": len(codes)},
    )
    return codes


@transaction.atomic
def mfa_devices_reset(*, user: Any, actor: Any, reason: str = "") -> int:
    """Remove every second-factor device of ``user`` (authenticator and backup codes), e.g. a lost phone: the account
    must enrol again (and, under ``MFA_REQUIRED_FOR_STAFF``, staff must before using the admin). Returns how many
    devices were removed; writes a ``core.mfa_device.reset`` audit row when there were any."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    removed = TOTPDevice.objects.filter(user=user).delete()[0] + StaticDevice.objects.filter(user=user).delete()[0]
    if removed:
        audit_log_record(
            event_type=events.MFA_DEVICE_RESET, actor=actor, target=user, reason=reason, extra_data={"rows": removed}
        )
    return removed
