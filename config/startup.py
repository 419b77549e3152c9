"""Start-up guards of the long-running processes (web, worker, beat): refuse to start on a missing secret."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured


def require_secret_key() -> None:
    """Raise :class:`ImproperlyConfigured` naming ``SECRET_KEY`` when the signing key is empty (DEBUG off, unset)."""
    from django.conf import settings

    from config.settings.base import SECRET_KEY_MISSING

    try:
        key = settings.SECRET_KEY
    except ImproperlyConfigured:
        key = ""
    if not key:
        raise ImproperlyConfigured(SECRET_KEY_MISSING)
