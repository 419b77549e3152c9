"""Signing keys, key ids and keyrings."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from evidence.pack import InvalidSigningKeyError, SigningKey, build_keyring, generate_signing_key, public_key_id
from evidence.pack.archive import FINGERPRINT_COMMAND
from evidence.pack.keys import check_keyring, load_public_key

from .support import fixed_key, needs_tools, private_pem

EC_KEY = ec.generate_private_key(ec.SECP256R1())
EC_PRIVATE_PEM = EC_KEY.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
)
EC_PUBLIC_PEM = EC_KEY.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)


def test_key_id_is_the_first_16_hex_chars_of_sha256_of_the_raw_public_key() -> None:
    # given
    key = fixed_key(1)

    # when
    key_id = key.key_id

    # then
    assert key_id == hashlib.sha256(key.raw_public_key).hexdigest()[:16]
    assert key.fingerprint.startswith(key_id)
    assert public_key_id(key.public_key_pem) == key_id


@needs_tools
def test_key_fingerprint_matches_the_openssl_command_in_verify_txt(tmp_path: Path) -> None:
    # given
    key = fixed_key(1)
    (tmp_path / "public_key.pem").write_bytes(key.public_key_pem)

    # when
    output = subprocess.run(["bash", "-c", FINGERPRINT_COMMAND], cwd=tmp_path, capture_output=True, text=True)

    # then
    assert output.stdout.split()[0] == key.fingerprint


@pytest.mark.parametrize("password", [None, b"correct horse"], ids=["plain", "encrypted"])
def test_generated_key_loads_from_pem_and_file_with_the_same_key_id(tmp_path: Path, password: bytes | None) -> None:
    # given
    pem, key_id = generate_signing_key(password=password)
    (tmp_path / "key.pem").write_bytes(pem)

    # when
    from_pem = SigningKey.from_pem(pem, password=password)
    from_file = SigningKey.from_file(tmp_path / "key.pem", password=password)

    # then
    assert from_pem.key_id == from_file.key_id == key_id
    assert (b"ENCRYPTED" in pem) is (password is not None)


@pytest.mark.parametrize(
    ("pem", "password", "message"),
    [
        (private_pem(fixed_key(1), b"secret"), b"wrong", "cannot load private key"),
        (private_pem(fixed_key(1), b"secret"), None, "cannot load private key"),
        (private_pem(fixed_key(1)), b"unexpected", "cannot load private key"),
        (b"-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n", None, "cannot load private key"),
        (EC_PRIVATE_PEM, None, "expected an Ed25519 private key"),
    ],
    ids=["wrong-password", "missing-password", "password-for-plain-key", "garbage", "ec-key"],
)
def test_loading_a_bad_private_key_is_rejected(pem: bytes, password: bytes | None, message: str) -> None:
    # when / then
    with pytest.raises(InvalidSigningKeyError, match=message):
        SigningKey.from_pem(pem, password=password)


def test_signing_key_rejects_a_non_ed25519_key_object() -> None:
    # when / then
    with pytest.raises(InvalidSigningKeyError, match="expected an Ed25519 private key"):
        SigningKey(ec.generate_private_key(ec.SECP256R1()))  # type: ignore[arg-type]


def test_repr_shows_the_key_id_and_never_the_private_key() -> None:
    # given
    key = fixed_key(1)

    # when
    text = repr(key)

    # then
    assert text == f"SigningKey(key_id={key.key_id!r})"


@pytest.mark.parametrize(
    ("pem", "message"),
    [
        (b"not a pem", "cannot load public key"),
        (EC_PUBLIC_PEM, "expected an Ed25519"),
    ],
    ids=["garbage", "ec-key"],
)
def test_loading_a_bad_public_key_is_rejected(pem: bytes, message: str) -> None:
    # when / then
    with pytest.raises(InvalidSigningKeyError, match=message):
        load_public_key(pem)


def test_keyring_files_each_public_key_under_its_key_id() -> None:
    # given
    current, retired = fixed_key(1), fixed_key(2)

    # when
    keyring = build_keyring([current.public_key_pem, retired.public_key_pem])

    # then
    assert keyring == {current.key_id: current.public_key_pem, retired.key_id: retired.public_key_pem}
    check_keyring(keyring)


def test_keyring_entry_under_the_wrong_key_id_is_a_configuration_error() -> None:
    # given
    keyring = {fixed_key(1).key_id: fixed_key(2).public_key_pem}

    # when / then
    with pytest.raises(InvalidSigningKeyError, match="holds the public key of key id"):
        check_keyring(keyring)
