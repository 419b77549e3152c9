"""Admin: definitions (run now, trend chart, beat link), run history with charts and tables, retry, findings."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from audits import services
from audits.choices import FindingStatus, RunStatus
from audits.models import AuditDefinition, AuditRun, Finding
from tests.audits.factories import AuditDefinitionFactory, AuditRunFactory, write_outputs
from tests.governance.factories import AISystemFactory

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _run(**kwargs: Any) -> AuditRun:
    run = AuditRunFactory(definition=AuditDefinitionFactory(**kwargs))
    done = services.audit_run_execute(run_id=run.pk)
    assert done is not None
    return done


def test_run_detail_page_shows_charts_tables_and_verdicts(audrey: Any) -> None:
    # given
    run = _run(sensitive_features=["sex", "race"])
    # when
    response = _client(audrey).get(reverse("admin:audits_auditrun_change", args=[run.pk]))
    # then
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count("data:image/png;base64,") == 3  # one chart per configured metric
    assert "F,A" in body and "impact ratio" in body and "demographic_parity_difference" in body
    assert run.input_sha256 in body


def test_run_list_filters_by_system_and_status(audrey: Any) -> None:
    # given
    ok = _run()
    failed = _run(source_path="/nope.csv")
    # when
    response = _client(audrey).get(
        reverse("admin:audits_auditrun_changelist"),
        {"status__exact": "failed", "definition__ai_system__id__exact": failed.definition.ai_system_id},
    )
    # then
    assert response.status_code == 200
    listed = {r.pk for r in response.context["cl"].result_list}
    assert listed == {failed.pk} and ok.pk not in listed


def test_definition_page_shows_trend_and_runs(alice: Any) -> None:
    # given
    run = _run()
    # when
    response = _client(alice).get(reverse("admin:audits_auditdefinition_change", args=[run.definition_id]))
    # then
    assert response.status_code == 200
    assert response.content.decode().count("data:image/png;base64,") == 2


def test_create_definition_in_admin_creates_the_beat_task(alice: Any) -> None:
    # given
    system = AISystemFactory()
    data = {
        "name": "Admin audit",
        "ai_system": system.pk,
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
        "intersectional": "on",
        "schedule_cron": "0 6 1 * *",
        "change_reason": "set up in admin",
        "runs-TOTAL_FORMS": 0,
        "runs-INITIAL_FORMS": 0,
    }
    # when
    response = _client(alice).post(reverse("admin:audits_auditdefinition_add"), data)
    # then
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    definition = AuditDefinition.objects.get(name="Admin audit")
    assert definition.periodic_task is not None and definition.periodic_task.crontab is not None
    assert definition.history.first().history_change_reason == "set up in admin"


def test_run_now_action_enqueues_on_commit(alice: Any, django_capture_on_commit_callbacks: Any) -> None:
    # given
    definition = AuditDefinitionFactory()
    # when
    with django_capture_on_commit_callbacks() as callbacks:
        response = _client(alice).post(
            reverse("admin:audits_auditdefinition_changelist"),
            {"action": "run_now", "_selected_action": [definition.pk]},
        )
    # then
    assert response.status_code == 302
    assert AuditRun.objects.get(definition=definition).status == RunStatus.PENDING
    assert len(callbacks) == 1


def test_retry_action_requeues_failed_runs_only(alice: Any) -> None:
    # given
    failed = _run(source_path="/nope.csv")
    ok = _run()
    # when
    _client(alice).post(
        reverse("admin:audits_auditrun_changelist"), {"action": "retry", "_selected_action": [failed.pk, ok.pk]}
    )
    # then
    failed.refresh_from_db()
    ok.refresh_from_db()
    assert failed.status == RunStatus.PENDING and ok.status == RunStatus.SUCCEEDED


def test_auditor_gets_no_run_now_action_and_sam_no_access(audrey: Any, sam: Any) -> None:
    # given
    AuditDefinitionFactory()
    # when
    auditor = _client(audrey).get(reverse("admin:audits_auditdefinition_changelist"))
    analyst = _client(sam).get(reverse("admin:audits_auditrun_changelist"))
    # then
    assert auditor.status_code == 200 and "run_now" not in auditor.content.decode()
    assert analyst.status_code == 403


def test_resolve_finding_action(alice: Any) -> None:
    # given
    _run(source_path="/nope.csv")
    finding = Finding.objects.get()
    # when
    _client(alice).post(
        reverse("admin:audits_finding_changelist"), {"action": "resolve", "_selected_action": [finding.pk]}
    )
    # then
    finding.refresh_from_db()
    assert finding.status == FindingStatus.RESOLVED
