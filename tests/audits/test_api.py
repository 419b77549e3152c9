"""Audits API: definitions CRUD, runs read-only with filters, run-now, retry, charts, role matrix."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from audits import services
from audits.choices import RunStatus
from audits.models import AuditDefinition, AuditRun
from tests.audits.factories import AuditDefinitionFactory, AuditRunFactory, write_outputs
from tests.governance.factories import AISystemFactory

pytestmark = pytest.mark.django_db

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _completed_run(**kwargs: Any) -> AuditRun:
    definition = AuditDefinitionFactory(**kwargs)
    run = AuditRunFactory(definition=definition)
    result = services.audit_run_execute(run_id=run.pk)
    assert result is not None
    return result


def _failed_run() -> AuditRun:
    return _completed_run(source_path="/definitely/not/here.csv")


def _payload() -> dict[str, Any]:
    return {
        "name": "API audit",
        "ai_system": AISystemFactory().pk,
        "source_type": "path",
        "source_path": str(write_outputs("api")),
        "sensitive_features": ["sex", "race"],
        "thresholds": {"impact_ratio": {"fail": 0.8, "warn": 0.9, "basis": "four_fifths"}},
        "schedule_cron": "0 6 * * 1",
        "legal_basis": "ll144",
    }


# --- role matrix -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"), [("alice", 200), ("audrey", 200), ("sam", 403), ("charlie", 403)], indirect=["persona"]
)
@pytest.mark.parametrize(
    "route", ["audits-api:auditdefinition-list", "audits-api:auditrun-list", "audits-api:finding-list"]
)
def test_list_role_matrix(api: Any, persona: Any, status: int, route: str) -> None:
    # given
    api.force_authenticate(persona)
    # when
    response = api.get(reverse(route))
    # then
    assert response.status_code == status


@pytest.mark.parametrize(
    ("persona", "status"), [("alice", 201), ("audrey", 403), ("sam", 403), ("charlie", 403)], indirect=["persona"]
)
def test_create_role_matrix(api: Any, persona: Any, status: int) -> None:
    # given
    api.force_authenticate(persona)
    # when
    response = api.post(reverse("audits-api:auditdefinition-list"), _payload(), format="json")
    # then
    assert response.status_code == status, response.content


@pytest.mark.parametrize(
    ("persona", "status"), [("alice", 202), ("audrey", 403), ("sam", 403), ("charlie", 403)], indirect=["persona"]
)
def test_run_now_role_matrix(api: Any, persona: Any, status: int) -> None:
    # given
    definition = AuditDefinitionFactory()
    api.force_authenticate(persona)
    # when
    response = api.post(reverse("audits-api:auditdefinition-run-now", args=[definition.pk]))
    # then
    assert response.status_code == status


@pytest.mark.parametrize(
    ("persona", "status"), [("alice", 202), ("audrey", 403), ("sam", 403), ("charlie", 403)], indirect=["persona"]
)
def test_retry_role_matrix(api: Any, persona: Any, status: int) -> None:
    # given
    run = _failed_run()
    api.force_authenticate(persona)
    # when
    response = api.post(reverse("audits-api:auditrun-retry", args=[run.pk]))
    # then
    assert response.status_code == status


# --- behaviour ---------------------------------------------------------------------------------------------------


def test_create_stores_config_and_beat_schedule(api: Any, alice: Any) -> None:
    # given
    api.force_authenticate(alice)
    # when
    response = api.post(
        reverse("audits-api:auditdefinition-list"), _payload(), format="json", HTTP_X_CHANGE_REASON="LL144 audit"
    )
    # then
    assert response.status_code == 201, response.content
    definition = AuditDefinition.objects.get(pk=response.json()["id"])
    assert definition.sensitive_features == ["sex", "race"]
    assert response.json()["periodic_task"] == definition.periodic_task_id is not None
    assert definition.history.first().history_change_reason == "LL144 audit"


def test_create_rejects_bad_thresholds_with_400(api: Any, alice: Any) -> None:
    # given
    api.force_authenticate(alice)
    payload = {**_payload(), "thresholds": {"nonsense": {"fail": 1}}}
    # when
    response = api.post(reverse("audits-api:auditdefinition-list"), payload, format="json")
    # then
    assert response.status_code == 400
    assert "thresholds" in response.json()


def test_upload_a_file_through_the_api(api: Any, alice: Any) -> None:
    # given
    api.force_authenticate(alice)
    payload = {**_payload(), "source_type": "upload", "source_path": ""}
    payload.pop("thresholds")
    payload["sensitive_features"] = "sex"
    with open(write_outputs("multipart"), "rb") as fh:
        # when
        response = api.post(reverse("audits-api:auditdefinition-list"), {**payload, "source_file": fh})
    # then
    assert response.status_code == 201, response.content
    definition = AuditDefinition.objects.get(pk=response.json()["id"])
    assert definition.source_file.name.endswith(".csv")


def test_run_now_enqueues_after_commit(api: Any, alice: Any, django_capture_on_commit_callbacks: Any) -> None:
    # given
    definition = AuditDefinitionFactory()
    api.force_authenticate(alice)
    # when
    with django_capture_on_commit_callbacks() as callbacks:
        response = api.post(reverse("audits-api:auditdefinition-run-now", args=[definition.pk]))
    # then
    assert response.status_code == 202
    assert response.json()["status"] == "pending"
    assert len(callbacks) == 1


def test_retry_of_a_succeeded_run_is_409(api: Any, alice: Any) -> None:
    # given
    run = _completed_run()
    api.force_authenticate(alice)
    # when
    response = api.post(reverse("audits-api:auditrun-retry", args=[run.pk]))
    # then
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"


def test_retry_of_a_failed_run_sets_it_pending(api: Any, alice: Any) -> None:
    # given
    run = _failed_run()
    api.force_authenticate(alice)
    # when
    response = api.post(reverse("audits-api:auditrun-retry", args=[run.pk]))
    # then
    assert response.status_code == 202
    run.refresh_from_db()
    assert run.status == RunStatus.PENDING


def test_run_detail_has_results_and_list_filters(api: Any, audrey: Any, django_assert_max_num_queries: Any) -> None:
    # given
    ok = _completed_run()
    failed = _failed_run()
    api.force_authenticate(audrey)
    # when
    with django_assert_max_num_queries(8):
        listing = api.get(reverse("audits-api:auditrun-list"), {"status": "failed"})
    detail = api.get(reverse("audits-api:auditrun-detail", args=[ok.pk]))
    by_system = api.get(reverse("audits-api:auditrun-list"), {"ai_system": ok.definition.ai_system_id})
    # then
    assert [r["id"] for r in listing.json()["results"]] == [failed.pk]
    assert "outside the allowed input directories" in listing.json()["results"][0]["error"]
    body = detail.json()
    assert body["input_sha256"] and body["row_count"] == 2000 and body["fairlearn_version"]
    group = body["result"]["analyses"][0]["strata"][0]["groups"][0]
    assert {"selection_rate", "true_positive_rate", "false_positive_rate"} <= set(group["metrics"])
    assert [r["id"] for r in by_system.json()["results"]] == [ok.pk]


def test_charts_are_png(api: Any, audrey: Any) -> None:
    # given
    run = _completed_run()
    api.force_authenticate(audrey)
    # when
    bars = api.get(reverse("audits-api:auditrun-chart", args=[run.pk]), {"metric": "true_positive_rate"})
    trend = api.get(reverse("audits-api:auditdefinition-trend-chart", args=[run.definition_id]))
    # then
    assert bars.status_code == trend.status_code == 200
    assert bars["Content-Type"] == trend["Content-Type"] == "image/png"
    assert bars.content.startswith(PNG_MAGIC) and trend.content.startswith(PNG_MAGIC)


def test_an_unknown_chart_metric_is_a_400_naming_the_metrics_there_are(api: Any, audrey: Any) -> None:
    # given
    run = _completed_run()
    api.force_authenticate(audrey)
    # when
    bars = api.get(reverse("audits-api:auditrun-chart", args=[run.pk]), {"metric": "true_positiv_rate"})
    trend = api.get(reverse("audits-api:auditdefinition-trend-chart", args=[run.definition_id]), {"metric": "nope"})
    ok = api.get(
        reverse("audits-api:auditdefinition-trend-chart", args=[run.definition_id]), {"metric": "min_impact_ratio"}
    )
    # then
    assert bars.status_code == trend.status_code == 400
    assert "'true_positiv_rate'" in bars.json()["detail"] and "true_positive_rate" in bars.json()["metric"][0]
    assert "demographic_parity_ratio" in trend.json()["detail"] and "min_impact_ratio" in trend.json()["detail"]
    assert ok.status_code == 200 and ok.content.startswith(PNG_MAGIC)


def test_chart_of_a_failed_run_is_400(api: Any, audrey: Any) -> None:
    # given
    run = _failed_run()
    api.force_authenticate(audrey)
    # when
    response = api.get(reverse("audits-api:auditrun-chart", args=[run.pk]))
    # then
    assert response.status_code == 400


def test_sam_cannot_fetch_charts(api: Any, sam: Any) -> None:
    # given
    run = _completed_run()
    api.force_authenticate(sam)
    # when
    response = api.get(reverse("audits-api:auditrun-chart", args=[run.pk]))
    # then
    assert response.status_code == 403


def test_resolve_finding(api: Any, alice: Any, audrey: Any) -> None:
    # given
    finding = _failed_run().findings.get()
    url = reverse("audits-api:finding-resolve", args=[finding.pk])
    # when
    api.force_authenticate(audrey)
    refused = api.post(url)
    api.force_authenticate(alice)
    accepted = api.post(url)
    # then
    assert refused.status_code == 403
    assert accepted.status_code == 200 and accepted.json()["status"] == "resolved"


def test_definition_list_query_budget(api: Any, audrey: Any, django_assert_max_num_queries: Any) -> None:
    # given
    AuditDefinitionFactory.create_batch(5, schedule_interval_minutes=60)
    api.force_authenticate(audrey)
    # when
    with django_assert_max_num_queries(8):
        response = api.get(reverse("audits-api:auditdefinition-list"))
    # then
    assert response.json()["count"] == 5
