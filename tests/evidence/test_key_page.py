"""The published evidence-signing keys: a public HTML page, PEM downloads, the JSON API and verify.py, linked from
the admin; a pack's VERIFY.txt points at the page, and a key fetched from it anchors verify.py."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from evidence.build import evidence_pack_render
from evidence.pack import verify_standalone
from evidence.pack.keys import SigningKey
from tests.evidence.pack.support import fixed_key, needs_tools, unzip

from .conftest import World


@pytest.fixture
def retired_key(signing_settings: Any) -> SigningKey:
    """A key retired by a rotation: its public half sits in the trusted-keys directory."""
    key = fixed_key(12)
    directory = Path(signing_settings.EVIDENCE_TRUSTED_KEYS_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{key.key_id}.pem").write_bytes(key.public_key_pem)
    return key


def test_the_key_page_is_public_and_lists_current_and_retired_keys(
    client: Client, db: None, current_key: SigningKey, retired_key: SigningKey
) -> None:
    # when: no login (an outside auditor has no account)
    response = client.get(reverse("evidence:evidence-keys"))
    # then
    assert response.status_code == 200
    body = response.content.decode()
    for key in (current_key, retired_key):
        assert key.fingerprint in body and key.key_id in body
        assert key.public_key_pem.decode().splitlines()[1] in body
    assert "current" in body and "retired" in body
    assert "PRIVATE KEY" not in body
    assert body.index(current_key.fingerprint) < body.index(retired_key.fingerprint)


def test_a_published_key_downloads_as_pem(client: Client, db: None, current_key: SigningKey) -> None:
    response = client.get(reverse("evidence:evidence-key-pem", args=[current_key.key_id]))
    assert response.status_code == 200
    assert response.content == current_key.public_key_pem
    assert f"aigov-evidence-{current_key.key_id}.pem" in response["Content-Disposition"]
    assert client.get(reverse("evidence:evidence-key-pem", args=["0" * 16])).status_code == 404


def test_the_keys_api_is_public_json(api: Any, db: None, current_key: SigningKey, retired_key: SigningKey) -> None:
    # when
    response = api.get(reverse("evidence-api:evidence-keys"))
    # then
    assert response.status_code == 200
    rows = response.json()
    assert [(r["key_id"], r["status"], r["fingerprint"]) for r in rows] == [
        (current_key.key_id, "current", current_key.fingerprint),
        (retired_key.key_id, "retired", retired_key.fingerprint),
    ]
    assert rows[0]["public_key_pem"] == current_key.public_key_pem.decode()
    assert rows[0]["pem_url"].endswith(f"/evidence/keys/{current_key.key_id}.pem")
    assert "PRIVATE KEY" not in response.content.decode()


def test_the_organisation_serves_verify_py(client: Client, db: None) -> None:
    response = client.get(reverse("evidence:evidence-verify-py"))
    assert response.status_code == 200
    assert response.content == Path(verify_standalone.__file__).read_bytes()


def test_the_admin_links_the_key_page(client: Client, audrey: Any) -> None:
    client.force_login(audrey)
    response = client.get(reverse("admin:evidence_evidencepack_changelist"))
    assert response.status_code == 200
    assert reverse("evidence:evidence-keys") in response.content.decode()


def test_verify_txt_sends_auditors_to_the_key_page(world: World, settings: Any, current_key: SigningKey) -> None:
    # given
    settings.SITE_URL = "https://aigov.example.org"
    settings.EVIDENCE_KEYS_URL = ""
    # when
    pack = evidence_pack_render(system=world.system, created_at=timezone.now(), pack_id="p-1").data
    # then
    text = unzip(pack)["VERIFY.txt"].decode()
    assert "https://aigov.example.org/evidence/keys/" in text
    assert current_key.fingerprint not in text


@needs_tools
def test_a_key_from_the_page_anchors_verify_py(
    client: Client, world: World, tmp_path: Path, current_key: SigningKey
) -> None:
    # given: a pack from the service, and the key the auditor downloads from the page
    pack = evidence_pack_render(system=world.system, created_at=timezone.now(), pack_id="p-2").data
    (tmp_path / "pack.zip").write_bytes(pack)
    (tmp_path / "verify.py").write_bytes(client.get(reverse("evidence:evidence-verify-py")).content)
    pem = client.get(reverse("evidence:evidence-key-pem", args=[current_key.key_id])).content
    (tmp_path / "trusted.pem").write_bytes(pem)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    # when
    anchored = subprocess.run(
        [sys.executable, "verify.py", "pack.zip", "--trusted-key", "trusted.pem"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip
    unanchored = subprocess.run(
        [sys.executable, "verify.py", "pack.zip"], cwd=tmp_path, capture_output=True, text=True, timeout=60, env=env
    )
    # then
    assert anchored.returncode == 0, anchored.stdout
    assert unanchored.returncode == 2
    assert "NOT VERIFIED: key not anchored" in unanchored.stdout
