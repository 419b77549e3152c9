"""Table-driven tests of the risk class derived by the EU AI Act engine (Arts. 2, 3, 5, 6, 50)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from governance.classification import ClassificationResult, Outcome, RiskClass, classify, facts_from_dict
from governance.classification.facts import AnnexIAct, AnnexIIIPoint

V2024 = "eu-ai-act-2024"
V2026 = "eu-ai-act-2026"
AS_OF = date(2028, 9, 1)


def _classify(data: dict[str, Any], law_version: str = V2024, as_of: date = AS_OF) -> ClassificationResult:
    return classify(facts_from_dict(data), law_version=law_version, as_of=as_of)


def _provisions(result: ClassificationResult) -> list[str]:
    """The provisions of the rationale, without the final "Questionnaire" step of an incomplete result."""
    return [step.provision for step in result.rationale if step.provision != "Questionnaire"]


def _decided(result: ClassificationResult) -> str:
    return [step.provision for step in result.rationale if step.outcome is Outcome.DECIDED][-1]


@pytest.mark.parametrize(
    ("art_5", "provision"),
    [
        ({"manipulative_or_deceptive_techniques": True}, "Art. 5(1)(a)"),
        ({"exploits_vulnerabilities": True}, "Art. 5(1)(b)"),
        ({"social_scoring": True}, "Art. 5(1)(c)"),
        ({"crime_prediction_solely_profiling": True}, "Art. 5(1)(d)"),
        ({"untargeted_facial_image_scraping": True}, "Art. 5(1)(e)"),
        ({"emotion_recognition_workplace_or_education": True}, "Art. 5(1)(f)"),
        ({"biometric_categorisation_sensitive_attributes": True}, "Art. 5(1)(g)"),
        ({"realtime_remote_biometric_identification": True}, "Art. 5(1)(h)"),
        (
            {
                "realtime_remote_biometric_identification": True,
                "realtime_rbi_objective": "imminent_threat_to_life_or_terrorist_attack",
            },
            "Art. 5(1)(h)",
        ),
    ],
)
def test_each_art_5_practice_is_prohibited(art_5: dict[str, Any], provision: str) -> None:
    # given
    data = {"roles": ["provider", "deployer"], "art_5": art_5, "annex_iii": {"points": ["4a"]}}

    # when
    result = _classify(data)

    # then
    assert result.risk_class is RiskClass.PROHIBITED
    assert result.prohibited_practices == (provision,)
    assert [o.article for o in result.obligations] == [provision]
    assert result.obligations[0].roles == (result.declared_roles)
    assert result.obligations[0].applies_from == date(2025, 2, 2)
    assert result.high_risk_routes == ()
    assert _decided(result) == "Art. 5"


@pytest.mark.parametrize(
    ("art_5", "exception_fact", "implied_point"),
    [
        (
            {"crime_prediction_solely_profiling": True, "crime_prediction_supports_human_assessment": True},
            "art_5.crime_prediction_supports_human_assessment",
            None,
        ),
        (
            {"emotion_recognition_workplace_or_education": True, "emotion_recognition_medical_or_safety": True},
            "art_5.emotion_recognition_medical_or_safety",
            AnnexIIIPoint.EMOTION_RECOGNITION,
        ),
        (
            {
                "biometric_categorisation_sensitive_attributes": True,
                "biometric_categorisation_labelling_or_law_enforcement": True,
            },
            "art_5.biometric_categorisation_labelling_or_law_enforcement",
            AnnexIIIPoint.BIOMETRIC_CATEGORISATION,
        ),
        *[
            (
                {
                    "realtime_remote_biometric_identification": True,
                    "realtime_rbi_objective": objective,
                    "realtime_rbi_authorised": True,
                },
                "art_5.realtime_rbi_objective",
                AnnexIIIPoint.BIOMETRIC_REMOTE_IDENTIFICATION,
            )
            for objective in (
                "targeted_victim_or_missing_person_search",
                "imminent_threat_to_life_or_terrorist_attack",
                "serious_crime_suspect_localisation",
            )
        ],
    ],
)
def test_art_5_exceptions_lift_the_ban(
    art_5: dict[str, Any], exception_fact: str, implied_point: AnnexIIIPoint | None
) -> None:
    # given
    data = {"roles": ["deployer"], "art_5": art_5}

    # when
    result = _classify(data)

    # then
    assert result.risk_class is not RiskClass.PROHIBITED
    excepted = [s for s in result.rationale if s.outcome is Outcome.EXCEPTED]
    assert exception_fact in excepted[0].facts
    if implied_point is None:
        assert result.risk_class is RiskClass.MINIMAL
    else:
        assert result.risk_class is RiskClass.HIGH
        assert result.annex_iii_points == (implied_point,)


def test_realtime_rbi_with_objective_but_without_authorisation_stays_prohibited() -> None:
    # given
    data = {
        "roles": ["deployer"],
        "art_5": {
            "realtime_remote_biometric_identification": True,
            "realtime_rbi_objective": "targeted_victim_or_missing_person_search",
        },
    }

    # when
    result = _classify(data)

    # then
    assert result.risk_class is RiskClass.PROHIBITED
    assert "Art. 5(3)" in _provisions(result)


@pytest.mark.parametrize("practice", ["non_consensual_intimate_imagery", "child_sexual_abuse_material"])
def test_omnibus_prohibitions_exist_only_in_the_2026_version(practice: str) -> None:
    # given
    data = {"roles": ["provider"], "art_5": {practice: True}}

    # when
    old = _classify(data, V2024)
    new = _classify(data, V2026, as_of=date(2026, 12, 2))

    # then
    assert old.risk_class is RiskClass.MINIMAL
    assert old.rationale[0].outcome is Outcome.NOT_APPLICABLE
    assert new.risk_class is RiskClass.PROHIBITED
    ban = new.obligations[0]
    assert ban.applies_from == date(2026, 12, 2)
    assert ban.in_force_on_as_of is True
    assert ban.verified is False


@pytest.mark.parametrize("point", list(AnnexIIIPoint))
def test_every_annex_iii_point_is_high_risk(point: AnnexIIIPoint) -> None:
    # given
    data = {"roles": ["provider"], "annex_iii": {"points": [point.value]}}

    # when
    result = _classify(data)

    # then
    assert result.risk_class is RiskClass.HIGH
    assert result.annex_iii_points == (point,)
    assert result.high_risk_routes[0].startswith("Art. 6(2) + Annex III")


def test_annex_iii_employment_recruitment_is_high_risk() -> None:
    # given: a CV-screening tool deployed by an employer (reference worked example)
    data = {"roles": ["deployer"], "annex_iii": {"points": ["4a"]}, "deployer": {"used_at_workplace": True}}

    # when
    result = _classify(data)

    # then
    assert result.risk_class is RiskClass.HIGH
    assert result.high_risk_routes == ("Art. 6(2) + Annex III 4(a)",)
    assert result.obligation("art-26-7") is not None
    assert result.fria_required is False


@pytest.mark.parametrize(
    ("carve_out", "point"),
    [
        ("biometric_verification", "1a"),
        ("financial_fraud_detection", "5b"),
        ("travel_document_verification", "7d"),
        ("campaign_logistics", "8b"),
    ],
)
def test_annex_iii_carve_outs_remove_the_point(carve_out: str, point: str) -> None:
    # given: e.g. fraud detection on card payments is not credit scoring
    data = {"roles": ["provider"], "annex_iii": {"points": [point], "carve_outs": [carve_out]}}

    # when
    result = _classify(data)

    # then
    assert result.risk_class is RiskClass.MINIMAL
    assert result.annex_iii_points == ()


@pytest.mark.parametrize(
    "condition",
    [
        "narrow_procedural_task",
        "improves_completed_human_activity",
        "detects_decision_patterns_without_replacing_assessment",
        "preparatory_task",
    ],
)
@pytest.mark.parametrize(
    ("profiles", "expected_class", "derogated"),
    [(False, RiskClass.MINIMAL, True), (True, RiskClass.HIGH, False)],
)
def test_art_6_3_derogation_applies_only_without_profiling(
    condition: str, profiles: bool, expected_class: RiskClass, derogated: bool
) -> None:
    # given
    data = {
        "roles": ["provider"],
        "annex_iii": {"points": ["4a"]},
        "art_6_3": {condition: True, "profiles_natural_persons": profiles},
    }

    # when
    result = _classify(data)

    # then
    assert result.risk_class is expected_class
    assert result.art_6_3_derogation_applied is derogated
    assert result.art_6_3_derogation_record_required is derogated
    assert (result.obligation("art-6-4") is not None) is derogated
    assert (result.obligation("art-49-2") is not None) is derogated
    assert (result.obligation("art-9") is not None) is not derogated


def test_profiling_annex_iii_system_is_high_risk_without_derogation_conditions() -> None:
    # given
    data = {"roles": ["provider"], "annex_iii": {"points": ["5b"]}, "art_6_3": {"profiles_natural_persons": True}}

    # when
    result = _classify(data)

    # then
    assert result.risk_class is RiskClass.HIGH
    assert "Art. 6(3) last subparagraph" in _provisions(result)


def test_art_6_3_derogation_for_a_deployer_needs_no_record_of_its_own() -> None:
    # given
    data = {"roles": ["deployer"], "annex_iii": {"points": ["4a"]}, "art_6_3": {"preparatory_task": True}}

    # when
    result = _classify(data)

    # then
    assert result.art_6_3_derogation_applied is True
    assert result.art_6_3_derogation_record_required is False
    assert any("Art. 6(4)" in note for note in result.notes)


def test_art_6_3_derogation_is_moot_when_annex_i_makes_the_system_high_risk() -> None:
    # given
    data = {
        "roles": ["provider"],
        "annex_iii": {"points": ["5d"]},
        "art_6_3": {"preparatory_task": True},
        "annex_i": {
            "act": "medical_devices_2017_745",
            "safety_component_or_product": True,
            "third_party_conformity_assessment": True,
        },
    }

    # when
    result = _classify(data)

    # then
    assert result.risk_class is RiskClass.HIGH
    assert result.art_6_3_derogation_record_required is False
    assert result.obligation("art-6-4") is None


@pytest.mark.parametrize(
    ("annex_i", "expected_class", "failed_provision"),
    [
        (
            {
                "act": "medical_devices_2017_745",
                "safety_component_or_product": True,
                "third_party_conformity_assessment": True,
            },
            RiskClass.HIGH,
            None,
        ),
        (
            {"act": "toys_2009_48_ec", "safety_component_or_product": True, "third_party_conformity_assessment": False},
            RiskClass.MINIMAL,
            "Art. 6(1)(b)",
        ),
        (
            {
                "act": "lifts_2014_33_eu",
                "safety_component_or_product": False,
                "third_party_conformity_assessment": True,
            },
            RiskClass.MINIMAL,
            "Art. 6(1)(a)",
        ),
        ({"act": None}, RiskClass.MINIMAL, None),
    ],
)
def test_annex_i_route_needs_safety_component_and_third_party_assessment(
    annex_i: dict[str, Any], expected_class: RiskClass, failed_provision: str | None
) -> None:
    # given
    data = {"roles": ["provider"], "annex_i": annex_i}

    # when
    result = _classify(data)

    # then
    assert result.risk_class is expected_class
    if failed_provision:
        assert failed_provision in _provisions(result)
    if expected_class is RiskClass.HIGH:
        assert result.high_risk_routes == ("Art. 6(1) + Annex I (medical_devices_2017_745)",)
        assert result.obligation("art-9") is not None


@pytest.mark.parametrize(
    ("act", "law_version", "chapter_iii_listed"),
    [
        (AnnexIAct.MOTOR_VEHICLES, V2024, False),
        (AnnexIAct.CIVIL_AVIATION, V2024, False),
        (AnnexIAct.MACHINERY_REGULATION, V2024, True),
        (AnnexIAct.MACHINERY_REGULATION, V2026, False),
        (AnnexIAct.MACHINERY_DIRECTIVE, V2026, False),
    ],
)
def test_annex_i_section_b_products_are_high_risk_without_chapter_iii_obligations(
    act: AnnexIAct, law_version: str, chapter_iii_listed: bool
) -> None:
    # given
    data = {
        "roles": ["provider"],
        "annex_i": {"act": act.value, "safety_component_or_product": True, "third_party_conformity_assessment": True},
    }

    # when
    result = _classify(data, law_version)

    # then
    assert result.risk_class is RiskClass.HIGH
    assert (result.obligation("art-9") is not None) is chapter_iii_listed
    assert ("Art. 2(2)" in _provisions(result)) is not chapter_iii_listed


@pytest.mark.parametrize(
    ("art_50", "duties", "expected_class"),
    [
        ({"interacts_with_natural_persons": True}, ("Art. 50(1)",), RiskClass.LIMITED),
        ({"interacts_with_natural_persons": True, "ai_interaction_obvious": True}, (), RiskClass.MINIMAL),
        ({"generates_synthetic_content": True}, ("Art. 50(2)",), RiskClass.LIMITED),
        ({"emotion_recognition_or_biometric_categorisation": True}, ("Art. 50(3)",), RiskClass.LIMITED),
        ({"generates_deep_fake": True}, ("Art. 50(4)",), RiskClass.LIMITED),
        ({"publishes_public_interest_text": True}, ("Art. 50(4)",), RiskClass.LIMITED),
        ({"publishes_public_interest_text": True, "text_under_human_editorial_review": True}, (), RiskClass.MINIMAL),
        ({}, (), RiskClass.MINIMAL),
    ],
)
def test_art_50_situations_give_limited_risk(
    art_50: dict[str, Any], duties: tuple[str, ...], expected_class: RiskClass
) -> None:
    # given: e.g. a customer-service chatbot
    data = {"roles": ["provider", "deployer"], "art_50": art_50}

    # when
    result = _classify(data)

    # then
    assert result.risk_class is expected_class
    assert result.transparency_duties == duties


def test_art_50_duties_stack_on_high_risk_chatbot() -> None:
    # given
    data = {
        "roles": ["provider"],
        "annex_iii": {"points": ["5a"]},
        "art_50": {"interacts_with_natural_persons": True, "generates_synthetic_content": True},
    }

    # when
    result = _classify(data)

    # then
    assert result.risk_class is RiskClass.HIGH
    assert result.transparency_duties == ("Art. 50(1)", "Art. 50(2)")
    ids = {o.id for o in result.obligations}
    assert {"art-9", "art-73", "art-50-1", "art-50-2"} <= ids


def test_emotion_recognition_in_retail_is_high_risk_with_art_50_3() -> None:
    # given: emotion detection on customers in a store (not workplace or education)
    data = {"roles": ["deployer"], "annex_iii": {"points": ["1c"]}}

    # when
    result = _classify(data)

    # then
    assert result.risk_class is RiskClass.HIGH
    assert result.transparency_duties == ("Art. 50(3)",)
    assert result.obligation("art-50-3") is not None


@pytest.mark.parametrize(
    ("scope", "provision"),
    [
        ({"military_defence_national_security": True}, "Art. 2(3)"),
        ({"scientific_research_sole_purpose": True}, "Art. 2(6)"),
        ({"pre_market_research_testing": True}, "Art. 2(8)"),
    ],
)
def test_art_2_exclusions_put_the_system_out_of_scope(scope: dict[str, Any], provision: str) -> None:
    # given: even a practice that would otherwise be prohibited
    data = {"roles": ["provider"], "scope": scope, "art_5": {"social_scoring": True}}

    # when
    result = _classify(data)

    # then
    assert result.risk_class is RiskClass.OUT_OF_SCOPE
    assert result.obligations == ()
    assert _provisions(result) == [provision]


@pytest.mark.parametrize(
    ("extra", "expected_class"),
    [
        ({}, RiskClass.OUT_OF_SCOPE),
        ({"annex_iii": {"points": ["4a"]}}, RiskClass.HIGH),
        ({"art_50": {"generates_synthetic_content": True}}, RiskClass.LIMITED),
        ({"art_5": {"social_scoring": True}}, RiskClass.PROHIBITED),
    ],
)
def test_open_source_systems_are_out_of_scope_unless_high_risk_art_5_or_art_50(
    extra: dict[str, Any], expected_class: RiskClass
) -> None:
    # given
    data = {"roles": ["provider"], "scope": {"free_open_source_licence": True}, **extra}

    # when
    result = _classify(data)

    # then
    assert result.risk_class is expected_class
    if expected_class is RiskClass.OUT_OF_SCOPE:
        assert result.obligations == ()


def test_non_ai_system_is_out_of_scope() -> None:
    # given: fixed human-written rules
    data = {"roles": ["provider"], "scope": {"is_ai_system": False}, "annex_iii": {"points": ["4a"]}}

    # when
    result = _classify(data)

    # then
    assert result.risk_class is RiskClass.OUT_OF_SCOPE
    assert result.obligations == ()
    assert _provisions(result) == ["Art. 3(1)"]


def test_spam_filter_is_minimal_risk_with_ai_literacy_only() -> None:
    # given
    data = {"roles": ["deployer"]}

    # when
    result = _classify(data)

    # then
    assert result.risk_class is RiskClass.MINIMAL
    assert [o.article for o in result.obligations] == ["Art. 4"]
