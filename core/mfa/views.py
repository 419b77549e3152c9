"""The MFA pages: enrolment (scan the QR code or type the secret, confirm a code, note the backup codes) and the
verification step after a password login. Rendered in the admin's look; pages with secrets are ``no-store``."""

from __future__ import annotations

import base64
import io
import logging
from base64 import b32encode
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods
from django_otp import devices_for_user, user_has_device
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.qr import write_qrcode_image

from core.mfa import mfa_required_for, session_is_sso
from core.mfa.forms import OTPCodeForm
from core.services import mfa_devices_reset, mfa_totp_device_confirm, mfa_totp_device_start

logger = logging.getLogger(__name__)


def _next_url(request: HttpRequest) -> str:
    """Where to go after the step: ``next`` when it is a local URL, else the admin index (or the API docs for a
    non-staff user, who has no admin)."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("admin:index") if request.user.is_staff else reverse("swagger-ui")


def _page(request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200) -> HttpResponse:
    base = admin.site.each_context(request)
    response = render(request, template, {**base, "next": _next_url(request), **context}, status=status)
    add_never_cache_headers(response)  # codes, secrets and QR codes never sit in a cache
    return response


def _qr_data_uri(config_url: str) -> str | None:
    """The otpauth:// URL as an SVG QR code in a ``data:`` URI (the CSP allows ``img-src data:``), or ``None`` when
    no QR library is installed (the page then shows only the secret to type in)."""
    out = io.BytesIO()
    try:
        write_qrcode_image(config_url, out)
    except ModuleNotFoundError:
        return None
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode("ascii")


@login_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """The second step of a password login: a code from the authenticator, or a backup code (used up by it)."""
    user: Any = request.user
    if session_is_sso(request) or user.is_verified() or not user_has_device(user, confirmed=True):
        return HttpResponseRedirect(_next_url(request))
    form = OTPCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        # each device verifies in its own transaction (django-otp's throttling: after a wrong code, each further
        # attempt on that device must wait twice as long as the last, so codes cannot be guessed quickly)
        for device in devices_for_user(user, confirmed=True, for_verify=True):
            if isinstance(device, TOTPDevice | StaticDevice) and device.verify_token(code):
                otp_login(request, device)
                logger.info("MFA: %s verified with %s", user.get_username(), type(device).__name__)
                return HttpResponseRedirect(_next_url(request))
        logger.warning("MFA: wrong or throttled code for %s", user.get_username())
        form.add_error("code", "That code is not valid (or too many attempts: wait a little and try again).")
    return _page(request, "mfa/verify.html", {"form": form, "title": "Two-factor authentication"})


@login_required
@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    """Enrolment: show a fresh secret (QR code and text), confirm it with a code, then show the backup codes once.
    An enrolled user who has verified this session may replace the authenticator (``action=reset``)."""
    user: Any = request.user
    enrolled = user_has_device(user, confirmed=True)
    if enrolled and not (user.is_verified() or session_is_sso(request)):
        # the password alone never replaces an enrolled authenticator: verify first
        return HttpResponseRedirect(f"{reverse('mfa:verify')}?next={reverse('mfa:setup')}")
    if enrolled and request.method == "POST" and request.POST.get("action") == "reset":
        mfa_devices_reset(user=user, actor=user, reason="replaced by the user")
        return HttpResponseRedirect(reverse("mfa:setup"))
    if enrolled:
        return _page(request, "mfa/enrolled.html", {"title": "Two-factor authentication"})
    device = mfa_totp_device_start(user=user)
    form = OTPCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"]):
            codes = mfa_totp_device_confirm(device=device, actor=user)
            otp_login(request, device)
            return _page(request, "mfa/backup_codes.html", {"codes": codes, "title": "Your backup codes"})
        form.add_error("code", "That code does not match: check the time on your phone and try the next code.")
    context = {
        "form": form,
        "title": "Set up two-factor authentication",
        "secret": b32encode(device.bin_key).decode("ascii"),
        "qr": _qr_data_uri(device.config_url),
        "required": mfa_required_for(user),
        "issuer": settings.OTP_TOTP_ISSUER,
    }
    return _page(request, "mfa/setup.html", context)
