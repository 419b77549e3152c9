"""Where the OpenID Provider's endpoints are: the explicit settings, else its discovery document (cached).

``OIDC_ISSUER`` is always required, since every ID token's ``iss`` is checked against it; the endpoints come from
``<issuer>/.well-known/openid-configuration`` unless all of ``OIDC_AUTHORIZATION_ENDPOINT``, ``OIDC_TOKEN_ENDPOINT``
and ``OIDC_JWKS_URI`` are set (an explicit value always wins over a discovered one). The document is fetched on the
first login, not at start-up, so the service starts while the IdP is down, and kept for ``DISCOVERY_TTL_SECONDS``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

#: An IdP's endpoints change rarely (key rotation goes through jwks_uri, fetched on every login): an hour.
DISCOVERY_TTL_SECONDS = 3600

_cache: dict[str, tuple[float, dict[str, Any]]] = {}
_lock = threading.Lock()


class DiscoveryError(Exception):
    """The discovery document cannot be fetched or does not describe the configured issuer."""


@dataclass(frozen=True, slots=True)
class ProviderEndpoints:
    """The OpenID Provider as the login flow uses it."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str  # empty: the claims come from the ID token alone
    jwks_uri: str


def _discovery_document(issuer: str) -> dict[str, Any]:
    now = time.monotonic()
    with _lock:
        cached = _cache.get(issuer)
        if cached is not None and now - cached[0] < DISCOVERY_TTL_SECONDS:
            return cached[1]
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT, verify=settings.OIDC_VERIFY_SSL)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise DiscoveryError(f"cannot read the OpenID discovery document {url}: {exc}") from exc
    if not isinstance(document, dict) or document.get("issuer") != issuer:
        # OpenID Connect Discovery 1.0 section 4.3: the document must name exactly the issuer it was fetched for
        raise DiscoveryError(
            f"the discovery document at {url} names issuer {document.get('issuer')!r}, not OIDC_ISSUER={issuer!r}"
        )
    with _lock:
        _cache[issuer] = (now, document)
    return document


def provider_endpoints() -> ProviderEndpoints:
    """The configured provider's endpoints; raises :class:`DiscoveryError` when discovery is needed and fails."""
    issuer = settings.OIDC_ISSUER
    if not issuer:
        raise ImproperlyConfigured("OIDC_ISSUER must be set when single sign-on is on (USE_OIDC)")
    explicit = {
        "authorization_endpoint": settings.OIDC_AUTHORIZATION_ENDPOINT,
        "token_endpoint": settings.OIDC_TOKEN_ENDPOINT,
        "userinfo_endpoint": settings.OIDC_USERINFO_ENDPOINT,
        "jwks_uri": settings.OIDC_JWKS_URI,
    }
    needed = ("authorization_endpoint", "token_endpoint", "jwks_uri")
    discovered: dict[str, Any] = {} if all(explicit[name] for name in needed) else _discovery_document(issuer)
    values = {name: explicit[name] or str(discovered.get(name) or "") for name in explicit}
    missing = [name for name in needed if not values[name]]
    if missing:
        raise DiscoveryError(f"the OpenID Provider {issuer} publishes no {', '.join(missing)}")
    return ProviderEndpoints(issuer=issuer, **values)


def discovery_cache_clear() -> None:
    """Forget every fetched discovery document (tests; a changed IdP picked up without a restart)."""
    with _lock:
        _cache.clear()
