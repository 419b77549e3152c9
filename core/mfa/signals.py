"""Records how a session logged in, for the SSO exemption of :mod:`core.mfa`."""

from __future__ import annotations

from typing import Any

from core.mfa import PASSWORD_AUTH_METHOD, SESSION_AUTH_METHOD_KEY

#: the backends that check a local password (django-axes' standalone backend only refuses locked-out logins)
#: (the sso app replaces Django's ModelBackend with its LocalPasswordBackend, which OIDC_LOCAL_LOGIN=false turns off)
PASSWORD_BACKENDS = frozenset({"django.contrib.auth.backends.ModelBackend", "sso.backends.LocalPasswordBackend"})


def record_password_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """``user_logged_in`` receiver: a login through a password backend marks the session ``"password"``, replacing
    any SSO mark a session kept from before (Django keeps a session's data when the same user logs in again)."""
    if request is not None and hasattr(request, "session") and getattr(user, "backend", None) in PASSWORD_BACKENDS:
        request.session[SESSION_AUTH_METHOD_KEY] = PASSWORD_AUTH_METHOD
