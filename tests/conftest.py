"""Shared fixtures: named personas (one per role, plus charlie with no role) and API clients.

Under ``CI=true`` the expected services are asserted at session start, so a run that silently fell back to SQLite
or to the embedded broker fails instead of passing: set ``EXPECT_DATABASE=postgresql`` / ``EXPECT_BROKER=redis``.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from core.roles import AUDITOR, COMPLIANCE_OFFICER, SECURITY_ANALYST


def pytest_sessionstart(session: pytest.Session) -> None:
    expected_db = os.environ.get("EXPECT_DATABASE")
    if expected_db and expected_db not in settings.DATABASES["default"]["ENGINE"]:
        raise pytest.UsageError(
            f"EXPECT_DATABASE={expected_db} but DATABASE_URL selects {settings.DATABASES['default']['ENGINE']}"
        )
    expected_broker = os.environ.get("EXPECT_BROKER")
    if expected_broker and not settings.CELERY_BROKER_URL.startswith(expected_broker):
        raise pytest.UsageError(f"EXPECT_BROKER={expected_broker} but CELERY_BROKER_URL={settings.CELERY_BROKER_URL}")


def _user_with_role(django_user_model: Any, username: str, role: str | None) -> Any:
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user(username=username, password="pw-" + username, is_staff=True)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def alice(db: None, django_user_model: Any) -> Any:
    """Compliance officer: owns the registry and the audits."""
    return _user_with_role(django_user_model, "alice", COMPLIANCE_OFFICER)


@pytest.fixture
def audrey(db: None, django_user_model: Any) -> Any:
    """Auditor: reads everything, downloads evidence."""
    return _user_with_role(django_user_model, "audrey", AUDITOR)


@pytest.fixture
def sam(db: None, django_user_model: Any) -> Any:
    """Security analyst: discovery and alerts."""
    return _user_with_role(django_user_model, "sam", SECURITY_ANALYST)


@pytest.fixture
def charlie(db: None, django_user_model: Any) -> Any:
    """Staff user with no role: must be refused everything."""
    return _user_with_role(django_user_model, "charlie", None)


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def persona(request: pytest.FixtureRequest) -> Any:
    """Resolve a persona fixture by name (for role-matrix parametrisation)."""
    return request.getfixturevalue(request.param)
