"""Settings, deploy checks, the OpenAPI schema, health, demo data and the admin bootstrap."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from config.settings import env as envmod
from core.models import WorkerHeartbeat
from governance.models import AISystem

ROOT = Path(__file__).resolve().parents[2]


def _run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG", "SECRET_KEY"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.base",
    "DEBUG": "false",
    "SECRET_KEY": "x7!k2@pQ9#vL4$wR8^zT1&yU6*mN3(bJ5)cH0_gF-eD+aS=qW" * 2,
    "ALLOWED_HOSTS": "aigov.example.com",
    "DISCOVERY_PSEUDONYM_KEYS": "1:cHJvZHVjdGlvbi10ZXN0LXBzZXVkb255bS1rZXktMDEyMzQ1Njc4OQ",
}


def test_production_settings_pass_check_deploy_without_warnings(tmp_path: Path) -> None:
    # when
    result = _run_manage(
        "check", "--deploy", "--fail-level", "WARNING", env={**PRODUCTION_ENV, "DATA_DIR": str(tmp_path)}
    )
    # then
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_secret_key(tmp_path: Path) -> None:
    # given
    env = {**PRODUCTION_ENV, "SECRET_KEY": "", "DATA_DIR": str(tmp_path)}
    # when
    result = _run_manage("check", env=env)
    # then
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_to_start_with_a_pseudonym_key_derived_from_secret_key(tmp_path: Path) -> None:
    # given DEBUG off and no pseudonym key ring
    env = {**PRODUCTION_ENV, "DISCOVERY_PSEUDONYM_KEYS": "", "DATA_DIR": str(tmp_path)}
    # when
    result = _run_manage("check", env=env)
    # then
    assert result.returncode != 0
    assert "discovery.E001" in result.stderr
    assert "pseudonym_key_generate" in result.stderr


def test_development_keeps_the_derived_pseudonym_key_with_a_warning(tmp_path: Path) -> None:
    # given DEBUG on (`make run`) and no pseudonym key ring
    env = {**PRODUCTION_ENV, "DEBUG": "true", "DISCOVERY_PSEUDONYM_KEYS": "", "DATA_DIR": str(tmp_path)}
    # when
    result = _run_manage("check", env=env)
    # then
    assert result.returncode == 0, result.stderr
    assert "discovery.W001" in result.stderr + result.stdout


def test_the_key_generator_runs_where_the_check_refuses_the_configuration(tmp_path: Path) -> None:
    # given DEBUG off, no key ring (discovery.E001) and no SECRET_KEY
    env = {**PRODUCTION_ENV, "DISCOVERY_PSEUDONYM_KEYS": "", "SECRET_KEY": "", "DATA_DIR": str(tmp_path)}
    # when
    result = _run_manage("pseudonym_key_generate", "--key-version", "1", env=env)
    # then it prints an entry the production settings accept
    assert result.returncode == 0, result.stderr
    entry = result.stdout.strip()
    assert entry.startswith("1:")
    checked = _run_manage("check", env={**PRODUCTION_ENV, "DISCOVERY_PSEUDONYM_KEYS": entry, "DATA_DIR": str(tmp_path)})
    assert checked.returncode == 0, checked.stderr


def test_a_worker_refuses_to_start_with_a_derived_pseudonym_key(tmp_path: Path) -> None:
    # given
    clean = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG", "SECRET_KEY"}}
    env = {**clean, **PRODUCTION_ENV, "DISCOVERY_PSEUDONYM_KEYS": "", "DATA_DIR": str(tmp_path)}
    code = "import django; django.setup(); from config.celery import _require_secret_key as f; f()"
    # when
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    # then
    assert result.returncode != 0
    assert "derived from SECRET_KEY" in result.stderr


@pytest.mark.parametrize("args", [("classify", "--help"), ("help",), ("verify_evidence_pack", "--help")])
def test_commands_that_sign_nothing_run_without_a_secret_key(tmp_path: Path, args: tuple[str, ...]) -> None:
    # given: DEBUG off and no SECRET_KEY (issue 16 point 8)
    env = {**PRODUCTION_ENV, "SECRET_KEY": "", "DATA_DIR": str(tmp_path)}
    # when
    result = _run_manage(*args, env=env)
    # then
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "usage:" in result.stdout or "classify" in result.stdout


def test_classify_a_facts_file_without_a_secret_key(tmp_path: Path) -> None:
    # given
    facts = tmp_path / "facts.json"
    facts.write_text('{"roles": ["deployer"], "annex_iii": {"points": ["4a"]}}')
    env = {**PRODUCTION_ENV, "SECRET_KEY": "", "DATA_DIR": str(tmp_path)}
    # when
    result = _run_manage("classify", "--facts", str(facts), "--json", env=env)
    # then
    assert result.returncode == 0, result.stderr
    assert '"risk_class": "high"' in result.stdout


@pytest.mark.parametrize("entry", ["import config.wsgi", "from config.celery import _require_secret_key as f; f()"])
def test_web_and_worker_refuse_to_start_without_a_secret_key(tmp_path: Path, entry: str) -> None:
    # given
    clean = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG", "SECRET_KEY"}}
    env = {**clean, **PRODUCTION_ENV, "SECRET_KEY": "", "DATA_DIR": str(tmp_path)}
    code = f"import django; django.setup(); {entry}" if "celery" in entry else entry
    # when
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    # then
    assert result.returncode != 0
    assert "SECRET_KEY (or SECRET_KEY_FILE) must be set when DEBUG is off" in result.stderr


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("true", True), ("YES", True), ("on", True), ("0", False), ("off", False)]
)
def test_env_bool_parses_common_spellings(monkeypatch: pytest.MonkeyPatch, raw: str, expected: bool) -> None:
    # given
    monkeypatch.setenv("AIGOV_FLAG", raw)
    # then
    assert envmod.env_bool("AIGOV_FLAG", not expected) is expected


def test_env_helpers_reject_garbage_with_the_variable_name(monkeypatch: pytest.MonkeyPatch) -> None:
    # given
    monkeypatch.setenv("AIGOV_FLAG", "maybe")
    monkeypatch.setenv("AIGOV_NUM", "ten")
    # then
    with pytest.raises(ImproperlyConfigured, match="AIGOV_FLAG"):
        envmod.env_bool("AIGOV_FLAG", False)
    with pytest.raises(ImproperlyConfigured, match="AIGOV_NUM"):
        envmod.env_int("AIGOV_NUM", 1)


def test_env_file_variant_reads_secrets_from_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # given
    secret = tmp_path / "secret"
    secret.write_text("from-a-file\n")
    monkeypatch.setenv("AIGOV_SECRET_FILE", str(secret))
    monkeypatch.setenv("AIGOV_LIST", "a, b,,c")
    # then
    assert envmod.env_str("AIGOV_SECRET") == "from-a-file"
    assert envmod.env_list("AIGOV_LIST") == ["a", "b", "c"]
    assert envmod.env_int("AIGOV_MISSING", 7) == 7


def test_openapi_schema_generates_without_warnings(tmp_path: Path) -> None:
    # when
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    # then
    text = out.read_text()
    assert "/api/v1/governance/ai-systems/" in text
    assert "/api/v1/governance/ai-systems/{id}/history/" in text


@pytest.mark.django_db
def test_swagger_ui_is_served_with_local_assets(client: Any, alice: Any) -> None:
    # given a signed-in user (the docs are not served to anonymous visitors)
    client.force_login(alice)
    # when
    page = client.get(reverse("swagger-ui"))
    # then
    assert page.status_code == 200
    body = page.content.decode()
    assert "cdn." not in body and "unpkg" not in body
    assert "drf_spectacular_sidecar/swagger-ui-dist" in body


@pytest.mark.django_db
def test_api_list_pages_and_searches(api: Any, alice: Any) -> None:
    # given
    for i in range(3):
        AISystem.objects.create(name=f"Bot {i}", purpose="chat")
    AISystem.objects.create(name="Scorer", purpose="credit scoring")
    api.force_authenticate(alice)
    # when
    page = api.get(reverse("governance-api:aisystem-list"), {"page_size": 2}).json()
    found = api.get(reverse("governance-api:aisystem-list"), {"search": "credit"}).json()
    # then
    assert page["count"] == 4 and len(page["results"]) == 2 and page["next"]
    assert [r["name"] for r in found["results"]] == ["Scorer"]


@pytest.mark.django_db
def test_list_endpoint_query_count_does_not_grow_with_rows(
    api: Any, alice: Any, django_assert_max_num_queries: Any
) -> None:
    # given
    from tests.audits.factories import AuditDefinitionFactory

    AuditDefinitionFactory.create_batch(20)
    api.force_authenticate(alice)
    # then
    with django_assert_max_num_queries(8):
        api.get(reverse("audits-api:auditdefinition-list"))


@pytest.mark.django_db
def test_healthz_reports_database_and_worker_heartbeat(client: Any) -> None:
    # given
    before = client.get("/healthz").json()
    from core.tasks import record_heartbeat_task

    record_heartbeat_task()
    # when
    after = client.get("/healthz").json()
    # then
    assert before["worker"] == "never"
    assert after["status"] == "ok" and after["worker"] == "ok"
    assert WorkerHeartbeat.objects.count() == 1


@pytest.mark.django_db
def test_demo_command_is_idempotent(capsys: Any) -> None:
    # when
    call_command("demo")
    counts = (AISystem.objects.count(), AISystem.history.count())
    call_command("demo")
    # then
    assert counts[0] >= 4
    assert (AISystem.objects.count(), AISystem.history.count()) == counts


@pytest.mark.django_db
def test_ensure_admin_creates_once_and_prints_the_same_credentials(capsys: Any, django_user_model: Any) -> None:
    # when
    call_command("ensure_admin")
    first = capsys.readouterr().out
    call_command("ensure_admin")
    second = capsys.readouterr().out
    # then
    assert first == second and "password:" in first
    password = first.split("password: ")[1].split()[0]
    assert django_user_model.objects.get(username="admin").check_password(password)


@pytest.mark.django_db
def test_the_embedded_sqlite_database_runs_with_wal_safe_synchronous_normal() -> None:
    # given the default (embedded) database
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    # when
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        (synchronous,) = cursor.fetchone()
    # then the connection commits without an fsync per transaction (NORMAL = 1, the default FULL = 2)
    assert synchronous == 1


@pytest.mark.django_db
def test_the_demo_builds_a_signed_pack_an_auditor_can_download(settings: Any, tmp_path: Any) -> None:
    # given a signing key (production needs one; the demo signs with it)
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from evidence.choices import EvidencePackStatus
    from evidence.models import EvidencePack

    key = tmp_path / "signing.pem"
    key.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    settings.EVIDENCE_SIGNING_KEY_FILE = str(key)
    # when
    call_command("demo")
    call_command("demo")
    # then one pack, requested by the auditor, built
    pack = EvidencePack.objects.get()
    assert pack.requested_by.username == "audrey"
    assert pack.status == EvidencePackStatus.BUILT, pack.error
    assert pack.ai_system.name == "CV screening assistant"
