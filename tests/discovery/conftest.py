from __future__ import annotations

from typing import Any

import pytest

from discovery.models import LogSource
from tests.discovery.factories import LogSourceFactory, ensure_catalog, identity_map


@pytest.fixture
def catalog(db: None) -> None:
    """The seeded AI-service catalog (re-seeded if a transactional test flushed it)."""
    ensure_catalog()


@pytest.fixture
def source(catalog: None) -> LogSource:
    return LogSourceFactory(name="HQ proxy", log_format="squid", identity_map=identity_map())


@pytest.fixture
def small_chunks(settings: Any) -> None:
    settings.DISCOVERY_CHUNK_BYTES = 200
