"""The SSO settings refuse a configuration they cannot honour at start-up, naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_settings(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OIDC_", "USE_OIDC"))}
    return subprocess.run(
        [sys.executable, "-c", "import config.settings.test as s; print(s.USE_OIDC, s.OIDC_ROLE_MAP)"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"OIDC_CLIENT_ID": "aigov"}, "needs OIDC_ISSUER and OIDC_CLIENT_ID"),
        ({"USE_OIDC": "true", "OIDC_ISSUER": "https://idp.example"}, "needs OIDC_ISSUER and OIDC_CLIENT_ID"),
        ({"OIDC_ROLE_MAP": "admins=superuser"}, "unknown role 'superuser'"),
        ({"OIDC_TOKEN_AUTH_METHOD": "private_key_jwt"}, "OIDC_TOKEN_AUTH_METHOD must be"),
    ],
)
def test_a_bad_sso_configuration_stops_the_start_up(env: dict[str, str], message: str) -> None:
    result = load_settings(**env)
    assert result.returncode != 0 and "ImproperlyConfigured" in result.stderr and message in result.stderr


def test_sso_is_on_with_a_client_id_and_an_issuer_and_reads_the_role_map() -> None:
    result = load_settings(
        OIDC_CLIENT_ID="aigov", OIDC_ISSUER="https://idp.example", USE_OIDC="", OIDC_ROLE_MAP="g=auditor"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True {'g': ('Auditor',)}"
    assert load_settings().stdout.strip() == "False {}"


def test_a_missing_sso_peer_fails_under_ci_and_skips_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.sso.conftest import peer_missing

    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        peer_missing("node is not installed")
    monkeypatch.setenv("CI", "")
    with pytest.raises(pytest.skip.Exception):
        peer_missing("node is not installed")
