"""Three-valued answers (yes / no / unknown): open questions, incomplete results, contradictions (issue 16, point 6)."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import pytest

from governance.classification import (
    ClassificationResult,
    ClassificationStatus,
    FactsValidationError,
    Outcome,
    RiskClass,
    classify,
    facts_from_dict,
    result_from_dict,
    result_to_dict,
)
from tests.governance.answers import all_answered

V2024 = "eu-ai-act-2024"
AS_OF = date(2028, 9, 1)


def _classify(data: dict[str, Any], law_version: str = V2024) -> ClassificationResult:
    return classify(facts_from_dict(data), law_version=law_version, as_of=AS_OF)


def test_empty_facts_are_incomplete_not_a_confident_minimal() -> None:
    # when
    result = _classify({})

    # then
    assert result.status is ClassificationStatus.INCOMPLETE
    assert result.risk_class is RiskClass.MINIMAL
    asked = {q.question: q.risk_class for q in result.open_questions}
    assert asked["art_5.social_scoring"] is RiskClass.PROHIBITED
    assert asked["annex_iii.points"] is RiskClass.HIGH
    assert asked["art_50.interacts_with_natural_persons"] is RiskClass.LIMITED
    assert asked["scope.is_ai_system"] is RiskClass.OUT_OF_SCOPE
    assert (result.risk_class_at_least, result.risk_class_at_most) == (RiskClass.OUT_OF_SCOPE, RiskClass.PROHIBITED)
    assert result.rationale[-1].outcome is Outcome.OPEN


def test_an_unknown_answer_is_not_stated_as_a_negative() -> None:
    # given: a high-risk deployer that has not said whether it is a public body
    data = all_answered(annex_iii={"points": ["4a"]})
    del data["deployer"]["public_body"]

    # when
    result = _classify(data)

    # then: no "No FRIA" finding, the FRIA question is open and says what it would add
    outcome, reason = next((s.outcome, s.reason) for s in result.rationale if s.provision == "Art. 27(1)")
    assert outcome is Outcome.OPEN
    assert not reason.startswith("No FRIA")
    question = next(q for q in result.open_questions if q.question == "deployer.public_body")
    assert question.risk_class is RiskClass.HIGH
    assert {"art-27", "art-26-8"} <= set(question.obligations_added)
    assert result.summary.startswith("at least high")


def test_the_summary_says_the_class_it_is_at_least_and_what_would_raise_it() -> None:
    # given: a chatbot whose Annex III answer is missing
    data = all_answered(art_50={"interacts_with_natural_persons": True})
    data["annex_iii"]["points"] = None

    # when
    result = _classify(data)

    # then
    assert result.risk_class is RiskClass.LIMITED
    assert result.summary == "at least limited; high if annex_iii.points = an Annex III point (e.g. 4a)"
    assert [q.question for q in result.open_questions] == ["annex_iii.points"]


@pytest.mark.parametrize(
    ("answers", "expected_class"),
    [
        ({}, RiskClass.MINIMAL),
        ({"art_50": {"interacts_with_natural_persons": True}}, RiskClass.LIMITED),
        ({"annex_iii": {"points": ["4a"]}}, RiskClass.HIGH),
        (
            {"roles": ["provider"], "annex_iii": {"points": ["5b"]}, "art_6_3": {"preparatory_task": True}},
            RiskClass.MINIMAL,
        ),
        ({"art_5": {"social_scoring": True}}, RiskClass.PROHIBITED),
        ({"scope": {"is_ai_system": False}}, RiskClass.OUT_OF_SCOPE),
    ],
)
def test_fully_answered_facts_are_complete_and_keep_their_class(
    answers: dict[str, Any], expected_class: RiskClass
) -> None:
    # given
    data = all_answered(**answers)

    # when
    result = _classify(data)

    # then
    assert result.status is ClassificationStatus.COMPLETE
    assert result.open_questions == ()
    assert result.risk_class is expected_class
    assert result.summary == expected_class.value
    assert all(step.outcome is not Outcome.OPEN for step in result.rationale)


def test_a_complete_result_equals_the_same_facts_with_unknowns_read_as_no() -> None:
    # given: the same system, once fully answered and once with the "no" answers left out
    full = all_answered(annex_iii={"points": ["5b"]}, deployer={"public_body": True})
    sparse = {"roles": ["deployer"], "annex_iii": {"points": ["5b"]}, "deployer": {"public_body": True}}

    # when
    complete = _classify(full)
    incomplete = _classify(sparse)

    # then: the class and obligations agree; only the status and the open questions differ
    assert complete.risk_class is incomplete.risk_class
    assert [o.id for o in complete.obligations] == [o.id for o in incomplete.obligations]
    assert incomplete.status is ClassificationStatus.INCOMPLETE


def test_an_incomplete_result_round_trips_through_its_stored_form() -> None:
    # given
    result = _classify({"roles": ["provider"]})

    # when
    stored = result_to_dict(result)
    again = result_from_dict(stored)

    # then
    assert again == result
    assert stored["status"] == "incomplete"
    assert stored["summary"] == result.summary


def test_a_record_stored_before_three_valued_answers_reads_as_complete() -> None:
    # given: an old stored result without the new keys
    stored = result_to_dict(_classify(all_answered()))
    for key in ("status", "open_questions", "risk_class_at_least", "risk_class_at_most", "summary"):
        stored.pop(key)
    stored.pop("pending_prohibited_practices")

    # when
    again = result_from_dict(stored)

    # then
    assert again.status is ClassificationStatus.COMPLETE
    assert again.open_questions == ()


@pytest.mark.parametrize(
    ("data", "named"),
    [
        (
            {"scope": {"is_ai_system": False}, "art_5": {"emotion_recognition_workplace_or_education": True}},
            ("scope.is_ai_system is 'no'", "art_5.emotion_recognition_workplace_or_education is 'yes'"),
        ),
        (
            {"scope": {"is_ai_system": False}, "annex_iii": {"points": ["1c"]}},
            ("scope.is_ai_system is 'no'", "annex_iii.points is 'includes 1c'"),
        ),
        (
            {"deployer": {"natural_person": True, "public_body": True}},
            ("deployer.natural_person is 'yes'", "deployer.public_body is 'yes'"),
        ),
        (
            {"scope": {"personal_non_professional_use": True}, "deployer": {"used_at_workplace": True}},
            ("scope.personal_non_professional_use is 'yes'", "deployer.used_at_workplace is 'yes'"),
        ),
        (
            {"transition": {"already_on_market": False, "placed_on_market_on": "2025-01-01"}},
            ("transition.already_on_market is 'no'", "transition.placed_on_market_on is 'a date'"),
        ),
    ],
)
def test_contradictory_answers_are_rejected_naming_both(data: dict[str, Any], named: tuple[str, str]) -> None:
    # when
    with pytest.raises(FactsValidationError) as excinfo:
        facts_from_dict(data)

    # then
    (message,) = excinfo.value.errors
    assert named[0] in message
    assert named[1] in message


def test_no_open_question_is_asked_whose_answer_would_contradict_another() -> None:
    # given: a public body; "natural person = yes" would contradict it, so it is not an open question
    data = {"roles": ["deployer"], "deployer": {"public_body": True}, "scope": {"personal_non_professional_use": True}}

    # when
    result = _classify(data)

    # then
    assert "deployer.natural_person" not in [q.question for q in result.open_questions]


def _key(result: ClassificationResult) -> tuple[Any, ...]:
    return (result.risk_class, [(o.id, o.applies_from) for o in result.obligations], result.fria_required)


def test_every_open_question_changes_the_result_when_answered() -> None:
    # given: a high-risk deployer with most questions unanswered
    facts = facts_from_dict({"roles": ["deployer"], "annex_iii": {"points": ["4a"]}})
    base = classify(facts, law_version=V2024, as_of=AS_OF)
    yes_no = [q for q in base.open_questions if q.answer in ("yes", "no")]
    assert len(yes_no) >= 5

    for question in yes_no:
        section, name = question.question.split(".")
        changed = dataclasses.replace(getattr(facts, section), **{name: question.answer == "yes"})

        # when
        other = classify(dataclasses.replace(facts, **{section: changed}), law_version=V2024, as_of=AS_OF)

        # then
        assert other.risk_class is question.risk_class
        assert _key(other) != _key(base)


@pytest.mark.parametrize(
    ("data", "provision", "not_said", "said"),
    [
        (
            {"roles": ["provider"], "annex_iii": {"points": ["4a"]}, "art_6_3": {"preparatory_task": True}},
            "Art. 6(3)",
            "no profiling",
            "profiling of natural persons not yet answered",
        ),
        (
            {"roles": ["provider"], "annex_iii": {"points": ["4a"]}},
            "Art. 6(2) + Annex III 4(a)",
            "no Art. 6(3) condition applies",
            "4 of 4 not yet answered",
        ),
        (
            {"roles": ["deployer"], "annex_iii": {"points": ["4a"]}},
            "Art. 27(1)",
            "No FRIA",
            "not yet answered",
        ),
    ],
)
def test_a_rationale_step_never_states_a_negative_nobody_answered(
    data: dict[str, Any], provision: str, not_said: str, said: str
) -> None:
    # when
    result = _classify(data)

    # then
    reason = next(s.reason for s in result.rationale if s.provision == provision)
    assert not_said not in reason
    assert said in reason
