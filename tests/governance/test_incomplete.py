"""Unknown answers through the Django side: the questionnaire's Yes/No/Unknown answers, contradictions named on
both fields, incomplete classifications stored, shown in the registry, the summary, the overview and the API, and
the backfill of the status for systems classified before it existed."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from core.models import AuditLogEntry
from governance import events
from governance.forms import QuestionnaireForm
from governance.models import AISystem
from governance.services import ai_system_classify
from tests.governance.answers import all_answered
from tests.governance.factories import LIMITED_FACTS, AISystemFactory

pytestmark = pytest.mark.django_db


def _complete(**answers: dict[str, Any]) -> dict[str, Any]:
    facts = all_answered(**answers)
    facts.pop("roles")
    return facts


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


# -- the questionnaire form -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("posted", "stored"), [("yes", True), ("no", False), ("unknown", None), (None, None), ("", None)]
)
def test_a_yes_no_question_has_three_answers(posted: str | None, stored: bool | None) -> None:
    # given
    data = {} if posted is None else {"art_5__social_scoring": posted}
    # when
    form = QuestionnaireForm(data)
    # then
    assert form.is_valid(), form.errors
    assert form.to_facts()["art_5"]["social_scoring"] is stored


def test_an_unanswered_questionnaire_renders_unknown_checked_and_keeps_given_answers() -> None:
    # given
    form = QuestionnaireForm(facts={"art_5": {"social_scoring": False}, "scope": {"is_ai_system": True}})
    # when
    checked = {
        name: re.findall(r'value="(\w+)" id="[^"]+" checked', str(form[name]))
        for name in ("art_5__exploits_vulnerabilities", "art_5__social_scoring", "scope__is_ai_system")
    }
    # then
    assert checked == {
        "art_5__exploits_vulnerabilities": ["unknown"],
        "art_5__social_scoring": ["no"],
        "scope__is_ai_system": ["yes"],
    }
    assert " required" not in str(form["art_5__exploits_vulnerabilities"])  # unknown is a valid answer


@pytest.mark.parametrize(
    ("posted", "stored"),
    [([], None), (["none"], []), (["4a", "5b"], ["4a", "5b"])],
    ids=["nothing ticked is unknown", "none of these is an answer", "points"],
)
def test_annex_iii_points_distinguish_none_apply_from_unknown(posted: list[str], stored: list[str] | None) -> None:
    # when
    form = QuestionnaireForm({"annex_iii__points": posted})
    # then
    assert form.is_valid(), form.errors
    assert form.to_facts()["annex_iii"]["points"] == stored


def test_none_of_these_with_a_point_is_an_error() -> None:
    # when
    form = QuestionnaireForm({"annex_iii__points": ["none", "4a"]})
    # then
    assert not form.is_valid()
    assert "annex_iii__points" in form.errors


def test_stored_answers_round_trip_through_the_form() -> None:
    # given
    facts = {
        "annex_iii": {"points": []},
        "transition": {"already_on_market": True, "placed_on_market_on": "2025-03-01"},
    }
    form = QuestionnaireForm(facts=facts)
    # when
    data = {name: form[name].value() for name in form.fields}
    again = QuestionnaireForm({k: v for k, v in data.items() if v not in (None, "")})
    # then
    assert data["annex_iii__points"] == ["none"]
    assert again.is_valid(), again.errors
    assert again.to_facts()["annex_iii"]["points"] == []
    assert again.to_facts()["transition"]["placed_on_market_on"] == "2025-03-01"
    assert again.to_facts()["transition"]["already_on_market"] is True
    assert again.to_facts()["art_5"]["social_scoring"] is None


def test_the_placing_date_is_a_date_input() -> None:
    # when
    html = str(QuestionnaireForm()["transition__placed_on_market_on"])
    # then
    assert 'type="date"' in html


def test_contradictory_answers_are_an_error_on_both_fields() -> None:
    # when
    form = QuestionnaireForm({"scope__is_ai_system": "no", "art_5__emotion_recognition_workplace_or_education": "yes"})
    # then
    assert not form.is_valid()
    for name in ("scope__is_ai_system", "art_5__emotion_recognition_workplace_or_education"):
        assert any("scope.is_ai_system is 'no'" in e and "Art. 3(39)" in e for e in form.errors[name]), name


def test_the_admin_questionnaire_refuses_contradictions_and_stores_nothing(alice: Any) -> None:
    # given
    system = AISystemFactory(facts={})
    url = reverse("admin:governance_aisystem_questionnaire", args=[system.pk])
    # when
    response = _client(alice).post(
        url, {"deployer__natural_person": "yes", "deployer__public_body": "yes", "_save": "1"}
    )
    # then
    assert response.status_code == 200
    assert "a natural person is not a body governed by public law" in response.content.decode()
    system.refresh_from_db()
    assert system.facts == {}


# -- classification, registry, summary, overview -------------------------------------------------------------------


def test_a_classification_with_open_questions_is_stored_as_incomplete(alice: Any) -> None:
    # given
    system = AISystemFactory(facts=LIMITED_FACTS)
    # when
    record = ai_system_classify(system=system, actor=alice)
    # then
    system.refresh_from_db()
    assert (system.classification_status, record.status) == ("incomplete", "incomplete")
    assert system.risk_class == record.risk_class == "limited"
    assert record.summary.startswith("limited as answered;") and "high if annex_iii.points" in record.summary
    assert "art_6_3.profiles_natural_persons" not in {q["question"] for q in record.open_questions}
    assert {"annex_iii.points", "art_5.social_scoring"} <= {q["question"] for q in record.open_questions}
    entry = AuditLogEntry.objects.filter(event_type=events.AI_SYSTEM_CLASSIFIED).latest("id")
    assert entry.extra_data["status"] == "incomplete"
    assert "annex_iii.points" in entry.extra_data["open_questions"]


def test_answering_every_question_makes_it_complete(alice: Any) -> None:
    # given
    system = AISystemFactory(facts=_complete(art_50={"interacts_with_natural_persons": True}))
    # when
    record = ai_system_classify(system=system, actor=alice)
    # then
    system.refresh_from_db()
    assert (system.classification_status, record.status, record.risk_class) == ("complete", "complete", "limited")
    assert record.open_questions == []
    assert record.summary == "limited"


def test_registry_summary_and_overview_show_incomplete_classifications(alice: Any, audrey: Any) -> None:
    # given
    open_system = AISystemFactory(name="Half answered", facts=LIMITED_FACTS)
    done_system = AISystemFactory(name="Fully answered", facts=_complete())
    for system in (open_system, done_system):
        ai_system_classify(system=system, actor=alice)
    client = _client(audrey)  # the auditor reads them too
    # when
    filtered = client.get(
        reverse("admin:governance_aisystem_changelist"), {"classification_status__exact": "incomplete"}
    )
    summary = client.get(reverse("admin:governance_aisystem_summary", args=[open_system.pk])).content.decode()
    complete_summary = client.get(reverse("admin:governance_aisystem_summary", args=[done_system.pk])).content.decode()
    overview = client.get(reverse("admin:governance_overview")).content.decode()
    # then
    assert filtered.status_code == 200
    assert list(filtered.context["cl"].result_list) == [open_system]
    assert "Incomplete (open questions)" in filtered.content.decode()
    assert "Incomplete</strong> limited as answered;" in summary
    assert 'id="open-questions"' in summary and "art_5.social_scoring" in summary
    assert 'id="open-questions"' not in complete_summary and "Complete: every answer" in complete_summary
    assert "Incomplete classifications (1)" in overview
    assert "?classification_status__exact=incomplete" in overview and "Half answered" in overview


def test_classifying_in_the_admin_says_when_the_result_is_incomplete(alice: Any) -> None:
    # given
    system = AISystemFactory(facts=LIMITED_FACTS)
    # when
    response = _client(alice).post(reverse("admin:governance_aisystem_classify", args=[system.pk]), follow=True)
    # then
    text = " ".join(str(m) for m in response.context["messages"])
    assert "Classified: incomplete, limited as answered;" in text
    assert "open question(s)" in text


# -- API ---------------------------------------------------------------------------------------------------------------


def test_api_filters_by_status_and_returns_the_open_questions(alice: Any) -> None:
    # given
    open_system = AISystemFactory(facts=LIMITED_FACTS)
    done_system = AISystemFactory(facts=_complete())
    for system in (open_system, done_system):
        ai_system_classify(system=system, actor=alice)
    api = APIClient()
    api.force_authenticate(alice)
    # when
    systems = api.get(reverse("governance-api:aisystem-list"), {"classification_status": "incomplete"}).json()
    records = api.get(reverse("governance-api:classificationrecord-list"), {"status": "incomplete"}).json()
    # then
    assert [s["id"] for s in systems["results"]] == [open_system.pk]
    assert systems["results"][0]["classification_status"] == "incomplete"
    assert [r["system"] for r in records["results"]] == [open_system.pk]
    record = records["results"][0]
    assert record["status"] == "incomplete" and record["summary"].startswith("limited as answered")
    question = next(q for q in record["open_questions"] if q["question"] == "annex_iii.points")
    assert question["risk_class"] == "high" and question["title"]


def test_api_accepts_null_as_unknown_and_rejects_contradictions(alice: Any) -> None:
    # given
    api = APIClient()
    api.force_authenticate(alice)
    url = reverse("governance-api:aisystem-list")
    base = {"name": "Via API", "purpose": "chat", "roles": ["deployer"]}
    # when
    created = api.post(url, {**base, "facts": {"art_5": {"social_scoring": None}}}, format="json")
    refused = api.post(
        url,
        {
            **base,
            "name": "Other",
            "facts": {"scope": {"is_ai_system": False}, "art_5": {"emotion_recognition_workplace_or_education": True}},
        },
        format="json",
    )
    # then
    assert created.status_code == 201, created.json()
    assert created.json()["facts"]["art_5"]["social_scoring"] is None
    assert refused.status_code == 400
    assert "scope.is_ai_system is 'no'" in str(refused.json())


# -- migration -------------------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_systems_classified_before_the_status_existed_are_backfilled_as_complete() -> None:
    # given the schema before the status, a classified and an unclassified system
    executor = MigrationExecutor(connection)
    before = ("governance", "0002_registry")
    others = [n for n in executor.loader.graph.leaf_nodes() if n[0] != "governance"]
    executor.migrate([*others, before])
    old = executor.loader.project_state([*others, before]).apps
    old_system = old.get_model("governance", "AISystem")
    old_system.objects.create(name="Classified", purpose="x", risk_class="high")
    old_system.objects.create(name="Never classified", purpose="y")
    # when
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    # then
    status = dict(AISystem.objects.values_list("name", "classification_status"))
    assert status == {"Classified": "complete", "Never classified": ""}
