"""A real OpenID Provider for the SSO tests, and a scripted browser for its login and consent pages.

The provider is panva/oidc-provider (OpenID Certified) run with Node from ``tests/sso/provider`` (``.ci/run``
installs it with ``npm ci``), on 127.0.0.1 with an ephemeral port, started once per test session. Its client
``aigov`` redirects to this test session's live server; ``other-app`` is a second client of the same provider whose ID
tokens the service must refuse (another audience). Its accounts live in a JSON file the provider reads on every
claims request, so a test changes a user's groups by rewriting it (:meth:`OpenIDProvider.set_groups`).

Under ``CI=true`` a missing Node or provider package fails the tests; elsewhere they are skipped.
"""

from __future__ import annotations

import html
import json
import os
import re
import selectors
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from core.roles import AUDITOR, COMPLIANCE_OFFICER, SECURITY_ANALYST

PROVIDER_DIR = Path(__file__).parent / "provider"
CLIENT_ID = "aigov"
CLIENT_SECRET = "aigov-test-secret-0123456789abcdefghij"
OTHER_CLIENT_ID = "other-app"
OTHER_CLIENT_REDIRECT = "http://127.0.0.1:9/callback"  # never requested: the test stops at the redirect
ROLE_MAP = {
    "aigov-compliance": (COMPLIANCE_OFFICER,),
    "aigov-auditors": (AUDITOR,),
    "secops": (SECURITY_ANALYST,),
}
#: The accounts the provider knows at start: login -> claims the provider serves.
ACCOUNTS: dict[str, dict[str, Any]] = {
    "olivia": {"email": "olivia@example.test", "name": "Olivia Officer", "groups": ["aigov-compliance", "staff"]},
    "arne": {"email": "arne@example.test", "name": "Arne Auditor", "groups": ["aigov-auditors", "secops"]},
    "nobody": {"email": "nobody@example.test", "name": "No Groups", "groups": ["staff"]},
}


def peer_missing(message: str) -> None:
    """A peer the SSO tests need is missing: fail under CI, skip elsewhere."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} (CI=true: the SSO tests need it)")
    pytest.skip(message)


@dataclass
class OpenIDProvider:
    """The running provider: its issuer URL and the accounts file it reads."""

    issuer: str
    accounts_file: Path

    def reset(self) -> None:
        self.accounts_file.write_text(json.dumps(ACCOUNTS))

    def set_groups(self, login: str, groups: list[str]) -> None:
        accounts = json.loads(self.accounts_file.read_text())
        accounts[login]["groups"] = groups
        self.accounts_file.write_text(json.dumps(accounts))


@pytest.fixture(scope="session")
def oidc_provider(live_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenIDProvider]:
    node = shutil.which("node")
    if node is None:
        peer_missing("node is not installed")
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        peer_missing(f"the test OpenID Provider is not installed: npm ci --prefix {PROVIDER_DIR}")
    workdir = tmp_path_factory.mktemp("oidc-provider")
    accounts_file = workdir / "accounts.json"
    accounts_file.write_text(json.dumps(ACCOUNTS))
    config = {
        "accounts_file": str(accounts_file),
        "clients": [
            {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": [f"{live_server.url}/sso/callback/"],
                "token_endpoint_auth_method": "client_secret_basic",
            },
            {
                "client_id": OTHER_CLIENT_ID,
                "client_secret": "other-secret-0123456789",
                "redirect_uris": [OTHER_CLIENT_REDIRECT],
                "token_endpoint_auth_method": "client_secret_post",
            },
        ],
    }
    config_file = workdir / "config.json"
    config_file.write_text(json.dumps(config))
    stderr = (workdir / "provider.log").open("w")
    process = subprocess.Popen(
        [str(node), "provider.mjs", str(config_file)],
        cwd=PROVIDER_DIR,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )
    try:
        assert process.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout=30):
            raise RuntimeError("the test OpenID Provider did not start within 30 s")
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"the test OpenID Provider exited: {(workdir / 'provider.log').read_text()}")
        yield OpenIDProvider(issuer=json.loads(line)["issuer"], accounts_file=accounts_file)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        stderr.close()


@pytest.fixture
def sso_settings(settings: Any, oidc_provider: OpenIDProvider) -> Any:
    """Single sign-on on, against the test provider (the live server thread reads the same settings)."""
    from sso.discovery import discovery_cache_clear

    settings.USE_OIDC = True
    settings.OIDC_ISSUER = oidc_provider.issuer
    settings.OIDC_CLIENT_ID = CLIENT_ID
    settings.OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_SCOPES = settings.OIDC_RP_SCOPES = "openid email profile groups"
    settings.OIDC_ROLE_MAP = ROLE_MAP
    # the live server speaks plain http: cookies marked Secure (the default with DEBUG off) would not come back
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    settings.OIDC_STORE_ID_TOKEN = True  # so a test can take a real ID token out of the session
    oidc_provider.reset()
    discovery_cache_clear()
    yield settings
    discovery_cache_clear()


_FORM_ACTION = re.compile(r'<form[^>]*action="([^"]+)"[^>]*method="post"', re.IGNORECASE)


def provider_sign_in(browser: requests.Session, authorize_url: str, *, login: str) -> str:
    """Drive the provider from its authorization URL through its login form (as ``login``, any password) and its
    consent form, as a browser would; return the URL it finally redirects to (the client's redirect URI with the
    code and the state), without requesting it."""
    issuer_origin = urlsplit(authorize_url)[:2]
    url, method, data = authorize_url, "GET", None
    for _ in range(20):
        response = browser.request(method, url, data=data, allow_redirects=False, timeout=10)
        if response.is_redirect:
            target = urljoin(url, response.headers["Location"])
            if urlsplit(target)[:2] != issuer_origin:
                return target
            url, method, data = target, "GET", None
            continue
        assert response.status_code == 200, f"{url}: {response.status_code} {response.text[:500]}"
        action = _FORM_ACTION.search(response.text)
        assert action, f"no form on the provider's page {url}: {response.text[:500]}"
        url = urljoin(url, html.unescape(action.group(1)))
        if 'name="prompt" value="login"' in response.text:
            data = {"prompt": "login", "login": login, "password": "any password"}
        else:
            assert 'name="prompt" value="consent"' in response.text, response.text[:500]
            data = {"prompt": "consent"}
        method = "POST"
    raise AssertionError("the provider kept redirecting")
