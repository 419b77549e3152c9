"""System checks of the platform: configuration a production process must not start without."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error


def secret_key_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``core.E001``: SECRET_KEY is empty (unset with DEBUG off). Commands that run system checks (``runserver``,
    ``migrate``, ``ingest_logs``, ...) stop here with the variable named; ``classify`` and ``--help`` do not check."""
    from django.core.exceptions import ImproperlyConfigured

    from config.startup import require_secret_key

    try:
        require_secret_key()
    except ImproperlyConfigured as exc:
        return [Error(str(exc), hint="Set SECRET_KEY in the environment or in .env.", id="core.E001")]
    return []
