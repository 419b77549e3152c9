"""The SSO login start and callback (mozilla-django-oidc's views with the endpoints resolved lazily) and the admin
login page with its "Log in with SSO" button."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin, messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse
from django.views.generic import View
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from sso.discovery import DiscoveryError, provider_endpoints

logger = logging.getLogger(__name__)

#: The session key the MFA check reads: "oidc" for a login through the IdP (which enforces its own MFA).
AUTH_METHOD_SESSION_KEY = "auth_method"
AUTH_METHOD_OIDC = "oidc"
OIDC_BACKEND = "sso.backends.OIDCBackend"


def auth_method_mark(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """``user_logged_in`` receiver: mark a session opened by the OIDC backend ``auth_method = "oidc"``, and drop that
    mark when the same session logs in again another way (``auth.login`` keeps the data when the user is the same),
    so a password login never inherits the SSO exemption from MFA."""
    if request is None or not hasattr(request, "session"):
        return
    if getattr(user, "backend", None) == OIDC_BACKEND:
        request.session[AUTH_METHOD_SESSION_KEY] = AUTH_METHOD_OIDC
    elif request.session.get(AUTH_METHOD_SESSION_KEY) == AUTH_METHOD_OIDC:
        del request.session[AUTH_METHOD_SESSION_KEY]


def local_login_enabled() -> bool:
    """Whether username/password logins are offered and accepted (always, unless SSO is on and
    ``OIDC_LOCAL_LOGIN`` is false)."""
    return not (settings.USE_OIDC and not settings.OIDC_LOCAL_LOGIN)


class SSOLoginView(OIDCAuthenticationRequestView):
    """Start a login: redirect to the provider's authorization endpoint with a fresh state, nonce and PKCE
    challenge (S256), kept in the session for the callback. ``?next=`` (a local URL) is where the login ends."""

    def __init__(self, **kwargs: Any) -> None:
        View.__init__(self, **kwargs)  # the library's constructor would resolve the endpoints before dispatch
        self.OIDC_RP_CLIENT_ID = str(settings.OIDC_CLIENT_ID)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not settings.USE_OIDC:
            raise Http404("single sign-on is not configured")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider_endpoints().authorization_endpoint
        except DiscoveryError as exc:
            logger.warning("single sign-on unavailable: %s", exc)  # the detail for the operator, not the visitor
            messages.error(request, "Single sign-on is unavailable: the identity provider cannot be reached.")
            return HttpResponseRedirect(reverse("admin:login"))
        return super().get(request)


class SSOCallbackView(OIDCAuthenticationCallbackView):
    """The provider sends the browser back here with the code and the state: the library checks the state against
    the session (an unknown state is a 400), and the backend exchanges the code and verifies the ID token."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.USE_OIDC:
            raise Http404("single sign-on is not configured")
        if request.GET.get("error"):
            messages.error(
                request,
                f"Single sign-on did not complete: {request.GET.get('error_description') or request.GET['error']}.",
            )
        return super().dispatch(request, *args, **kwargs)

    @property
    def failure_url(self) -> str:
        return reverse("admin:login")

    @property
    def success_url(self) -> str:
        return self.request.session.get("oidc_login_next") or resolve_url("admin:index")


def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin login page with the SSO button when single sign-on is on, and without the password form when
    local logins are off (``OIDC_LOCAL_LOGIN=false``; the password backend refuses them anyway)."""
    local = local_login_enabled()
    next_url = request.GET.get("next") or reverse("admin:index")
    context = {
        "sso_enabled": settings.USE_OIDC,
        "local_login": local,
        "sso_login_url": f"{reverse('sso:login')}?{urlencode({'next': next_url})}",
    }
    if request.method == "POST" and not local:
        messages.error(request, "Password logins are off: log in with SSO.")
        return HttpResponseRedirect(request.get_full_path())
    return admin.site.login(request, extra_context=context)
