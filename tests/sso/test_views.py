"""The admin login page (the SSO button, local logins on or off), the SSO views when SSO is off or the IdP is down,
and the password backend that OIDC_LOCAL_LOGIN=false turns off. No provider needed: no login completes here."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import authenticate, login
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client, RequestFactory

from sso.backends import OIDCBackend
from sso.discovery import discovery_cache_clear

pytestmark = pytest.mark.django_db


@pytest.fixture
def sso_on(settings: Any) -> Any:
    settings.USE_OIDC = True
    settings.OIDC_ISSUER = "http://127.0.0.1:1"  # nothing listens there: any discovery fails at once
    settings.OIDC_CLIENT_ID = "aigov"
    settings.OIDC_LOCAL_LOGIN = True
    discovery_cache_clear()
    yield settings
    discovery_cache_clear()


@pytest.fixture
def local_user(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user("lena", password="lena-local-password", is_staff=True)


def test_without_sso_the_login_page_has_no_sso_button_and_the_sso_urls_are_404(client: Client) -> None:
    page = client.get("/admin/login/")
    assert page.status_code == 200
    assert "Log in with SSO" not in page.text and 'name="password"' in page.text
    assert client.get("/sso/login/").status_code == 404
    assert client.get("/sso/callback/?code=a&state=b").status_code == 404


def test_with_sso_the_login_page_offers_the_button_next_to_the_password_form(client: Client, sso_on: Any) -> None:
    page = client.get("/admin/login/?next=/admin/governance/")
    assert "Log in with SSO" in page.text and 'name="password"' in page.text
    assert 'href="/sso/login/?next=%2Fadmin%2Fgovernance%2F"' in page.text


def test_with_local_logins_off_only_sso_is_shown_and_no_password_logs_in(
    client: Client, sso_on: Any, local_user: Any
) -> None:
    # given single sign-on with local logins off
    sso_on.OIDC_LOCAL_LOGIN = False

    # then the login page shows the SSO button only
    page = client.get("/admin/login/")
    assert "Log in with SSO" in page.text and 'name="password"' not in page.text
    # and the right password logs nobody in: not the admin form, not the API's session login, not authenticate()
    posted = client.post("/admin/login/", {"username": "lena", "password": "lena-local-password"})
    assert posted.status_code == 302 and "_auth_user_id" not in client.session
    client.post("/api-auth/login/", {"username": "lena", "password": "lena-local-password"})
    assert "_auth_user_id" not in client.session
    assert authenticate(RequestFactory().post("/"), username="lena", password="lena-local-password") is None

    # and with local logins back on, the same password works
    sso_on.OIDC_LOCAL_LOGIN = True
    client.post("/admin/login/", {"username": "lena", "password": "lena-local-password"})
    assert client.session["_auth_user_id"] == str(local_user.pk)


def test_an_unreachable_idp_sends_the_user_back_to_the_login_page_with_the_reason(client: Client, sso_on: Any) -> None:
    response = client.get("/sso/login/", follow=True)
    assert response.redirect_chain[-1][0] == "/admin/login/"
    assert "Single sign-on is unavailable" in response.text


def test_explicit_endpoints_need_no_discovery(client: Client, sso_on: Any) -> None:
    sso_on.OIDC_AUTHORIZATION_ENDPOINT = "https://idp.example.test/authorize"
    sso_on.OIDC_TOKEN_ENDPOINT = "https://idp.example.test/token"
    sso_on.OIDC_JWKS_URI = "https://idp.example.test/keys"
    response = client.get("/sso/login/?next=/admin/audits/")
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == "https://idp.example.test/authorize"
    params = parse_qs(location.query)
    assert params["client_id"] == ["aigov"] and params["redirect_uri"] == ["http://testserver/sso/callback/"]
    assert params["code_challenge_method"] == ["S256"] and params["scope"] == ["openid email profile"]
    assert client.session["oidc_login_next"] == "/admin/audits/"


def test_an_unsafe_next_url_is_dropped(client: Client, sso_on: Any) -> None:
    sso_on.OIDC_AUTHORIZATION_ENDPOINT = "https://idp.example.test/authorize"
    sso_on.OIDC_TOKEN_ENDPOINT = "https://idp.example.test/token"
    sso_on.OIDC_JWKS_URI = "https://idp.example.test/keys"
    client.get("/sso/login/?next=https://evil.example/")
    assert client.session["oidc_login_next"] is None


def test_the_provider_reporting_an_error_lands_on_the_login_page_with_it(client: Client, sso_on: Any) -> None:
    response = client.get("/sso/callback/?error=access_denied&error_description=End-User+aborted", follow=True)
    assert response.redirect_chain[-1][0] == "/admin/login/"
    assert "End-User aborted" in response.text


def test_only_a_login_by_the_oidc_backend_marks_the_session_oidc(rf: RequestFactory, local_user: Any) -> None:
    # given a session that logged in through the OIDC backend
    request = rf.get("/")
    request.session = SessionStore()
    local_user.backend = "sso.backends.OIDCBackend"
    login(request, local_user)
    assert request.session["auth_method"] == "oidc"

    # when the same session logs the same user in again with a password (auth.login keeps the session data)
    local_user.backend = "sso.backends.LocalPasswordBackend"
    login(request, local_user)

    # then the SSO mark is gone: the session is marked a password login (core.mfa asks it for its second factor)
    assert request.session.get("auth_method") == "password"


def test_a_deactivated_account_loses_its_sso_session(client: Client, local_user: Any) -> None:
    # given a session opened by the OIDC backend
    client.force_login(local_user, backend="sso.backends.OIDCBackend")
    assert client.get("/admin/").status_code == 200

    # when the account is deactivated, then the session no longer logs anyone in
    local_user.is_active = False
    local_user.save()
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert OIDCBackend().get_user(local_user.pk) is None
