"""Role matrix: each role can do what it must and gets 403 on the rest, in the API and in the admin."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from core.roles import AUDITOR, COMPLIANCE_OFFICER, ROLE_NAMES, SECURITY_ANALYST
from tests.audits.factories import AuditDefinitionFactory
from tests.discovery.factories import LogSourceFactory
from tests.governance.factories import AISystemFactory

pytestmark = pytest.mark.django_db

READ, WRITE = "read", "write"

# resource -> who may read, who may write
MATRIX: dict[str, dict[str, set[str]]] = {
    "governance-api:aisystem": {READ: {"alice", "audrey", "sam"}, WRITE: {"alice"}},
    "audits-api:auditdefinition": {READ: {"alice", "audrey"}, WRITE: {"alice"}},
    "discovery-api:logsource": {READ: {"alice", "audrey", "sam"}, WRITE: {"sam"}},
    "core-api:auditlogentry": {READ: {"alice", "audrey", "sam"}, WRITE: set()},
}
PERSONAS = ["alice", "audrey", "sam", "charlie"]


def _create_payload(resource: str) -> dict[str, Any]:
    if resource == "governance-api:aisystem":
        return {"name": "New system", "purpose": "Summarises tickets."}
    if resource == "audits-api:auditdefinition":
        return {"name": "New audit", "ai_system": AISystemFactory().pk}
    if resource == "discovery-api:logsource":
        return {"name": "New proxy", "log_format": "zscaler"}
    return {"event_type": "x"}


def _existing(resource: str) -> Any:
    if resource == "governance-api:aisystem":
        return AISystemFactory()
    if resource == "audits-api:auditdefinition":
        return AuditDefinitionFactory()
    if resource == "discovery-api:logsource":
        return LogSourceFactory()
    from core.models import AuditLogEntry

    return AuditLogEntry.objects.create(event_type="test.event")


def test_data_migration_created_the_three_role_groups() -> None:
    # then
    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLE_NAMES)


def test_auditor_has_only_view_permissions_plus_requesting_and_downloading_packs() -> None:
    # given
    auditor = Group.objects.get(name=AUDITOR)
    # when
    codenames = set(auditor.permissions.values_list("codename", flat=True))
    # then
    assert codenames, "auditor role has no permissions"
    assert all(c.startswith("view_") or c in {"download_evidencepack", "request_evidencepack"} for c in codenames)
    assert {"download_evidencepack", "request_evidencepack"} <= codenames


def test_nobody_may_edit_the_audit_trail() -> None:
    # given
    groups = Group.objects.filter(name__in=[COMPLIANCE_OFFICER, AUDITOR, SECURITY_ANALYST])
    # when
    editable = [
        p.codename
        for g in groups
        for p in g.permissions.all()
        if (p.content_type.model.startswith("historical") or p.content_type.model == "auditlogentry")
        and not p.codename.startswith("view_")
    ]
    # then
    assert editable == []


@pytest.mark.parametrize("resource", list(MATRIX))
@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_api_list_and_retrieve_follow_the_role_matrix(api: Any, persona: Any, resource: str) -> None:
    # given
    obj = _existing(resource)
    api.force_authenticate(persona)
    allowed = persona.username in MATRIX[resource][READ]
    # when
    listing = api.get(reverse(f"{resource}-list"))
    detail = api.get(reverse(f"{resource}-detail", args=[obj.pk]))
    # then
    assert listing.status_code == (200 if allowed else 403)
    assert detail.status_code == (200 if allowed else 403)


@pytest.mark.parametrize("resource", [r for r in MATRIX if r != "core-api:auditlogentry"])
@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_api_create_update_delete_follow_the_role_matrix(api: Any, persona: Any, resource: str) -> None:
    # given
    payload = _create_payload(resource)
    obj = _existing(resource)
    api.force_authenticate(persona)
    allowed = persona.username in MATRIX[resource][WRITE]
    # when
    created = api.post(reverse(f"{resource}-list"), payload, format="json")
    patched = api.patch(reverse(f"{resource}-detail", args=[obj.pk]), {"description": "x"}, format="json")
    deleted = api.delete(reverse(f"{resource}-detail", args=[obj.pk]))
    # then
    assert created.status_code == (201 if allowed else 403), created.content
    assert patched.status_code == (200 if allowed else 403), patched.content
    assert deleted.status_code == (204 if allowed else 403), deleted.content


@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_audit_log_api_is_read_only_for_everyone(api: Any, persona: Any) -> None:
    # given
    api.force_authenticate(persona)
    # when
    response = api.post(reverse("core-api:auditlogentry-list"), {"event_type": "forged"}, format="json")
    # then
    assert response.status_code in (403, 405)


def test_anonymous_requests_are_refused(api: Any) -> None:
    # when
    response = api.get(reverse("governance-api:aisystem-list"))
    # then
    assert response.status_code in (401, 403)


ADMIN_MODELS = {
    "governance_aisystem": {READ: {"alice", "audrey", "sam"}, WRITE: {"alice"}},
    "audits_auditdefinition": {READ: {"alice", "audrey"}, WRITE: {"alice"}},
    "discovery_logsource": {READ: {"alice", "audrey", "sam"}, WRITE: {"sam"}},
    "core_auditlogentry": {READ: {"alice", "audrey", "sam"}, WRITE: set()},
    "django_celery_beat_periodictask": {READ: {"alice", "audrey"}, WRITE: {"alice"}},
}


@pytest.mark.parametrize("model", list(ADMIN_MODELS))
@pytest.mark.parametrize("persona", PERSONAS, indirect=True)
def test_admin_changelist_and_add_follow_the_role_matrix(client: Any, persona: Any, model: str) -> None:
    # given
    client.force_login(persona)
    may_read = persona.username in ADMIN_MODELS[model][READ]
    may_write = persona.username in ADMIN_MODELS[model][WRITE]
    # when
    changelist = client.get(reverse(f"admin:{model}_changelist"))
    add = client.get(reverse(f"admin:{model}_add"))
    # then
    assert changelist.status_code == (200 if may_read else 403)
    assert add.status_code == (200 if may_write else 403)


@pytest.mark.parametrize("persona", ["audrey"], indirect=True)
def test_auditor_sees_change_form_read_only_and_history_in_admin(client: Any, persona: Any) -> None:
    # given
    system = AISystemFactory()
    client.force_login(persona)
    # when
    change = client.get(reverse("admin:governance_aisystem_change", args=[system.pk]))
    history = client.get(reverse("admin:governance_aisystem_history", args=[system.pk]))
    post = client.post(reverse("admin:governance_aisystem_change", args=[system.pk]), {"name": "hacked"})
    # then
    assert change.status_code == 200
    assert b'name="_save"' not in change.content
    assert history.status_code == 200
    assert post.status_code == 403
