"""Tests of the facts questionnaire: validation, round trip and the published JSON Schema (draft 2020-12)."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from governance.classification import Facts, FactsValidationError, facts_from_dict, facts_json_schema, facts_to_dict
from governance.classification.facts import ENUM_DESCRIPTIONS, AnnexIIIPoint, Role, annex_iii_label

FULL = {
    "roles": ["provider", "deployer"],
    "scope": {"free_open_source_licence": True},
    "art_5": {
        "realtime_remote_biometric_identification": True,
        "realtime_rbi_objective": "serious_crime_suspect_localisation",
    },
    "annex_i": {"act": "medical_devices_2017_745", "safety_component_or_product": True},
    "annex_iii": {"points": ["4a", "5b"], "carve_outs": ["financial_fraud_detection"]},
    "art_6_3": {"preparatory_task": True},
    "art_50": {"interacts_with_natural_persons": True},
    "gpai": {"is_gpai_model": True, "training_compute_flop": 3e25},
    "deployer": {"public_body": True},
    "art_25": {"substantial_modification": True},
}


def _walk_properties(schema: dict[str, Any], path: str = "") -> list[tuple[str, dict[str, Any]]]:
    found = []
    for name, prop in schema.get("properties", {}).items():
        found.append((path + name, prop))
        found.extend(_walk_properties(prop, f"{path}{name}."))
    return found


def test_json_schema_is_valid_draft_2020_12() -> None:
    # given
    schema = facts_json_schema()

    # when / then
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"]
    assert schema["description"]
    json.dumps(schema)


def test_every_schema_property_has_a_title_and_description() -> None:
    # given
    schema = facts_json_schema()

    # when
    properties = _walk_properties(schema)

    # then
    assert len(properties) > 50
    missing = [path for path, prop in properties if not prop.get("title") or not prop.get("description")]
    assert missing == []


@pytest.mark.parametrize("data", [{}, FULL, facts_to_dict(Facts())])
def test_facts_round_trip_and_validate_against_the_schema(data: dict[str, Any]) -> None:
    # given
    validator = jsonschema.Draft202012Validator(facts_json_schema())

    # when
    facts = facts_from_dict(data)
    dumped = facts_to_dict(facts)

    # then
    assert facts_from_dict(dumped) == facts
    validator.validate(data)
    validator.validate(dumped)
    assert json.loads(json.dumps(dumped)) == dumped


def test_default_facts_leave_every_question_unknown() -> None:
    # given / when
    dumped = facts_to_dict(Facts())

    # then: an unanswered question is unknown (null), never a silent "no"
    assert dumped["scope"]["is_ai_system"] is None
    assert dumped["art_5"]["social_scoring"] is None
    assert dumped["annex_iii"]["points"] is None
    assert dumped["transition"]["placed_on_market_on"] is None
    assert dumped["roles"] == []
    assert dumped["gpai"]["training_compute_flop"] is None


@pytest.mark.parametrize(
    ("data", "expected_errors"),
    [
        ({"colour": "red"}, ["unknown key(s): colour"]),
        ({"art_5": {"social_scoring": True, "nope": 1, "also": 2}}, ["unknown key(s): art_5.also, art_5.nope"]),
        ({"roles": ["provider", "king"]}, ["roles[1]: 'king' is not one of"]),
        ({"roles": "provider"}, ["roles: expected a list"]),
        ({"roles": ["provider", "provider"]}, ["roles: duplicate values"]),
        ({"scope": {"is_ai_system": "yes"}}, ["scope.is_ai_system: expected true/false"]),
        ({"scope": {"is_ai_system": "unknown"}}, ["scope.is_ai_system: expected true/false (or null for unknown)"]),
        ({"roles": None}, ["roles: null is not allowed"]),
        ({"transition": {"placed_on_market_on": "2026-13-01"}}, ["transition.placed_on_market_on: expected a date"]),
        ({"transition": {"placed_on_market_on": 20260101}}, ["transition.placed_on_market_on: expected a date"]),
        ({"gpai": {"training_compute_flop": "1e25"}}, ["gpai.training_compute_flop: expected a non-negative number"]),
        ({"gpai": {"training_compute_flop": -1}}, ["gpai.training_compute_flop: expected a non-negative number"]),
        ({"gpai": {"training_compute_flop": True}}, ["gpai.training_compute_flop: expected a non-negative number"]),
        ({"annex_iii": {"points": ["9z"]}}, ["annex_iii.points[0]: '9z' is not one of"]),
        ({"annex_i": {"act": "cars"}}, ["annex_i.act: 'cars' is not one of"]),
        ({"deployer": []}, ["deployer: expected an object"]),
        (
            {"colour": 1, "art_50": {"generates_deep_fake": 1}},
            ["unknown key(s): colour", "art_50.generates_deep_fake: expected true/false"],
        ),
    ],
)
def test_facts_from_dict_rejects_bad_keys_and_values(data: dict[str, Any], expected_errors: list[str]) -> None:
    # when
    with pytest.raises(FactsValidationError) as excinfo:
        facts_from_dict(data)

    # then
    errors = excinfo.value.errors
    assert len(errors) == len(expected_errors)
    for error, expected in zip(errors, expected_errors, strict=True):
        assert error.startswith(expected)
    assert str(excinfo.value).startswith("invalid classification facts: ")


def test_facts_from_dict_rejects_a_non_object_root() -> None:
    # when
    with pytest.raises(FactsValidationError) as excinfo:
        facts_from_dict([])  # type: ignore[arg-type]

    # then
    assert excinfo.value.errors == ["<root>: expected an object, got []"]


def test_facts_from_dict_accepts_integer_flop_and_nulls_for_optional_answers() -> None:
    # when
    facts = facts_from_dict({"gpai": {"training_compute_flop": 10**26}, "annex_i": {"act": None}})

    # then
    assert facts.gpai.training_compute_flop == 1e26
    assert facts.annex_i.act is None


def test_every_enum_value_has_a_description() -> None:
    # then
    for enum_cls, descriptions in ENUM_DESCRIPTIONS.items():
        assert set(descriptions) == {m.value for m in enum_cls}, enum_cls
    assert len(AnnexIIIPoint) == 25
    assert {r.value for r in Role} == set(ENUM_DESCRIPTIONS[Role])


@pytest.mark.parametrize(
    ("point", "label"),
    [(AnnexIIIPoint.CRITICAL_INFRASTRUCTURE, "Annex III 2"), (AnnexIIIPoint.EMPLOYMENT_RECRUITMENT, "Annex III 4(a)")],
)
def test_annex_iii_labels_cite_area_and_letter(point: AnnexIIIPoint, label: str) -> None:
    # when / then
    assert annex_iii_label(point) == label


@pytest.mark.parametrize(
    ("section", "question"),
    [
        ("art_5", "emotion_recognition_workplace_or_education"),
        ("art_50", "emotion_recognition_or_biometric_categorisation"),
    ],
)
def test_emotion_questions_say_that_pain_or_fatigue_is_not_an_emotion(section: str, question: str) -> None:
    # when
    description = facts_json_schema()["properties"][section]["properties"][question]["description"]

    # then: Art. 3(39) and Recital 18 guide the answer
    assert "fatigue" in description
    assert "Recital 18" in description


def test_the_schema_publishes_yes_no_questions_as_three_valued() -> None:
    # when
    schema = facts_json_schema()
    prop = schema["properties"]["deployer"]["properties"]["natural_person"]

    # then
    assert prop["anyOf"] == [{"type": "boolean"}, {"type": "null"}]
    assert prop["default"] is None
    assert schema["properties"]["transition"]["properties"]["placed_on_market_on"]["anyOf"][0] == {
        "type": "string",
        "format": "date",
    }
