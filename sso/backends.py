"""Authentication backends: the OpenID Connect login (mozilla-django-oidc, hardened) and the local password login
that ``OIDC_LOCAL_LOGIN=false`` turns off.

What mozilla-django-oidc does and this module keeps: the authorization code exchange (with the PKCE
``code_verifier`` its views keep in the session with the state and the nonce), the JWKS look-up by ``kid`` and the
refusal of any ``alg`` other than the configured one. What it adds: the ID token's audience, issuer, expiry and
issued-at checks (the library verifies the signature, the expiry and the nonce only), ``RS256`` only, a nonce
that must be present, the userinfo ``sub`` matched against the ID token's, and accounts and roles through
:func:`sso.services.sso_user_login` instead of the library's e-mail matching.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from sso.discovery import DiscoveryError, ProviderEndpoints, provider_endpoints
from sso.services import SsoLoginRefused, sso_login_refuse, sso_user_login

logger = logging.getLogger(__name__)

#: The only ID token signature algorithm accepted: asymmetric, so the client secret can never sign a token.
SIGNING_ALGORITHM = "RS256"
#: Clock skew tolerated on ``exp``/``iat``/``nbf`` between this server and the IdP, in seconds.
CLOCK_SKEW_SECONDS = 60


class UserinfoSubjectMismatch(SsoLoginRefused):
    """The userinfo answer is about another subject than the ID token. An :class:`SsoLoginRefused`, not a
    ``SuspiciousOperation``: the library catches those around ``get_or_create_user`` and returns no user, unaudited."""


class OIDCBackend(OIDCAuthenticationBackend):
    """Logs in the user an OpenID Provider vouches for, by the authorization code flow with PKCE.

    Django instantiates every backend on every ``authenticate()`` call, password logins included, so nothing here
    reads the network until a login callback actually reaches it (the library's constructor would resolve the
    endpoints up front)."""

    OIDC_RP_SIGN_ALGO = SIGNING_ALGORITHM
    OIDC_RP_IDP_SIGN_KEY = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.UserModel = get_user_model()
        self._endpoints: ProviderEndpoints | None = None
        self._claims: Mapping[str, Any] | None = None

    @property
    def endpoints(self) -> ProviderEndpoints:
        if self._endpoints is None:
            self._endpoints = provider_endpoints()
        return self._endpoints

    # the attributes the library's methods read
    @property
    def OIDC_OP_TOKEN_ENDPOINT(self) -> str:
        return self.endpoints.token_endpoint

    @property
    def OIDC_OP_USER_ENDPOINT(self) -> str:
        return self.endpoints.userinfo_endpoint

    @property
    def OIDC_OP_JWKS_ENDPOINT(self) -> str:
        return self.endpoints.jwks_uri

    @property
    def OIDC_RP_CLIENT_ID(self) -> str:
        return str(settings.OIDC_CLIENT_ID)

    @property
    def OIDC_RP_CLIENT_SECRET(self) -> str:
        return str(settings.OIDC_CLIENT_SECRET)

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> Any:
        """Only the login callback (which passes the ``nonce`` kept with the state) reaches the OpenID flow; a
        refusal is audited and shown on the login page, never raised."""
        if request is None or "nonce" not in kwargs or not settings.USE_OIDC:
            return None
        self._claims = None
        issuer = str(settings.OIDC_ISSUER)
        try:
            return super().authenticate(request, **kwargs)
        except SsoLoginRefused as exc:
            logger.warning("single sign-on login refused: %s", exc.message)
            sso_login_refuse(reason=exc.message, claims=self._claims, issuer=issuer)
            messages.error(request, f"Single sign-on refused: {exc.message}.", fail_silently=True)
        except (SuspiciousOperation, DiscoveryError, requests.RequestException) as exc:
            logger.warning("single sign-on login failed: %s", exc)
            sso_login_refuse(reason=f"{type(exc).__name__}: {exc}", claims=self._claims, issuer=issuer)
            messages.error(
                request,
                "Single sign-on failed: the identity provider's answer could not be verified.",
                fail_silently=True,
            )
        return None

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        """The verified claims of a JWT from the provider (the ID token, or a signed userinfo answer): RS256 with a
        key of its JWKS, audience ``OIDC_CLIENT_ID``, issuer ``OIDC_ISSUER``, not expired; and, when ``nonce`` is
        passed (the ID token), carrying exactly that nonce. Raises ``SuspiciousOperation``."""
        if not token:
            raise SuspiciousOperation("the token response holds no ID token")
        try:
            alg = jwt.get_unverified_header(token).get("alg")
        except jwt.PyJWTError as exc:
            raise SuspiciousOperation(f"the ID token is not a JWT: {exc}") from exc
        if alg != SIGNING_ALGORITHM:
            raise SuspiciousOperation(f"the ID token is signed with {alg!r}, not {SIGNING_ALGORITHM}")
        try:
            key = self.retrieve_matching_jwk(token)
        except (KeyError, jwt.PyJWTError) as exc:
            raise SuspiciousOperation(f"no key of the provider's JWKS matches the ID token: {exc!r}") from exc
        client_id = self.OIDC_RP_CLIENT_ID
        try:
            payload: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[SIGNING_ALGORITHM],
                audience=client_id,
                issuer=self.endpoints.issuer,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["iss", "sub", "aud", "exp", "iat"]},
            )
        except jwt.PyJWTError as exc:
            raise SuspiciousOperation(f"ID token refused: {exc}") from exc
        audiences = payload["aud"] if isinstance(payload["aud"], list) else [payload["aud"]]
        if len(audiences) > 1 and payload.get("azp") != client_id:
            # OpenID Connect Core 3.1.3.7: with several audiences the authorized party must be this client
            raise SuspiciousOperation("ID token refused: several audiences and azp is not this client")
        if "nonce" in kwargs:
            expected, got = kwargs["nonce"], payload.get("nonce")
            if not expected or not isinstance(got, str) or not constant_time_compare(got, expected):
                raise SuspiciousOperation("ID token refused: the nonce is not the one this login sent")
        return payload

    def get_userinfo(self, access_token: str, id_token: str, payload: dict[str, Any]) -> dict[str, Any]:
        """The ID token's claims, completed by the userinfo endpoint's (when the provider has one) for the same
        subject: providers put the groups in one or the other."""
        claims = dict(payload)
        if self.endpoints.userinfo_endpoint:
            userinfo = super().get_userinfo(access_token, id_token, payload)
            if str(userinfo.get("sub")) != str(payload.get("sub")):
                # OpenID Connect Core 5.3.2: a userinfo answer for another subject must not be used
                raise UserinfoSubjectMismatch("the userinfo answer is about another subject than the ID token")
            claims.update(userinfo)
        self._claims = claims
        return claims

    def get_user(self, user_id: Any) -> Any:
        """The session's user, or ``None`` (logged out) once the account is deactivated, as ``ModelBackend`` does;
        the library's version returns inactive accounts too."""
        user = super().get_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> Any:
        """The account of the verified claims: :func:`sso.services.sso_user_login` (provisioning, roles, audit)."""
        claims = self.get_userinfo(access_token, id_token, payload)
        return sso_user_login(claims=claims, issuer=self.endpoints.issuer)


class LocalPasswordBackend(ModelBackend):
    """Django's username/password backend, off when single sign-on is on and ``OIDC_LOCAL_LOGIN`` is false: then no
    password logs anyone in (the admin, the API's session login), whatever the login page shows."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        if settings.USE_OIDC and not settings.OIDC_LOCAL_LOGIN:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def axes_skips_sso_callbacks(request: HttpRequest, credentials: Mapping[str, Any] | None = None) -> bool:
    """``AXES_WHITELIST_CALLABLE``: django-axes neither counts nor locks the SSO callback's authentication (no
    username; the ``nonce`` of :class:`OIDCBackend`'s call). Axes counts failures per user name and address, so refused
    SSO logins would otherwise pile up under "no user name" and, past ``AXES_FAILURE_LIMIT``, lock every SSO login
    from that address (an office behind one NAT) out; the IdP throttles its own password prompts."""
    credentials = credentials or {}
    return "nonce" in credentials and not credentials.get("username")
