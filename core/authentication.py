"""DRF authentication by personal API token (:class:`core.models.ApiToken`).

``Authorization: Bearer aigov_…`` is the documented form. ``Authorization: Token <key>`` (the header of DRF's
``TokenAuthentication`` this replaced) is still accepted, for tokens of either shape, so clients of the migrated
authtoken keys keep working. A ``Bearer`` value that is not shaped like one of our tokens is left to the next
authentication class (an OpenID Connect access token, say); any other value under one of our keywords that is not
a usable token is refused with 401 and an RFC 6750 ``WWW-Authenticate: Bearer`` challenge saying why
(``invalid_token``: unknown, expired, revoked, inactive account).

A token is a factor of its own, created by a signed-in (and, where MFA applies, verified) user: requests with it
are not asked for a one-time code (see :mod:`core.mfa`).
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from core import tokens
from core.models import ApiToken
from core.selectors import api_token_for_plaintext
from core.services import api_token_mark_used

REALM = "api"
_CHALLENGE_ATTR = "_api_token_challenge"


class ApiTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer <token>`` (or ``Token <token>``) against the hashed :class:`ApiToken` rows."""

    keywords = ("bearer", "token")

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].decode("latin-1").lower() not in self.keywords:
            return None
        keyword = parts[0].decode("latin-1").lower()
        if len(parts) != 2:
            self._refuse(request, "Invalid token header: give exactly one token after the keyword.")
        try:
            plaintext = parts[1].decode("ascii")
        except UnicodeDecodeError:
            self._refuse(request, "Invalid token header: the token has non-ASCII characters.")
        if keyword == "bearer" and not tokens.token_is_ours(plaintext):
            return None  # not ours: another authentication class (e.g. OpenID Connect) may know it
        token = api_token_for_plaintext(plaintext=plaintext)
        now = timezone.now()
        if token is None:
            self._refuse(request, "Invalid token.")
        if token.is_revoked:
            self._refuse(request, "Token revoked.")
        if token.is_expired(now=now):
            self._refuse(request, "Token expired.")
        if not token.user.is_active:
            self._refuse(request, "User inactive or deleted.")
        api_token_mark_used(token=token, now=now)
        return token.user, token

    def _refuse(self, request: Request, message: str) -> NoReturn:
        # remembered for authenticate_header, which DRF asks for the challenge of the 401 it is about to send
        setattr(request._request, _CHALLENGE_ATTR, message)
        raise exceptions.AuthenticationFailed(message)

    def authenticate_header(self, request: Request) -> str:
        message = getattr(request._request, _CHALLENGE_ATTR, None)
        if message is None:
            return f'Bearer realm="{REALM}"'
        return f'Bearer realm="{REALM}", error="invalid_token", error_description="{message}"'


def request_uses_api_token(request: Request) -> bool:
    """Whether the request was authenticated with an API token (rather than a signed-in session)."""
    return isinstance(getattr(request, "auth", None), ApiToken)


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """The token scheme in the OpenAPI schema: HTTP bearer."""

    target_class = "core.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token (`aigov_…`), created at `/api/v1/tokens/` or in the admin; "
            "`Authorization: Token <token>` is accepted too.",
        }
