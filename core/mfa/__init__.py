"""Second factor (TOTP, with one-time backup codes) for local password logins, on django-otp (issue 18).

The policy, in one place (:func:`mfa_state`):

- a signed-in user who enrolled an authenticator must enter a code once per session before anything else
  (``verify``), whichever password login they used (admin or ``/api-auth/login/``);
- with ``MFA_REQUIRED_FOR_STAFF``, staff and superusers without one must enrol first (``enrol``);
- a session that logged in through single sign-on is exempt: the SSO login sets
  ``request.session[SESSION_AUTH_METHOD_KEY] = "oidc"`` (:data:`SSO_AUTH_METHODS`), the identity provider being
  in charge of the second factor; a password login sets it to ``"password"``
  (:func:`core.mfa.signals.record_password_login`), so a stale SSO flag never survives a password login;
- API tokens are a factor of their own (created by a signed-in, verified user; hashed, expiring, revocable):
  requests that carry one are never asked for a code.

:class:`core.mfa.middleware.MFAMiddleware` enforces it; the pages are :mod:`core.mfa.views`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Final

from django.conf import settings

#: the session key naming how the session's user logged in: "password" or an SSO method (see SSO_AUTH_METHODS)
SESSION_AUTH_METHOD_KEY: Final = "auth_method"
#: the auth_method values of single sign-on logins, which are exempt from the local second factor
SSO_AUTH_METHODS: Final = frozenset({"oidc"})
PASSWORD_AUTH_METHOD: Final = "password"


class MFAState(StrEnum):
    """What the second factor asks of a signed-in session."""

    OK = "ok"  # verified, exempt, or not concerned
    VERIFY = "verify"  # enrolled, code not yet given this session
    ENROL = "enrol"  # must enrol first (MFA_REQUIRED_FOR_STAFF)


def mfa_required_for(user: Any) -> bool:
    """Whether ``user`` must have a second factor: staff and superusers when ``MFA_REQUIRED_FOR_STAFF`` is on."""
    return bool(settings.MFA_REQUIRED_FOR_STAFF and (user.is_staff or user.is_superuser))


def session_is_sso(request: Any) -> bool:
    """Whether the session's user logged in through single sign-on (exempt from the local second factor)."""
    return request.session.get(SESSION_AUTH_METHOD_KEY) in SSO_AUTH_METHODS


def mfa_state(request: Any) -> MFAState:
    """What the second factor asks of ``request``'s signed-in user (``OK`` for an anonymous one)."""
    from django_otp import user_has_device

    user = request.user
    if not user.is_authenticated or session_is_sso(request):
        return MFAState.OK
    if user.is_verified():
        return MFAState.OK
    if user_has_device(user, confirmed=True):
        return MFAState.VERIFY
    return MFAState.ENROL if mfa_required_for(user) else MFAState.OK
