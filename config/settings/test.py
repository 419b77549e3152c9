"""Test overrides only. The database and broker still come from DATABASE_URL / CELERY_BROKER_URL (CI sets them)."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("DEBUG", "false")
# No .env: a developer's file never leaks into the suite (a test sets ENV_FILE for a subprocess to check it).
os.environ.setdefault("ENV_FILE", "")
# An unregistered audit-log event type fails the test that writes it.
os.environ.setdefault("AUDIT_LOG_STRICT_EVENT_TYPES", "true")
# Tests never touch ./var: the embedded broker file and media live in a throw-away directory.
os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="aigov-test-"))
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-0123456789abcdefghijklmnop")
# A pseudonym key ring of its own (DEBUG is off: the key derived from SECRET_KEY is refused, discovery.E001).
os.environ.setdefault("DISCOVERY_PSEUDONYM_KEYS", "1:dGVzdC1vbmx5LXBzZXVkb255bS1rZXktdjEtMDEyMzQ1Njc4OWFi")

from config.settings.base import *  # noqa: F403

SECURE_SSL_REDIRECT = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast user creation in tests
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
STATIC_ROOT = DATA_DIR / "static"  # noqa: F405
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
