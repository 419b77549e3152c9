from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _media_input_dir(settings: Any, tmp_path: Any) -> None:
    """Each test gets its own MEDIA_ROOT, which is also the only allowed input directory."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.AUDITS_INPUT_DIRS = [settings.MEDIA_ROOT]
