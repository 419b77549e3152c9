"""Signing keys from settings (file, inline, password, DEBUG dev key), rotation and the optional RFC 3161 TSA."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from evidence.build import evidence_pack_render
from evidence.pack import verify_pack
from evidence.pack.keys import SigningKey
from evidence.signing import (
    signing_key_load,
    signing_key_rotate,
    trusted_keyring,
)
from tests.evidence.pack.support import fixed_key, private_pem

from .conftest import World


def test_the_key_is_read_from_the_configured_file(current_key: SigningKey) -> None:
    assert signing_key_load().key_id == current_key.key_id


def test_an_inline_encrypted_key_needs_its_password(settings: Any) -> None:
    # given
    key = fixed_key(12)
    settings.EVIDENCE_SIGNING_KEY_FILE = ""
    settings.EVIDENCE_SIGNING_KEY = private_pem(key, password=b"s3cret").decode()
    # when / then
    with pytest.raises(ImproperlyConfigured, match="invalid evidence signing key"):
        signing_key_load()
    settings.EVIDENCE_SIGNING_KEY_PASSWORD = "s3cret"
    assert signing_key_load().key_id == key.key_id


def test_without_a_key_and_debug_off_signing_refuses(settings: Any) -> None:
    # given
    settings.EVIDENCE_SIGNING_KEY_FILE = ""
    settings.DEBUG = False
    # when / then
    with pytest.raises(ImproperlyConfigured, match="EVIDENCE_SIGNING_KEY_FILE"):
        signing_key_load()


def test_with_debug_on_a_dev_key_is_generated_once_under_data_dir(
    settings: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # given
    settings.EVIDENCE_SIGNING_KEY_FILE = ""
    settings.DEBUG = True
    settings.DATA_DIR = tmp_path / "data"
    # when
    with caplog.at_level(logging.WARNING, logger="evidence.signing"):
        first = signing_key_load()
    second = signing_key_load()
    # then
    assert first.key_id == second.key_id
    assert (tmp_path / "data" / "evidence-dev-signing-key.pem").stat().st_mode & 0o777 == 0o600
    assert "development key" in caplog.text


def test_a_missing_key_file_is_a_configuration_error(settings: Any, tmp_path: Path) -> None:
    settings.EVIDENCE_SIGNING_KEY_FILE = str(tmp_path / "nope.pem")
    with pytest.raises(ImproperlyConfigured, match="cannot read"):
        signing_key_load()


def test_rotation_writes_a_new_key_and_keeps_the_old_public_key_trusted(current_key: SigningKey) -> None:
    # when
    rotation = signing_key_rotate()
    # then
    assert rotation.old_key_id == current_key.key_id
    assert rotation.new_key_id != current_key.key_id
    assert signing_key_load().key_id == rotation.new_key_id
    assert set(trusted_keyring()) == {current_key.key_id, rotation.new_key_id}
    assert rotation.key_file.stat().st_mode & 0o777 == 0o600


def test_a_pack_signed_before_rotation_still_verifies_after_it(world: World) -> None:
    # given
    old_pack = evidence_pack_render(system=world.system, created_at=timezone.now(), pack_id="p-1").data
    # when
    signing_key_rotate()
    # then
    report = verify_pack(old_pack, trusted_keys=trusted_keyring())
    assert report.ok and report.key_trusted
    new_pack = evidence_pack_render(system=world.system, created_at=timezone.now(), pack_id="p-2").data
    assert verify_pack(new_pack, trusted_keys=trusted_keyring()).key_id == signing_key_load().key_id
