"""The pure mapping from claims to roles (sso.claims): no database, no Django."""

from __future__ import annotations

import pytest

from core.roles import AUDITOR, COMPLIANCE_OFFICER, ROLE_NAMES, SECURITY_ANALYST
from sso.claims import RoleMapError, claim_values, parse_role_map, role_key, roles_for_groups


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", {}),
        ("  ", {}),
        ("aigov-co=compliance_officer", {"aigov-co": (COMPLIANCE_OFFICER,)}),
        (
            "a=Compliance officer, b=AUDITOR ,c=security-analyst",
            {"a": (COMPLIANCE_OFFICER,), "b": (AUDITOR,), "c": (SECURITY_ANALYST,)},
        ),
        ("a=auditor,a=security_analyst,a=auditor", {"a": (AUDITOR, SECURITY_ANALYST)}),
        ("a=auditor,,", {"a": (AUDITOR,)}),
        ('{"CN=Audit,OU=Groups,DC=example": "auditor"}', {"CN=Audit,OU=Groups,DC=example": (AUDITOR,)}),
        ('{"ops": ["auditor", "security_analyst"]}', {"ops": (AUDITOR, SECURITY_ANALYST)}),
        # an Entra group object id
        ("0b6f1e1a-5c3d-4b7e-9a55-2f8e6c1d0a42=auditor", {"0b6f1e1a-5c3d-4b7e-9a55-2f8e6c1d0a42": (AUDITOR,)}),
    ],
)
def test_parse_role_map_reads_both_spellings(text: str, expected: dict[str, tuple[str, ...]]) -> None:
    assert parse_role_map(text, known_roles=ROLE_NAMES) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a=superuser", "unknown role 'superuser'"),
        ("just-a-group", "is not group=role"),
        ("=auditor", "is not group=role"),
        ("a=", "is not group=role"),
        ("{not json", "not valid JSON"),
        ('["a"]', "is not group=role"),
        ('{"a": 3}', "must be strings"),
    ],
)
def test_parse_role_map_refuses_what_it_cannot_read(text: str, message: str) -> None:
    with pytest.raises(RoleMapError, match=message):
        parse_role_map(text, known_roles=ROLE_NAMES)


def test_every_role_has_a_key_the_map_can_name() -> None:
    assert {role_key(role) for role in ROLE_NAMES} == {"compliance_officer", "auditor", "security_analyst"}


@pytest.mark.parametrize(
    ("claims", "path", "expected"),
    [
        ({"groups": ["a", "b"]}, "groups", ["a", "b"]),
        ({"groups": "a"}, "groups", ["a"]),
        ({"groups": ["a", 3, None, "b"]}, "groups", ["a", "b"]),
        ({"groups": {"a": 1}}, "groups", []),
        ({}, "groups", []),
        ({"realm_access": {"roles": ["x"]}}, "realm_access.roles", ["x"]),
        ({"realm_access": ["x"]}, "realm_access.roles", []),
    ],
)
def test_claim_values(claims: dict[str, object], path: str, expected: list[str]) -> None:
    assert claim_values(claims, path) == expected


def test_roles_for_groups_unions_the_mapped_roles_and_ignores_unmapped_groups() -> None:
    role_map = {"a": (AUDITOR,), "b": (AUDITOR, SECURITY_ANALYST)}
    assert roles_for_groups(["b", "a", "unmapped"], role_map) == (AUDITOR, SECURITY_ANALYST)
    assert roles_for_groups([], role_map) == ()
