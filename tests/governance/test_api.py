"""API: role matrix for the governance endpoints, classify/transition actions, obligations, records, schema,
query budgets."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from governance.choices import ObligationStatus
from governance.models import AISystem, ClassificationRecord
from governance.services import ai_system_classify
from tests.governance.factories import HIGH_RISK_FACTS, AISystemFactory, ModelVersionFactory

pytestmark = pytest.mark.django_db

READERS = ["alice", "audrey", "sam"]


def _client(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize(
    ("persona", "status"), [("alice", 200), ("audrey", 200), ("sam", 200), ("charlie", 403)], indirect=["persona"]
)
@pytest.mark.parametrize(
    "url_name",
    [
        "governance-api:aisystem-list",
        "governance-api:modelversion-list",
        "governance-api:obligation-list",
        "governance-api:classificationrecord-list",
        "governance-api:classification-schema",
    ],
)
def test_read_endpoints_follow_the_role_matrix(persona: Any, status: int, url_name: str) -> None:
    # when
    response = _client(persona).get(reverse(url_name))
    # then
    assert response.status_code == status


@pytest.mark.parametrize(
    ("persona", "status"), [("alice", 201), ("audrey", 403), ("sam", 403), ("charlie", 403)], indirect=["persona"]
)
def test_classify_action_is_for_compliance_officers(persona: Any, status: int) -> None:
    # given
    system = AISystemFactory(facts=HIGH_RISK_FACTS)
    # when
    response = _client(persona).post(
        reverse("governance-api:aisystem-classify", args=[system.pk]), {"law_version": "eu-ai-act-2024"}, format="json"
    )
    # then
    assert response.status_code == status
    assert ClassificationRecord.objects.count() == (1 if status == 201 else 0)
    if status == 201:
        body = response.json()
        assert body["risk_class"] == "high"
        assert body["law_version"] == "eu-ai-act-2024"
        assert body["created_by"] == "alice"


@pytest.mark.parametrize(
    ("persona", "status"), [("alice", 200), ("audrey", 403), ("sam", 403), ("charlie", 403)], indirect=["persona"]
)
def test_transition_action_is_for_compliance_officers(persona: Any, status: int) -> None:
    # given
    system = AISystemFactory()
    # when
    response = _client(persona).post(
        reverse("governance-api:aisystem-transition", args=[system.pk]),
        {"to": "pilot", "reason": "pilot"},
        format="json",
    )
    # then
    assert response.status_code == status
    system.refresh_from_db()
    assert system.lifecycle_stage == ("pilot" if status == 200 else "proposed")


def test_blocked_transition_is_409_with_a_stable_code(alice: Any, high_risk_system: AISystem) -> None:
    # given
    AISystem.objects.filter(pk=high_risk_system.pk).update(lifecycle_stage="approved")
    # when
    response = _client(alice).post(
        reverse("governance-api:aisystem-transition", args=[high_risk_system.pk]),
        {"to": "production", "reason": "go live"},
        format="json",
    )
    # then
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert "open obligation" in response.json()["detail"]


def test_transition_rejects_an_unknown_stage(alice: Any) -> None:
    # given
    system = AISystemFactory()
    # when
    response = _client(alice).post(
        reverse("governance-api:aisystem-transition", args=[system.pk]), {"to": "live", "reason": "x"}, format="json"
    )
    # then
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("persona", "status"), [("alice", 201), ("audrey", 403), ("sam", 403), ("charlie", 403)], indirect=["persona"]
)
def test_model_versions_crud_follows_the_role_matrix(persona: Any, status: int) -> None:
    # given
    system = AISystemFactory()
    # when
    response = _client(persona).post(
        reverse("governance-api:modelversion-list"),
        {"system": system.pk, "version": "2.0.0", "base_model": "Mistral 7B", "training_compute_flop": 1.2e23},
        format="json",
    )
    # then
    assert response.status_code == status


def test_system_create_validates_facts_and_roles(alice: Any) -> None:
    # when
    response = _client(alice).post(
        reverse("governance-api:aisystem-list"),
        {"name": "Bad", "purpose": "x", "roles": ["emperor"], "facts": {"art_5": {"social_scoring": "yes"}}},
        format="json",
    )
    # then
    assert response.status_code == 400
    assert set(response.json()) >= {"roles", "facts"}


def test_system_create_with_facts_then_classify(alice: Any) -> None:
    # given
    client = _client(alice)
    created = client.post(
        reverse("governance-api:aisystem-list"),
        {"name": "Ranker", "purpose": "Ranks CVs.", "roles": ["deployer"], "facts": HIGH_RISK_FACTS},
        format="json",
        HTTP_X_CHANGE_REASON="new hiring tool",
    )
    assert created.status_code == 201, created.json()
    # when
    classified = client.post(
        reverse("governance-api:aisystem-classify", args=[created.json()["id"]]), {}, format="json"
    )
    # then
    assert classified.status_code == 201
    detail = client.get(reverse("governance-api:aisystem-detail", args=[created.json()["id"]])).json()
    assert detail["risk_class"] == "high"
    assert detail["facts"]["roles"] == ["deployer"]


def test_obligation_status_update_needs_reason_for_not_applicable(alice: Any, high_risk_system: AISystem) -> None:
    # given
    obligation = high_risk_system.obligations.first()
    assert obligation is not None
    url = reverse("governance-api:obligation-detail", args=[obligation.pk])
    client = _client(alice)
    # when
    missing = client.patch(url, {"status": "not_applicable"}, format="json")
    ok = client.patch(url, {"status": "not_applicable", "not_applicable_reason": "No EU users."}, format="json")
    # then
    assert missing.status_code == 400
    assert ok.status_code == 200
    obligation.refresh_from_db()
    assert obligation.status == ObligationStatus.NOT_APPLICABLE


@pytest.mark.parametrize(("persona", "status"), [("audrey", 403), ("sam", 403)], indirect=["persona"])
def test_readers_cannot_update_obligations(persona: Any, status: int, high_risk_system: AISystem) -> None:
    # given
    obligation = high_risk_system.obligations.first()
    assert obligation is not None
    # when
    response = _client(persona).patch(
        reverse("governance-api:obligation-detail", args=[obligation.pk]), {"status": "done"}, format="json"
    )
    # then
    assert response.status_code == status


def test_obligations_cannot_be_created_or_deleted_through_the_api(alice: Any, high_risk_system: AISystem) -> None:
    # given
    obligation = high_risk_system.obligations.first()
    assert obligation is not None
    client = _client(alice)
    # when
    created = client.post(reverse("governance-api:obligation-list"), {"system": high_risk_system.pk}, format="json")
    deleted = client.delete(reverse("governance-api:obligation-detail", args=[obligation.pk]))
    # then
    assert (created.status_code, deleted.status_code) == (405, 405)


def test_classification_records_are_read_only_in_the_api(alice: Any, high_risk_system: AISystem) -> None:
    # given
    record = high_risk_system.classification_records.get()
    url = reverse("governance-api:classificationrecord-detail", args=[record.pk])
    client = _client(alice)
    # when
    responses = [
        client.put(url, {"risk_class": "minimal"}, format="json"),
        client.patch(url, {"risk_class": "minimal"}, format="json"),
        client.delete(url),
        client.post(reverse("governance-api:classificationrecord-list"), {}, format="json"),
    ]
    # then
    assert [r.status_code for r in responses] == [405, 405, 405, 405]
    assert client.get(url).json()["risk_class"] == "high"


def test_system_history_lists_the_transition(alice: Any) -> None:
    # given
    system = AISystemFactory()
    client = _client(alice)
    client.post(
        reverse("governance-api:aisystem-transition", args=[system.pk]), {"to": "pilot", "reason": "try"}, format="json"
    )
    # when
    history = client.get(reverse("governance-api:aisystem-history", args=[system.pk])).json()
    # then
    assert history[0]["history_change_reason"] == "try"
    assert {"field": "lifecycle_stage", "old": "proposed", "new": "pilot"} in history[0]["changes"]


def test_schema_endpoint_publishes_the_questionnaire(alice: Any) -> None:
    # when
    schema = _client(alice).get(reverse("governance-api:classification-schema")).json()
    # then
    assert schema["$schema"].endswith("2020-12/schema")
    assert (
        "Art. 5(1)(f)"
        in schema["properties"]["art_5"]["properties"]["emotion_recognition_workplace_or_education"]["description"]
    )


def test_filters_by_role_risk_class_and_overdue(alice: Any, high_risk_system: AISystem) -> None:
    # given
    AISystemFactory(name="Provider thing", roles=["provider"])
    client = _client(alice)
    url = reverse("governance-api:aisystem-list")
    # when
    by_role = client.get(url, {"role": "provider"}).json()["results"]
    by_class = client.get(url, {"risk_class": "high"}).json()["results"]
    # then
    assert [s["name"] for s in by_role] == ["Provider thing"]
    assert [s["name"] for s in by_class] == ["CV ranker"]


@pytest.mark.parametrize(
    "url_name",
    [
        "governance-api:aisystem-list",
        "governance-api:modelversion-list",
        "governance-api:obligation-list",
        "governance-api:classificationrecord-list",
    ],
)
def test_list_endpoints_have_a_query_budget(alice: Any, url_name: str, django_assert_max_num_queries: Any) -> None:
    # given: 5 classified systems with versions, obligations and records
    for _ in range(5):
        system = AISystemFactory(facts=HIGH_RISK_FACTS)
        ModelVersionFactory(system=system)
        ai_system_classify(system=system, actor=alice)
    client = _client(alice)
    client.get(reverse(url_name))  # warm caches (content types, permissions)
    # when / then: constant, not one query per row
    with django_assert_max_num_queries(8):
        response = client.get(reverse(url_name))
    assert response.status_code == 200
    assert response.json()["count"] >= 5


@pytest.mark.parametrize(
    ("persona", "status"), [("alice", 201), ("audrey", 403), ("sam", 403), ("charlie", 403)], indirect=["persona"]
)
def test_evidence_upload_follows_the_role_matrix(persona: Any, status: int, high_risk_system: AISystem) -> None:
    # given
    obligation = high_risk_system.obligations.first()
    assert obligation is not None
    upload = SimpleUploadedFile("fria.pdf", b"%PDF-1.4 demo", content_type="application/pdf")
    # when
    response = _client(persona).post(
        reverse("governance-api:obligation-evidence", args=[obligation.pk]),
        {"description": "FRIA", "file": upload},
        format="multipart",
    )
    # then
    assert response.status_code == status
    assert obligation.evidence.count() == (1 if status == 201 else 0)


def test_evidence_needs_a_url_or_a_file(alice: Any, high_risk_system: AISystem) -> None:
    # given
    obligation = high_risk_system.obligations.first()
    assert obligation is not None
    url = reverse("governance-api:obligation-evidence", args=[obligation.pk])
    # when
    empty = _client(alice).post(url, {"description": "nothing"}, format="json")
    link = _client(alice).post(url, {"url": "https://intranet.example.com/dpia"}, format="json")
    # then
    assert empty.status_code == 400
    assert link.status_code == 201
    assert link.json()["url"] == "https://intranet.example.com/dpia"


def test_model_version_update_and_delete_and_system_delete(alice: Any) -> None:
    # given
    version = ModelVersionFactory()
    system = version.system
    client = _client(alice)
    # when
    patched = client.patch(
        reverse("governance-api:modelversion-detail", args=[version.pk]), {"base_model": "Llama 3"}, format="json"
    )
    deleted_version = client.delete(reverse("governance-api:modelversion-detail", args=[version.pk]))
    deleted_system = client.delete(reverse("governance-api:aisystem-detail", args=[system.pk]))
    # then
    assert (patched.status_code, deleted_version.status_code, deleted_system.status_code) == (200, 204, 204)
    assert not AISystem.objects.filter(pk=system.pk).exists()


def test_classified_system_cannot_be_deleted(alice: Any, high_risk_system: AISystem) -> None:
    # when: its immutable classification records protect it
    response = _client(alice).delete(reverse("governance-api:aisystem-detail", args=[high_risk_system.pk]))
    # then
    assert response.status_code == 409
    assert response.json()["code"] == "protected"
