"""Single sign-on end to end: a browser (requests.Session) against the live server and the real test OpenID
Provider (tests/sso/conftest.py), through the provider's login and consent pages and back to the callback."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import SuspiciousOperation

from core.models import AuditLogEntry
from core.roles import AUDITOR, COMPLIANCE_OFFICER, ROLE_NAMES, SECURITY_ANALYST
from sso import events
from sso.backends import OIDCBackend
from tests.sso.conftest import (
    CLIENT_SECRET,
    OTHER_CLIENT_ID,
    OTHER_CLIENT_REDIRECT,
    OpenIDProvider,
    provider_sign_in,
)

pytestmark = pytest.mark.django_db(transaction=True)


def sso_login(live_server: Any, login: str) -> tuple[requests.Session, requests.Response, dict[str, list[str]]]:
    """Click "Log in with SSO" in a fresh browser, sign in at the provider as ``login`` and consent; return the
    browser, the callback's response and the parameters of the authorization request the service sent."""
    browser = requests.Session()
    start = browser.get(f"{live_server.url}/sso/login/?next=/admin/", allow_redirects=False, timeout=10)
    assert start.status_code == 302, start.text[:500]
    authorize_url = start.headers["Location"]
    callback_url = provider_sign_in(browser, authorize_url, login=login)
    assert callback_url.startswith(f"{live_server.url}/sso/callback/?"), callback_url
    response = browser.get(callback_url, allow_redirects=False, timeout=10)
    return browser, response, parse_qs(urlsplit(authorize_url).query)


def roles_of(username: str) -> set[str]:
    user = get_user_model().objects.get(username=username)
    return set(user.groups.filter(name__in=ROLE_NAMES).values_list("name", flat=True))


def session_of(browser: requests.Session) -> SessionStore:
    return SessionStore(session_key=browser.cookies["sessionid"])


def test_sso_login_provisions_the_user_with_the_mapped_role(live_server: Any, sso_settings: Any) -> None:
    # given olivia, in the IdP's "aigov-compliance" group, who never logged in here
    # when she logs in with SSO
    browser, response, authorize = sso_login(live_server, "olivia")

    # then the authorization request used the code flow with PKCE (S256), a state and a nonce
    assert authorize["response_type"] == ["code"]
    assert authorize["code_challenge_method"] == ["S256"]
    assert len(authorize["code_challenge"][0]) == 43  # base64url of a SHA-256
    assert authorize["state"][0] and authorize["nonce"][0]
    # and she lands on the admin, logged in as a compliance officer, without a password of her own
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"
    page = browser.get(f"{live_server.url}/admin/", timeout=10)
    assert page.status_code == 200 and page.url == f"{live_server.url}/admin/"
    assert "AI registry" in page.text  # the registry app, listed for her role
    user = get_user_model().objects.get(username="olivia")
    assert not user.has_usable_password() and user.is_staff and not user.is_superuser
    assert user.email == "olivia@example.test"
    assert roles_of("olivia") == {COMPLIANCE_OFFICER}
    # the session says how she logged in (the MFA check exempts SSO logins)
    assert session_of(browser)["auth_method"] == "oidc"
    # and the trail has the provisioning, the role grant and the login
    rows = {row.event_type: row for row in AuditLogEntry.objects.filter(event_type__startswith="sso.")}
    assert set(rows) == {events.USER_PROVISIONED, events.USER_ROLES_CHANGED, events.USER_LOGGED_IN}
    assert rows[events.USER_ROLES_CHANGED].extra_data["added"] == [COMPLIANCE_OFFICER]
    assert rows[events.USER_LOGGED_IN].extra_data["subject"] == "olivia"
    assert rows[events.USER_LOGGED_IN].extra_data["groups"] == ["aigov-compliance", "staff"]
    assert rows[events.USER_LOGGED_IN].acting_username == "olivia"


def test_a_user_removed_from_an_idp_group_loses_the_role_at_the_next_login(
    live_server: Any, sso_settings: Any, oidc_provider: OpenIDProvider
) -> None:
    # given arne, auditor and security analyst by his IdP groups, logged in once
    sso_login(live_server, "arne")
    assert roles_of("arne") == {AUDITOR, SECURITY_ANALYST}

    # when the IdP drops him from "secops" and he logs in again
    oidc_provider.set_groups("arne", ["aigov-auditors"])
    _, response, _ = sso_login(live_server, "arne")

    # then he is an auditor only, and the trail says which role went
    assert response.headers["Location"] == "/admin/"
    assert roles_of("arne") == {AUDITOR}
    change = AuditLogEntry.objects.filter(event_type=events.USER_ROLES_CHANGED).order_by("-id").first()
    assert change is not None and change.extra_data["removed"] == [SECURITY_ANALYST]
    assert change.extra_data["added"] == []

    # when the IdP drops him from every mapped group
    oidc_provider.set_groups("arne", ["staff"])
    browser, _, _ = sso_login(live_server, "arne")

    # then he holds no role and no admin access any more
    assert roles_of("arne") == set()
    assert get_user_model().objects.get(username="arne").is_staff is False
    page = browser.get(f"{live_server.url}/admin/", allow_redirects=False, timeout=10)
    assert page.status_code == 302 and page.headers["Location"].startswith("/admin/login/")


def test_a_local_account_is_not_taken_over_by_an_idp_user_of_the_same_name(live_server: Any, sso_settings: Any) -> None:
    # given a local account "olivia" with a password (say, a break-glass admin)
    get_user_model().objects.create_user("olivia", password="local-password-123", is_staff=True, is_superuser=True)

    # when the IdP's olivia logs in with SSO
    browser, response, _ = sso_login(live_server, "olivia")

    # then she is sent back to the login page with the reason, not logged in, and the refusal is on the trail
    assert response.status_code == 302 and response.headers["Location"] == "/admin/login/"
    page = browser.get(f"{live_server.url}/admin/login/", timeout=10)
    assert "local account" in page.text
    assert "_auth_user_id" not in session_of(browser)
    refusal = AuditLogEntry.objects.get(event_type=events.LOGIN_REFUSED)
    assert "local account" in refusal.reason and refusal.extra_data["username"] == "olivia"
    assert not AuditLogEntry.objects.filter(event_type=events.USER_LOGGED_IN).exists()


def test_the_callback_refuses_a_replayed_or_unknown_state_and_a_forged_code(
    live_server: Any, sso_settings: Any
) -> None:
    # given a browser that completed a login once
    browser = requests.Session()
    start = browser.get(f"{live_server.url}/sso/login/", allow_redirects=False, timeout=10)
    callback_url = provider_sign_in(browser, start.headers["Location"], login="olivia")
    assert browser.get(callback_url, allow_redirects=False, timeout=10).headers["Location"] == "/admin/"

    # when the same callback (code and state) is replayed, then the state is gone: 400, nothing more happens
    logins = AuditLogEntry.objects.filter(event_type=events.USER_LOGGED_IN).count()
    replay = requests.Session()
    replay.get(f"{live_server.url}/sso/login/", allow_redirects=False, timeout=10)  # a session with a state of its own
    assert replay.get(callback_url, allow_redirects=False, timeout=10).status_code == 400
    assert AuditLogEntry.objects.filter(event_type=events.USER_LOGGED_IN).count() == logins

    # when a callback brings this session's own state with a code the provider never issued
    attacker = requests.Session()
    own = attacker.get(f"{live_server.url}/sso/login/", allow_redirects=False, timeout=10)
    state = parse_qs(urlsplit(own.headers["Location"]).query)["state"][0]
    forged = attacker.get(
        f"{live_server.url}/sso/callback/?{urlencode({'code': 'forged', 'state': state})}",
        allow_redirects=False,
        timeout=10,
    )

    # then the token exchange fails, nobody is logged in and the refusal is recorded
    assert forged.status_code == 302 and forged.headers["Location"] == "/admin/login/"
    assert "_auth_user_id" not in SessionStore(session_key=attacker.cookies["sessionid"])
    assert AuditLogEntry.objects.filter(event_type=events.LOGIN_REFUSED, reason__contains="HTTPError").exists()


def test_refused_sso_logins_never_lock_sso_out_of_an_address(live_server: Any, sso_settings: Any) -> None:
    # given more refused SSO callbacks from one address than the password-login throttle allows failures
    sso_settings.AXES_FAILURE_LIMIT = 2
    for _ in range(3):
        attacker = requests.Session()
        own = attacker.get(f"{live_server.url}/sso/login/", allow_redirects=False, timeout=10)
        state = parse_qs(urlsplit(own.headers["Location"]).query)["state"][0]
        forged = attacker.get(f"{live_server.url}/sso/callback/?code=forged&state={state}", timeout=10)
        assert forged.url == f"{live_server.url}/admin/login/"
    assert AuditLogEntry.objects.filter(event_type=events.LOGIN_REFUSED).count() == 3

    # then django-axes counted none of them, and a genuine SSO login from that address still goes through
    assert not AccessAttempt.objects.exists()
    _, response, _ = sso_login(live_server, "olivia")
    assert response.headers["Location"] == "/admin/"


# --- the ID token's verification, on tokens the real provider issued -------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_the_backend_refuses_a_tampered_id_token(live_server: Any, sso_settings: Any) -> None:
    # given a real ID token the provider issued for a login, and that login's nonce
    browser, _, authorize = sso_login(live_server, "olivia")
    token = session_of(browser)["oidc_id_token"]
    nonce = authorize["nonce"][0]
    backend = OIDCBackend()
    # (the untouched token passes, so each refusal below is the tampering's doing)
    assert backend.verify_token(token, nonce=nonce)["sub"] == "olivia"
    header, payload, signature = token.split(".")
    claims = json.loads(_unb64(payload))

    flipped = bytearray(_unb64(signature))
    flipped[10] ^= 0x01
    other_subject = _b64(json.dumps({**claims, "sub": "arne"}).encode())
    other_audience = _b64(json.dumps({**claims, "aud": "someone-else"}).encode())
    unsigned = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode()) + "." + payload + "."
    hmac_with_the_secret = jwt.encode(
        claims, CLIENT_SECRET, algorithm="HS256", headers={"kid": jwt.get_unverified_header(token)["kid"]}
    )
    tampered = {
        "signature altered": f"{header}.{payload}.{_b64(bytes(flipped))}",
        "subject changed, signature kept": f"{header}.{other_subject}.{signature}",
        "audience changed, signature kept": f"{header}.{other_audience}.{signature}",
        "alg none": unsigned,
        "HS256 signed with the client secret": hmac_with_the_secret,
        "not a JWT": "not-a-token",
    }
    for label, bad in tampered.items():
        with pytest.raises(SuspiciousOperation):
            backend.verify_token(bad, nonce=nonce)
            pytest.fail(f"accepted: {label}")

    # and the genuine token is refused for another login's nonce, or with no nonce at all
    with pytest.raises(SuspiciousOperation, match="nonce"):
        backend.verify_token(token, nonce="the-nonce-of-another-login")
    with pytest.raises(SuspiciousOperation, match="nonce"):
        backend.verify_token(token, nonce=None)


def test_the_backend_refuses_a_genuine_id_token_issued_to_another_client(
    sso_settings: Any, oidc_provider: OpenIDProvider
) -> None:
    # given an ID token the same provider signed for another of its clients (PKCE and all)
    discovery = requests.get(f"{oidc_provider.issuer}/.well-known/openid-configuration", timeout=10).json()
    verifier = secrets.token_urlsafe(48)
    nonce = secrets.token_urlsafe(16)
    authorize_url = (
        discovery["authorization_endpoint"]
        + "?"
        + urlencode(
            {
                "client_id": OTHER_CLIENT_ID,
                "response_type": "code",
                "scope": "openid",
                "redirect_uri": OTHER_CLIENT_REDIRECT,
                "state": secrets.token_urlsafe(16),
                "nonce": nonce,
                "code_challenge": _b64(hashlib.sha256(verifier.encode()).digest()),
                "code_challenge_method": "S256",
            }
        )
    )
    back = provider_sign_in(requests.Session(), authorize_url, login="olivia")
    code = parse_qs(urlsplit(back).query)["code"][0]
    tokens = requests.post(
        discovery["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": OTHER_CLIENT_REDIRECT,
            "code_verifier": verifier,
            "client_id": OTHER_CLIENT_ID,
            "client_secret": "other-secret-0123456789",
        },
        timeout=10,
    ).json()
    other_token = tokens["id_token"]
    assert jwt.decode(other_token, options={"verify_signature": False})["aud"] == OTHER_CLIENT_ID

    # when this service's backend verifies it with the right nonce, then it is refused for its audience
    with pytest.raises(SuspiciousOperation, match=r"(?i)audience"):
        OIDCBackend().verify_token(other_token, nonce=nonce)
