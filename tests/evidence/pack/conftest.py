"""Fixtures for the evidence-pack tests: keys, a plain pack and a pack timestamped by a local TSA."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509

from evidence.pack import build_manifest, build_pack, build_timestamp_request, verify_timestamp_response
from evidence.pack.keys import SigningKey

from .support import CREATED_AT, FILES, METADATA, FakeTsa, fixed_key


@pytest.fixture(scope="session")
def signing_key() -> SigningKey:
    """The organisation's current key."""
    return fixed_key(1)


@pytest.fixture(scope="session")
def old_signing_key() -> SigningKey:
    """A key retired by rotation."""
    return fixed_key(2)


@pytest.fixture(scope="session")
def pack(signing_key: SigningKey) -> bytes:
    """A pack without timestamp."""
    return build_pack(files=FILES, metadata=METADATA, signing_key=signing_key, created_at=CREATED_AT)


@pytest.fixture(scope="session")
def tsa(tmp_path_factory: pytest.TempPathFactory) -> FakeTsa:
    """A local timestamp authority."""
    return FakeTsa(tmp_path_factory.mktemp("tsa"))


@pytest.fixture(scope="session")
def timestamped_pack(signing_key: SigningKey, tsa: FakeTsa) -> bytes:
    """A pack with an RFC 3161 token, obtained the way the Django side will."""
    inputs = {"files": FILES, "metadata": METADATA, "signing_key": signing_key, "created_at": CREATED_AT}
    manifest = build_manifest(**inputs, timestamped=True)
    request = build_timestamp_request(manifest)
    timestamp = verify_timestamp_response(
        tsa.reply(request.der),
        manifest_bytes=manifest,
        nonce=request.nonce,
        anchors=x509.load_pem_x509_certificates(tsa.ca_file.read_bytes()),
        now=datetime.now(UTC),
    )
    return build_pack(**inputs, timestamp=timestamp)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """An empty directory to unpack into."""
    return tmp_path / "auditor"
