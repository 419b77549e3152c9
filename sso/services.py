"""Writes of single sign-on: the account an OpenID Connect login lands on, its roles, and the audit trail of both.

Who owns what (the rule the README's SSO section documents):

- An account that logs in with SSO is *SSO-managed*: it has no usable password (provisioned accounts are created
  without one; an existing account is accepted only once its password-based login is disabled in the admin, so an
  IdP user can never take over a local account, a break-glass superuser for instance, by sharing its username).
- For an SSO-managed account the IdP owns the three role groups (``core.roles``): on every login they are set to
  exactly the roles ``OIDC_ROLE_MAP`` grants for the groups in the claims, so a role granted by hand to such an
  account lasts only until its next login, and a user removed from the IdP group loses the role then. Other groups,
  per-user permissions and ``is_superuser`` are never touched. ``is_staff`` (admin access) follows: on while the
  account holds a role (or is a superuser), off otherwise.
- Every change is audited: ``sso.user.provisioned``, ``sso.user.roles_changed`` (added/removed), ``sso.user.logged_in``
  and, for a refusal, ``sso.login.refused``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from core.exceptions import ApplicationError
from core.roles import ROLE_NAMES
from core.services import audit_log_record
from sso import events
from sso.claims import claim_values, roles_for_groups


class SsoLoginRefused(ApplicationError):
    """The IdP vouched for the user, but this service will not let that login in (the message says why)."""

    code = "sso_login_refused"
    http_status = 403


def _claims_summary(claims: Mapping[str, Any], *, issuer: str) -> dict[str, Any]:
    """What the audit rows keep of the claims: who (issuer, subject) and the groups, never tokens."""
    return {
        "issuer": issuer,
        "subject": str(claims.get("sub", "")),
        "groups": claim_values(claims, settings.OIDC_GROUPS_CLAIM),
    }


@transaction.atomic
def sso_user_roles_set(*, user: Any, roles: tuple[str, ...], reason: str) -> tuple[list[str], list[str]]:
    """Make the account's role groups exactly ``roles`` (other groups untouched) and ``is_staff`` follow; audited
    (``sso.user.roles_changed``) when anything changed. Returns ``(added, removed)``. The actor is the IdP (no user)."""
    unknown = set(roles) - set(ROLE_NAMES)
    if unknown:
        raise ApplicationError(f"not a role: {', '.join(sorted(unknown))}")
    current = set(user.groups.filter(name__in=ROLE_NAMES).values_list("name", flat=True))
    added = sorted(set(roles) - current)
    removed = sorted(current - set(roles))
    if removed:
        user.groups.remove(*Group.objects.filter(name__in=removed))
    if added:
        user.groups.add(*Group.objects.filter(name__in=added))
    is_staff = bool(roles) or user.is_superuser
    if user.is_staff != is_staff:
        user.is_staff = is_staff
        user.save(update_fields=["is_staff"])
    if added or removed:
        audit_log_record(
            event_type=events.USER_ROLES_CHANGED,
            actor=None,
            target=user,
            reason=reason,
            extra_data={"added": added, "removed": removed, "roles": sorted(roles), "is_staff": is_staff},
        )
    return added, removed


@transaction.atomic
def sso_user_login(*, claims: Mapping[str, Any], issuer: str) -> Any:
    """The account a verified OpenID Connect login lands on: found by ``OIDC_USERNAME_CLAIM``, created at the first
    login when ``OIDC_CREATE_USERS`` is on, its e-mail and name refreshed from the claims and its roles recomputed
    from the groups claim (see the module docstring). Raises :class:`SsoLoginRefused` (nothing written) for a
    missing username claim, an unknown account with provisioning off, a local account or a deactivated one."""
    user_model = get_user_model()
    username_claim = settings.OIDC_USERNAME_CLAIM
    values = claim_values(claims, username_claim)
    username = values[0].strip() if values else ""
    if not username:
        raise SsoLoginRefused(f"the IdP sent no {username_claim!r} claim to name the account")
    max_length = getattr(user_model._meta.get_field(user_model.USERNAME_FIELD), "max_length", None) or 150
    if len(username) > max_length:
        raise SsoLoginRefused(f"the {username_claim!r} claim is longer than {max_length} characters")
    summary = _claims_summary(claims, issuer=issuer)
    user = user_model._default_manager.select_for_update().filter(**{user_model.USERNAME_FIELD: username}).first()
    if user is None:
        if not settings.OIDC_CREATE_USERS:
            raise SsoLoginRefused(f"no account {username!r} here, and accounts are not created at login")
        user = user_model(**{user_model.USERNAME_FIELD: username})
        user.set_unusable_password()
        user.save()
        audit_log_record(
            event_type=events.USER_PROVISIONED,
            actor=None,
            target=user,
            reason="first single sign-on login",
            extra_data=summary,
        )
    elif user.has_usable_password():
        raise SsoLoginRefused(
            f"{username!r} is a local account (it has a password): disable its password-based login to hand it to SSO"
        )
    if not user.is_active:
        raise SsoLoginRefused(f"the account {username!r} is deactivated")
    profile = {
        "email": str(claims.get("email") or "")[:254],
        "first_name": str(claims.get("given_name") or "")[:150],
        "last_name": str(claims.get("family_name") or "")[:150],
    }
    changed = [field for field, value in profile.items() if value and getattr(user, field) != value]
    for field in changed:
        setattr(user, field, profile[field])
    if changed:
        user.save(update_fields=changed)
    roles = roles_for_groups(summary["groups"], settings.OIDC_ROLE_MAP)
    sso_user_roles_set(user=user, roles=roles, reason=f"single sign-on login: groups from {issuer}")
    audit_log_record(
        event_type=events.USER_LOGGED_IN,
        actor=user,
        target=user,
        reason="single sign-on login",
        extra_data={**summary, "roles": list(roles)},
    )
    return user


@transaction.atomic
def sso_login_refuse(*, reason: str, claims: Mapping[str, Any] | None = None, issuer: str = "") -> None:
    """Record a refused single sign-on login (``sso.login.refused``): why, and who the IdP said it was if the token
    got that far. No actor: nobody is logged in."""
    extra: dict[str, Any] = {"issuer": issuer}
    if claims is not None:
        extra.update(_claims_summary(claims, issuer=issuer))
        extra["username"] = str(next(iter(claim_values(claims, settings.OIDC_USERNAME_CLAIM)), ""))
    audit_log_record(event_type=events.LOGIN_REFUSED, actor=None, reason=reason[:500], extra_data=extra)
