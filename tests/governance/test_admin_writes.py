"""Every admin write of a registry object goes through its service: the audit-log row and the history's change
reason are the ones the API would leave (real POSTs to the admin pages, as a compliance officer)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.test import Client
from django.urls import reverse

from core.models import AuditLogEntry
from governance.models import AISystem, ModelVersion, Obligation, ObligationEvidence
from tests.admin_forms import inline_row_add, page_form_data
from tests.governance.factories import AISystemFactory, ModelVersionFactory

REASON = "registry review"
DELETE_REASON = "deleted in the admin"


def assert_audited(event_type: str, model: type[models.Model], pk: Any, actor: Any, reason: str) -> AuditLogEntry:
    entry = AuditLogEntry.objects.get(
        event_type=event_type, target_content_type=ContentType.objects.get_for_model(model), target_object_id=str(pk)
    )
    assert entry.acting_user == actor
    assert entry.reason == reason
    record = model.history.filter(id=pk).order_by("-history_id").first()  # type: ignore[attr-defined]
    assert record.history_change_reason == reason
    return entry


@pytest.fixture
def officer(client: Client, alice: Any) -> Client:
    client.force_login(alice)
    return client


def _post(client: Client, url: str, data: dict[str, Any]) -> None:
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]


@pytest.mark.parametrize("path", ["delete_page", "delete_selected"])
def test_ai_system_delete_is_audited(officer: Client, alice: Any, path: str) -> None:
    # given
    system = AISystemFactory()
    # when
    if path == "delete_page":
        _post(officer, reverse("admin:governance_aisystem_delete", args=[system.pk]), {"post": "yes"})
    else:
        _post(
            officer,
            reverse("admin:governance_aisystem_changelist"),
            {"action": "delete_selected", "_selected_action": [system.pk], "post": "yes"},
        )
    # then
    assert not AISystem.objects.filter(pk=system.pk).exists()
    assert_audited("governance.ai_system.deleted", AISystem, system.pk, alice, DELETE_REASON)


def test_ai_system_change_is_audited(officer: Client, alice: Any) -> None:
    # given
    system = AISystemFactory()
    url = reverse("admin:governance_aisystem_change", args=[system.pk])
    data = {**page_form_data(officer.get(url)), "business_unit": "Logistics (admin test)", "change_reason": REASON}
    # when
    _post(officer, url, data)
    # then
    entry = assert_audited("governance.ai_system.updated", AISystem, system.pk, alice, REASON)
    assert "business_unit" in entry.extra_data["fields"]


def test_model_version_inline_add_change_delete_are_audited(officer: Client, alice: Any) -> None:
    # given
    system = AISystemFactory()
    kept, dropped = ModelVersionFactory(system=system), ModelVersionFactory(system=system)
    url = reverse("admin:governance_aisystem_change", args=[system.pk])
    data = {**page_form_data(officer.get(url)), "change_reason": REASON}
    rows = {data[f"model_versions-{i}-id"]: i for i in range(int(data["model_versions-TOTAL_FORMS"]))}
    data[f"model_versions-{rows[str(kept.pk)]}-base_model"] = "gpt-x"
    data[f"model_versions-{rows[str(dropped.pk)]}-DELETE"] = "on"
    data = inline_row_add(data, "model_versions", {"version": "9.9.9", "system": str(system.pk)})
    # when
    _post(officer, url, data)
    # then
    added = ModelVersion.objects.get(system=system, version="9.9.9")
    assert_audited("governance.model_version.created", ModelVersion, added.pk, alice, REASON)
    assert assert_audited("governance.model_version.updated", ModelVersion, kept.pk, alice, REASON).extra_data == {
        "fields": ["base_model"]
    }
    assert_audited("governance.model_version.deleted", ModelVersion, dropped.pk, alice, REASON)


def test_obligation_change_and_evidence_inline_are_audited(
    officer: Client, alice: Any, high_risk_system: AISystem
) -> None:
    # given
    obligation = high_risk_system.obligations.filter(is_current=True).first()
    assert obligation is not None
    url = reverse("admin:governance_obligation_change", args=[obligation.pk])
    data = {**page_form_data(officer.get(url)), "due_date": "2027-01-31", "change_reason": REASON}
    data = inline_row_add(data, "evidence", {"description": "DPIA", "url": "https://wiki.example/dpia"})
    # when
    _post(officer, url, data)
    # then
    assert_audited("governance.obligation.updated", Obligation, obligation.pk, alice, REASON)
    evidence = ObligationEvidence.objects.get(obligation=obligation, description="DPIA")
    assert_audited("governance.obligation_evidence.added", ObligationEvidence, evidence.pk, alice, REASON)
