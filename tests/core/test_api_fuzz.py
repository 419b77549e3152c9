"""Schemathesis against the generated OpenAPI schema, in-process (WSGI): no operation answers 500 and every documented
response matches the published schema.

The schema is the one ``/api/schema/`` serves, generated in-process; requests are authenticated as a user holding
all three roles (the union of their permissions reaches every operation's code past the permission check; a 403
for a role is covered by the role-matrix tests). Examples are bounded so the whole run stays around a minute on
two cores; CI runs it on PostgreSQL and SQLite.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.contrib.auth.models import Group
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from core.roles import ROLE_NAMES
from tests.discovery.factories import ensure_catalog

#: operations not fuzzed, and why (kept short; each entry is a deliberate exclusion, not a silenced failure)
EXCLUDED_OPERATIONS: dict[str, str] = {}

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def _same_connection() -> Iterator[None]:
    """Keep the test's database connection open across the in-process requests (as Django's test client does):
    the WSGI handler would otherwise close it at the end of each request, inside the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_token(db: None, django_user_model: Any) -> str:
    ensure_catalog()
    user = django_user_model.objects.create_user(username="fuzz", password="pw-fuzz-not-used", is_staff=True)
    user.groups.add(*Group.objects.filter(name__in=ROLE_NAMES))
    return Token.objects.create(user=user).key


def _published_schema() -> Any:
    """The schema ``/api/schema/`` publishes, generated in-process; requests go to the WSGI application."""
    from drf_spectacular.generators import SchemaGenerator

    from config.wsgi import application

    loaded = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
    loaded.app = application
    return loaded


schema = _published_schema()


@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_500_or_off_schema(case: Any, fuzz_token: str, _same_connection: None) -> None:
    case.call_and_validate(headers={"Authorization": f"Token {fuzz_token}"}, checks=CHECKS)
