"""Typed helpers that read settings from the environment (Healthchecks-style).

Every helper supports ``<NAME>_FILE``: when set, the value is read from that file (Docker/Kubernetes secrets).
A value that cannot be parsed raises ``ImproperlyConfigured`` naming the variable, instead of a silent default.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

#: the project directory (where manage.py and the default ``.env`` are)
BASE_DIR = Path(__file__).resolve().parent.parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_raw(name: str) -> str | None:
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        try:
            return Path(file_path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={file_path!r} cannot be read: {exc}") from exc
    return os.environ.get(name)


def env_str(name: str, default: str = "") -> str:
    value = env_raw(name)
    return default if value is None else value


def env_bool(name: str, default: bool) -> bool:
    value = env_raw(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false, yes/no, on/off), got {value!r}")


def env_int(name: str, default: int) -> int:
    value = env_raw(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc


def env_float(name: str, default: float) -> float:
    value = env_raw(name)
    if value is None or value.strip() == "":
        return default
    try:
        return float(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a number, got {value!r}") from exc


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    value = env_raw(name)
    if value is None:
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def load_env_file() -> Path | None:
    """Read the ``.env`` file into the environment (django-environ's reader), before any setting is read: the file
    named by ``ENV_FILE``, else ``.env`` in the project directory. A variable already set in the environment wins
    over the file (so ``SECRET_KEY=... manage.py ...`` or a container's environment still decides). ``ENV_FILE=``
    (empty) reads no file: the test settings do that, so a developer's ``.env`` never leaks into the suite.
    Returns the file read, or None."""
    import environ  # django-environ: the .env syntax (quotes, comments, ``export``) handled by a kept library

    named = os.environ.get("ENV_FILE")
    if named == "":
        return None
    path = Path(named) if named else BASE_DIR / ".env"
    if not path.is_file():
        if named:
            raise ImproperlyConfigured(f"ENV_FILE={named!r} is not a readable file")
        return None
    environ.Env.read_env(str(path), overwrite=False)
    return path
