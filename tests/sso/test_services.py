"""sso.services: the account an SSO login lands on and its roles (claims as the backend passes them, verified)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from core.models import AuditLogEntry
from core.roles import AUDITOR, COMPLIANCE_OFFICER, ROLE_NAMES, SECURITY_ANALYST
from sso import events
from sso.services import SsoLoginRefused, sso_user_login, sso_user_roles_set

ISSUER = "https://idp.example.test"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def role_map(settings: Any) -> None:
    settings.OIDC_ROLE_MAP = {"co": (COMPLIANCE_OFFICER,), "audit": (AUDITOR,), "sec": (SECURITY_ANALYST,)}
    settings.OIDC_GROUPS_CLAIM = "groups"
    settings.OIDC_USERNAME_CLAIM = "preferred_username"
    settings.OIDC_CREATE_USERS = True


def claims(username: str = "dana", groups: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    return {"sub": f"sub-{username}", "preferred_username": username, "groups": groups or [], **extra}


def roles(user: Any) -> set[str]:
    return set(user.groups.filter(name__in=ROLE_NAMES).values_list("name", flat=True))


def test_first_login_creates_an_account_without_password_holding_the_mapped_roles() -> None:
    user = sso_user_login(
        claims=claims(groups=["co", "sec", "other"], email="dana@example.test", given_name="Dana"), issuer=ISSUER
    )
    assert user.username == "dana" and user.email == "dana@example.test" and user.first_name == "Dana"
    assert not user.has_usable_password() and user.is_staff
    assert roles(user) == {COMPLIANCE_OFFICER, SECURITY_ANALYST}
    provisioned = AuditLogEntry.objects.get(event_type=events.USER_PROVISIONED)
    assert provisioned.extra_data == {"issuer": ISSUER, "subject": "sub-dana", "groups": ["co", "sec", "other"]}


def test_a_role_granted_by_hand_to_an_sso_account_lasts_until_its_next_login_other_groups_stay() -> None:
    # given an SSO account (auditor by its groups) that an admin also made a security analyst, plus a non-role group
    user = sso_user_login(claims=claims(groups=["audit"]), issuer=ISSUER)
    team = Group.objects.create(name="Team Berlin")
    user.groups.add(Group.objects.get(name=SECURITY_ANALYST), team)

    # when it logs in again with the same groups
    user = sso_user_login(claims=claims(groups=["audit"]), issuer=ISSUER)

    # then the IdP's word stands: the hand grant is gone, the other group is kept
    assert roles(user) == {AUDITOR}
    assert user.groups.filter(name="Team Berlin").exists()
    change = AuditLogEntry.objects.filter(event_type=events.USER_ROLES_CHANGED).latest("id")
    assert change.extra_data["removed"] == [SECURITY_ANALYST] and change.acting_user is None


def test_an_unchanged_login_writes_no_role_change_row() -> None:
    sso_user_login(claims=claims(groups=["audit"]), issuer=ISSUER)
    sso_user_login(claims=claims(groups=["audit"]), issuer=ISSUER)
    assert AuditLogEntry.objects.filter(event_type=events.USER_ROLES_CHANGED).count() == 1
    assert AuditLogEntry.objects.filter(event_type=events.USER_LOGGED_IN).count() == 2


def test_an_existing_account_without_password_is_adopted() -> None:
    user = get_user_model().objects.create_user("dana")  # no password given: unusable
    assert sso_user_login(claims=claims(groups=["co"]), issuer=ISSUER) == user
    assert not AuditLogEntry.objects.filter(event_type=events.USER_PROVISIONED).exists()


def test_a_superuser_keeps_admin_access_with_no_role() -> None:
    get_user_model().objects.create_superuser("root", email="", password=None)
    user = sso_user_login(claims=claims("root"), issuer=ISSUER)
    assert user.is_superuser and user.is_staff and roles(user) == set()


@pytest.mark.parametrize(
    ("setup", "login_claims", "message"),
    [
        ("local", claims(groups=["co"]), "local account"),
        ("inactive", claims(groups=["co"]), "deactivated"),
        ("none", {"sub": "x", "groups": ["co"]}, "no 'preferred_username' claim"),
        ("none", claims("x" * 151), "longer than 150"),
        ("no-provisioning", claims(groups=["co"]), "not created at login"),
    ],
)
def test_refused_logins_write_nothing(settings: Any, setup: str, login_claims: dict[str, Any], message: str) -> None:
    model = get_user_model()
    if setup == "local":
        model.objects.create_user("dana", password="a-local-password-1")
    elif setup == "inactive":
        model.objects.create_user("dana", is_active=False)
    elif setup == "no-provisioning":
        settings.OIDC_CREATE_USERS = False
    with pytest.raises(SsoLoginRefused, match=message):
        sso_user_login(claims=login_claims, issuer=ISSUER)
    assert not AuditLogEntry.objects.filter(event_type__startswith="sso.user.").exists()
    assert not Group.objects.filter(user__username="dana").exists()


def test_the_groups_claim_may_be_a_nested_path(settings: Any) -> None:
    settings.OIDC_GROUPS_CLAIM = "realm_access.roles"
    user = sso_user_login(claims={**claims(), "realm_access": {"roles": ["sec"]}}, issuer=ISSUER)
    assert roles(user) == {SECURITY_ANALYST}


def test_roles_set_refuses_a_name_that_is_not_a_role() -> None:
    user = get_user_model().objects.create_user("dana")
    with pytest.raises(Exception, match="not a role: Admin"):
        sso_user_roles_set(user=user, roles=("Admin",), reason="test")
