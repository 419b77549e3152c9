"""Second factor (issue 18): TOTP enrolment and the verification step after a password login, MFA_REQUIRED_FOR_STAFF,
backup codes, django-otp's throttling, the SSO exemption (session["auth_method"] == "oidc"), and API tokens as a
factor of their own. Codes are computed here with django-otp's own TOTP, as an authenticator app would."""

from __future__ import annotations

import base64
import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from core import events
from core.mfa import SESSION_AUTH_METHOD_KEY
from core.models import AuditLogEntry
from core.services import api_token_create, mfa_devices_reset

ADMIN = "/admin/"
SETUP = "/account/mfa/setup/"
VERIFY = "/account/mfa/verify/"


def _code(device: TOTPDevice, *, at: float | None = None) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    if at is not None:
        totp.time = at
    return f"{totp.token():0{device.digits}d}"


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def _password_login(username: str) -> Client:
    client = Client()
    response = client.post("/admin/login/", {"username": username, "password": f"pw-{username}", "next": ADMIN})
    assert response.status_code == 302, "the password login itself succeeds"
    return client


@pytest.fixture
def required(settings: Any) -> None:
    settings.MFA_REQUIRED_FOR_STAFF = True


@pytest.fixture
def enrolled_alice(alice: Any) -> TOTPDevice:
    return TOTPDevice.objects.create(user=alice, name="phone", confirmed=True)


# --- enrolment ----------------------------------------------------------------------------------------------------


def test_staff_must_enrol_before_using_the_admin_when_mfa_is_required(alice: Any, required: None) -> None:
    client = _password_login("alice")
    response = client.get(ADMIN)
    assert response.status_code == 302
    assert response["Location"] == f"{SETUP}?next=%2Fadmin%2F"
    # the API's session login too: a JSON refusal under /api/
    api = client.get("/api/v1/core/audit-log/")
    assert api.status_code == 403 and api.json()["code"] == "mfa_required"


def test_without_the_requirement_an_unenrolled_user_goes_straight_in(alice: Any, settings: Any) -> None:
    settings.MFA_REQUIRED_FOR_STAFF = False
    assert _password_login("alice").get(ADMIN).status_code == 200


def test_enrolment_shows_a_qr_code_refuses_a_wrong_code_and_accepts_the_right_one(alice: Any, required: None) -> None:
    # given
    client = _password_login("alice")
    page = client.get(f"{SETUP}?next=/admin/")
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert "data:image/svg+xml;base64," in page.content.decode()
    device = TOTPDevice.objects.get(user=alice, confirmed=False)
    assert page.context["secret"] and page.context["qr"]
    # when a wrong code is entered
    refused = client.post(SETUP, {"code": _wrong(_code(device)), "next": ADMIN})
    # then
    assert refused.status_code == 200 and refused.context["form"].errors
    assert not TOTPDevice.objects.filter(user=alice, confirmed=True).exists()
    assert client.get(ADMIN).status_code == 302
    # when the right code is entered (after the throttle delay of the wrong one)
    device.refresh_from_db()
    with time_machine.travel(timezone.now() + timedelta(seconds=2), tick=False):
        accepted = client.post(SETUP, {"code": _code(device), "next": ADMIN})
        # then backup codes are shown once, the device is confirmed and the session verified
        assert accepted.status_code == 200
        codes = accepted.context["codes"]
        assert len(codes) == 10 and all(code in accepted.content.decode() for code in codes)
        assert TOTPDevice.objects.get(user=alice).confirmed
        assert client.get(ADMIN).status_code == 200
    entry = AuditLogEntry.objects.get(event_type=events.MFA_DEVICE_ENROLLED)
    assert entry.acting_user == alice and not any(code in str(entry.extra_data) for code in codes)


def test_a_password_alone_cannot_replace_an_enrolled_authenticator(enrolled_alice: TOTPDevice) -> None:
    client = _password_login("alice")
    response = client.post(SETUP, {"action": "reset"})
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.filter(pk=enrolled_alice.pk).exists()


def test_a_reset_removes_the_devices_and_is_audited(enrolled_alice: TOTPDevice, alice: Any, required: None) -> None:
    removed = mfa_devices_reset(user=alice, actor=None, reason="lost phone")
    assert removed >= 1 and not TOTPDevice.objects.filter(user=alice).exists()
    assert AuditLogEntry.objects.filter(event_type=events.MFA_DEVICE_RESET, reason="lost phone").count() == 1
    assert _password_login("alice").get(ADMIN)["Location"].startswith(SETUP)


# --- verification after the password --------------------------------------------------------------------------------


def test_an_enrolled_user_is_asked_for_a_code_after_the_password(enrolled_alice: TOTPDevice) -> None:
    # given: a right password
    client = _password_login("alice")
    # then: nothing but the verification page
    response = client.get(ADMIN)
    assert response.status_code == 302 and response["Location"] == f"{VERIFY}?next=%2Fadmin%2F"
    assert client.get("/admin/governance/").status_code == 302
    assert client.get(VERIFY).status_code == 200


def test_a_wrong_code_is_refused(enrolled_alice: TOTPDevice) -> None:
    client = _password_login("alice")
    response = client.post(VERIFY, {"code": _wrong(_code(enrolled_alice)), "next": ADMIN})
    assert response.status_code == 200 and response.context["form"].errors
    assert client.get(ADMIN).status_code == 302


def test_the_right_code_lets_in(enrolled_alice: TOTPDevice) -> None:
    client = _password_login("alice")
    response = client.post(VERIFY, {"code": _code(enrolled_alice), "next": ADMIN})
    assert response.status_code == 302 and response["Location"] == ADMIN
    assert client.get(ADMIN).status_code == 200


def test_a_code_is_not_accepted_twice(enrolled_alice: TOTPDevice) -> None:
    code = _code(enrolled_alice)
    assert _password_login("alice").post(VERIFY, {"code": code})["Location"] == ADMIN
    second = _password_login("alice")
    assert second.post(VERIFY, {"code": code}).status_code == 200  # replayed: refused
    assert second.get(ADMIN).status_code == 302


def test_right_code_is_refused_right_after_a_wrong_one_throttling(enrolled_alice: TOTPDevice) -> None:
    # django-otp throttles a device after a failure (1 s, doubling), so codes cannot be brute-forced quickly
    client = _password_login("alice")
    client.post(VERIFY, {"code": _wrong(_code(enrolled_alice))})
    enrolled_alice.refresh_from_db()
    assert client.post(VERIFY, {"code": _code(enrolled_alice)}).status_code == 200
    assert client.get(ADMIN).status_code == 302


def test_a_backup_code_works_once(enrolled_alice: TOTPDevice, alice: Any) -> None:
    backup = StaticDevice.objects.create(user=alice, name="backup codes", confirmed=True)
    StaticToken.objects.create(device=backup, token="abcd2345")
    first = _password_login("alice")
    assert first.post(VERIFY, {"code": "abcd 2345"})["Location"] == ADMIN
    assert first.get(ADMIN).status_code == 200
    second = _password_login("alice")
    assert second.post(VERIFY, {"code": "abcd2345"}).status_code == 200
    assert second.get(ADMIN).status_code == 302


def test_the_verification_step_follows_the_api_session_login_too(enrolled_alice: TOTPDevice) -> None:
    client = Client()
    client.post("/api-auth/login/", {"username": "alice", "password": "pw-alice", "next": "/api/docs/"})
    assert client.get("/api/docs/", HTTP_ACCEPT="text/html")["Location"].startswith(VERIFY)
    assert client.get("/api/v1/core/audit-log/").status_code == 403


def test_next_must_be_a_local_url(enrolled_alice: TOTPDevice) -> None:
    client = _password_login("alice")
    response = client.post(VERIFY, {"code": _code(enrolled_alice), "next": "https://evil.example/"})
    assert response["Location"] == ADMIN


def test_axes_still_locks_out_before_the_second_factor(enrolled_alice: TOTPDevice, settings: Any) -> None:
    settings.AXES_FAILURE_LIMIT = 2
    client = Client()
    for _ in range(2):
        client.post("/admin/login/", {"username": "alice", "password": "wrong", "next": ADMIN})
    locked = client.post("/admin/login/", {"username": "alice", "password": "pw-alice", "next": ADMIN})
    assert locked.status_code == 429 and "_auth_user_id" not in client.session


# --- exemptions -----------------------------------------------------------------------------------------------------


def test_a_single_sign_on_session_is_exempt(alice: Any, enrolled_alice: TOTPDevice, required: None) -> None:
    # given a session the SSO login marked (the OIDC backend sets the flag; force_login stands in for it here)
    client = Client()
    client.force_login(alice)
    session = client.session
    session[SESSION_AUTH_METHOD_KEY] = "oidc"
    session.save()
    # then
    assert client.get(ADMIN).status_code == 200


def test_a_password_login_replaces_a_stale_sso_mark(alice: Any, enrolled_alice: TOTPDevice) -> None:
    client = Client()
    client.force_login(alice)
    session = client.session
    session[SESSION_AUTH_METHOD_KEY] = "oidc"
    session.save()
    client.post("/admin/login/", {"username": "alice", "password": "pw-alice", "next": ADMIN})
    assert client.session[SESSION_AUTH_METHOD_KEY] == "password"
    assert client.get(ADMIN).status_code == 302


def test_api_tokens_are_not_asked_for_a_code(alice: Any, enrolled_alice: TOTPDevice, required: None) -> None:
    # given an enrolled user whose session has not verified, and a token of theirs
    _, plaintext = api_token_create(user=alice, name="ci", actor=alice)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    # then the token works on its own
    assert api.get("/api/v1/core/audit-log/").status_code == 200
    # ...and a session cookie beside the token does not bypass anything: the token decides
    api.force_login(alice)
    assert api.get("/api/v1/core/audit-log/").status_code == 200


def test_the_setup_page_offers_the_secret_as_text(alice: Any) -> None:
    client = Client()
    client.force_login(alice)
    page = client.get(SETUP).content.decode()
    secret = TOTPDevice.objects.get(user=alice).bin_key
    assert base64.b32encode(secret).decode() in page
    assert re.search(r"<code>[A-Z2-7]{32}</code>", page)
