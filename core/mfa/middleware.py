"""Enforces :func:`core.mfa.mfa_state`: a signed-in session that owes a code (or an enrolment) reaches nothing else."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse

from core import tokens
from core.mfa import MFAState, mfa_state

#: URL names an unverified session may still reach: the MFA pages themselves and the logouts
_ALLOWED_URL_NAMES = frozenset({"mfa:verify", "mfa:setup", "admin:logout", "rest_framework:logout"})


def _carries_api_token(request: HttpRequest) -> bool:
    """An ``Authorization`` header that :class:`core.authentication.ApiTokenAuthentication` will decide on (it
    authenticates or answers 401, never falls back to the session): such a request is the token's business."""
    keyword, _, value = request.headers.get("Authorization", "").partition(" ")
    value = value.strip()
    if keyword.lower() == "token":
        return bool(value)
    return keyword.lower() == "bearer" and tokens.token_is_ours(value)


class MFAMiddleware:
    """After ``OTPMiddleware``: sends a session that must verify or enrol to the MFA page (a JSON 403 under ``/api/``
    unless a browser asks for HTML), except for the MFA pages, the logouts, ``MFA_EXEMPT_PATH_PREFIXES`` and
    API-token requests."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self._intercept(request)
        return response if response is not None else self.get_response(request)

    def _intercept(self, request: HttpRequest) -> HttpResponse | None:
        if not request.user.is_authenticated or _carries_api_token(request):
            return None
        path = request.path_info
        if path.startswith(tuple(settings.MFA_EXEMPT_PATH_PREFIXES)):
            return None
        state = mfa_state(request)
        if state is MFAState.OK:
            return None
        match = getattr(request, "resolver_match", None)
        if match is None:
            from django.urls import Resolver404, resolve

            try:
                match = resolve(path)
            except Resolver404:
                match = None
        if match is not None and match.view_name in _ALLOWED_URL_NAMES:
            return None
        if path.startswith("/api/") and "text/html" not in request.headers.get("Accept", ""):
            detail = (
                "Enter your one-time code first (/account/mfa/verify/)."
                if state is MFAState.VERIFY
                else "Set up two-factor authentication first (/account/mfa/setup/)."
            )
            return JsonResponse({"code": "mfa_required", "detail": detail}, status=403)
        target = reverse("mfa:verify" if state is MFAState.VERIFY else "mfa:setup")
        return HttpResponseRedirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
