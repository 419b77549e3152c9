"""Every admin write of an audits object goes through its service: the audit-log row and the history's change
reason are the ones the API would leave (real POSTs to the admin pages, as a compliance officer)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.test import Client
from django.urls import reverse

from audits.choices import FindingKind, FindingStatus
from audits.models import AuditDefinition, AuditRun, Finding
from core.models import AuditLogEntry
from tests.admin_forms import page_form_data
from tests.audits.factories import AuditDefinitionFactory, AuditRunFactory, write_outputs
from tests.governance.factories import AISystemFactory

REASON = "bias review"
DELETE_REASON = "deleted in the admin"


def assert_audited(event_type: str, model: type[models.Model], pk: Any, actor: Any, reason: str) -> AuditLogEntry:
    entry = AuditLogEntry.objects.get(
        event_type=event_type, target_content_type=ContentType.objects.get_for_model(model), target_object_id=str(pk)
    )
    assert entry.acting_user == actor
    assert entry.reason == reason
    if hasattr(model, "history"):  # AuditRun keeps no simple-history table: the audit row is its trail
        record = model.history.filter(id=pk).order_by("-history_id").first()
        assert record.history_change_reason == reason
    return entry


@pytest.fixture
def officer(client: Client, alice: Any) -> Client:
    client.force_login(alice)
    return client


def _finding(definition: AuditDefinition) -> Finding:
    return Finding.objects.create(
        ai_system=definition.ai_system, definition=definition, kind=FindingKind.FAILING, title="impact ratio low"
    )


def test_definition_add_is_audited(officer: Client, alice: Any) -> None:
    # given
    data = {
        "name": "Admin audit",
        "ai_system": AISystemFactory().pk,
        "source_type": "path",
        "source_path": str(write_outputs("admin")),
        "file_format": "auto",
        "task_type": "binary",
        "column_y_true": "y_true",
        "column_y_pred": "y_pred",
        "pos_label": "1",
        "sensitive_features": '["sex"]',
        "metrics": '["selection_rate"]',
        "thresholds": "{}",
        "min_group_size": 30,
        "n_boot": 0,
        "legal_basis": "four_fifths",
        "enabled": "on",
        "schedule_cron": "0 6 1 * *",
        "change_reason": REASON,
        "runs-TOTAL_FORMS": 0,
        "runs-INITIAL_FORMS": 0,
    }
    # when
    response = officer.post(reverse("admin:audits_auditdefinition_add"), data)
    # then
    assert response.status_code == 302, response.context and response.context["errors"]
    definition = AuditDefinition.objects.get(name="Admin audit")
    assert_audited("audits.audit_definition.created", AuditDefinition, definition.pk, alice, REASON)
    assert definition.periodic_task is not None


def test_definition_change_is_audited_and_resyncs_the_schedule(officer: Client, alice: Any) -> None:
    # given
    definition = AuditDefinitionFactory()
    url = reverse("admin:audits_auditdefinition_change", args=[definition.pk])
    data = {**page_form_data(officer.get(url)), "schedule_cron": "0 7 * * 1", "change_reason": REASON}
    # when
    response = officer.post(url, data)
    # then
    assert response.status_code == 302, response.context and response.context["errors"]
    entry = assert_audited("audits.audit_definition.updated", AuditDefinition, definition.pk, alice, REASON)
    assert entry.extra_data == {"fields": ["schedule_cron"]}
    definition.refresh_from_db()
    assert definition.periodic_task is not None and definition.periodic_task.crontab.hour == "7"


@pytest.mark.parametrize(
    ("model", "make", "event_type"),
    [
        (AuditDefinition, lambda: AuditDefinitionFactory(), "audits.audit_definition.deleted"),
        (AuditRun, lambda: AuditRunFactory(), "audits.audit_run.deleted"),
        (Finding, lambda: _finding(AuditDefinitionFactory()), "audits.finding.deleted"),
    ],
    ids=["definition", "run", "finding"],
)
@pytest.mark.parametrize("path", ["delete_page", "delete_selected"])
def test_admin_delete_is_audited(
    officer: Client, alice: Any, model: type[models.Model], make: Any, event_type: str, path: str
) -> None:
    # given
    obj = make()
    name = f"admin:audits_{model._meta.model_name}"
    # when
    if path == "delete_page":
        response = officer.post(reverse(f"{name}_delete", args=[obj.pk]), {"post": "yes"})
    else:
        response = officer.post(
            reverse(f"{name}_changelist"), {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"}
        )
    # then
    assert response.status_code == 302
    assert not model._default_manager.filter(pk=obj.pk).exists()
    assert_audited(event_type, model, obj.pk, alice, DELETE_REASON)


def test_finding_resolved_on_its_change_page_is_audited(officer: Client, alice: Any) -> None:
    # given
    finding = _finding(AuditDefinitionFactory())
    url = reverse("admin:audits_finding_change", args=[finding.pk])
    data = {**page_form_data(officer.get(url)), "status": FindingStatus.RESOLVED, "change_reason": REASON}
    # when
    response = officer.post(url, data)
    # then
    assert response.status_code == 302, response.context and response.context["errors"]
    finding.refresh_from_db()
    assert finding.status == FindingStatus.RESOLVED and finding.resolved_at is not None
    assert_audited("audits.finding.resolved", Finding, finding.pk, alice, REASON)


def test_finding_resolve_action_is_audited(officer: Client, alice: Any) -> None:
    # given
    finding = _finding(AuditDefinitionFactory())
    # when
    officer.post(reverse("admin:audits_finding_changelist"), {"action": "resolve", "_selected_action": [finding.pk]})
    # then
    assert_audited("audits.finding.resolved", Finding, finding.pk, alice, "resolved in admin")
