"""Table-driven tests of roles, obligations, dates and periods (Arts. 18, 19, 25, 26, 27, 50-55, 73, 111, 113)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from governance.classification import ClassificationResult, Outcome, RiskClass, classify, facts_from_dict
from governance.classification.facts import Role

V2024 = "eu-ai-act-2024"
V2026 = "eu-ai-act-2026"


def _classify(data: dict[str, Any], law_version: str = V2024, as_of: date = date(2028, 9, 1)) -> ClassificationResult:
    return classify(facts_from_dict(data), law_version=law_version, as_of=as_of)


HIGH_RISK_DEPLOYER_AND_PROVIDER = {"roles": ["provider", "deployer"], "annex_iii": {"points": ["4a"]}}


@pytest.mark.parametrize(
    ("obligation_id", "expected"),
    [
        (
            "art-73",
            [
                ("serious incident", 15, None, None),
                ("death of a person", 10, None, None),
                ("widespread infringement or critical infrastructure disruption", 2, None, None),
            ],
        ),
        ("art-19", [("retention", None, 6, None)]),
        ("art-26-6", [("retention", None, 6, None)]),
        ("art-18", [("retention", None, None, 10)]),
        ("art-47", [("retention", None, None, 10)]),
    ],
)
def test_deadlines_and_retention_periods_are_structured(obligation_id: str, expected: list[tuple[Any, ...]]) -> None:
    # given
    data = HIGH_RISK_DEPLOYER_AND_PROVIDER

    # when
    obligation = _classify(data).obligation(obligation_id)

    # then
    assert obligation is not None
    assert [(p.label, p.days, p.months, p.years) for p in obligation.periods] == expected
    assert obligation.deadline_text


def test_art_73_deadline_text_lists_every_period() -> None:
    # given
    data = HIGH_RISK_DEPLOYER_AND_PROVIDER

    # when
    obligation = _classify(data).obligation("art-73")

    # then
    assert obligation is not None
    assert "15 days" in obligation.deadline_text
    assert "10 days" in obligation.deadline_text
    assert "2 days" in obligation.deadline_text


@pytest.mark.parametrize(
    ("role", "expected_ids", "absent_ids"),
    [
        (
            Role.PROVIDER,
            {"art-4", "art-9", "art-10", "art-17", "art-18", "art-19", "art-43", "art-49-1", "art-73"},
            {"art-26"},
        ),
        (Role.DEPLOYER, {"art-4", "art-26", "art-26-6", "art-26-11", "art-86"}, {"art-9", "art-73"}),
        (Role.IMPORTER, {"art-23"}, {"art-9", "art-26", "art-4"}),
        (Role.DISTRIBUTOR, {"art-24"}, {"art-9", "art-26"}),
        (Role.AUTHORISED_REPRESENTATIVE, {"art-22"}, {"art-9", "art-26"}),
        (Role.PRODUCT_MANUFACTURER, set(), {"art-9", "art-26"}),
    ],
)
def test_high_risk_obligations_are_role_specific(role: Role, expected_ids: set[str], absent_ids: set[str]) -> None:
    # given
    data = {"roles": [role.value], "annex_iii": {"points": ["4a"]}}

    # when
    result = _classify(data)

    # then
    ids = {o.id for o in result.obligations_for(role)}
    assert expected_ids <= ids
    assert not (absent_ids & ids)


@pytest.mark.parametrize(
    ("art_25", "declared", "becomes_provider", "provision"),
    [
        ({"puts_name_or_trademark_on_high_risk_system": True}, ["deployer"], True, "Art. 25(1)(a)"),
        ({"substantial_modification": True}, ["importer"], True, "Art. 25(1)(b)"),
        ({"changes_intended_purpose_to_high_risk": True}, ["distributor", "deployer"], True, "Art. 25(1)(c)"),
        ({"puts_name_or_trademark_on_high_risk_system": True}, ["provider"], False, "Art. 25(1)(a)"),
        ({}, ["deployer"], False, None),
    ],
)
def test_art_25_turns_other_operators_into_providers_of_high_risk_systems(
    art_25: dict[str, bool], declared: list[str], becomes_provider: bool, provision: str | None
) -> None:
    # given
    data = {"roles": declared, "annex_iii": {"points": ["3b"]}, "art_25": art_25}

    # when
    result = _classify(data)

    # then
    assert (Role.PROVIDER in result.effective_roles) is (becomes_provider or "provider" in declared)
    assert bool(result.role_changes) is becomes_provider
    if becomes_provider:
        change = result.role_changes[0]
        assert change.provision == provision
        assert change.to_role is Role.PROVIDER
        assert [r.value for r in change.from_roles] == [
            r for r in ["deployer", "importer", "distributor"] if r in declared
        ]
        assert result.obligation("art-9") is not None
        assert set(declared) <= {r.value for r in result.effective_roles}


def test_art_25_is_not_triggered_for_a_system_that_is_not_high_risk() -> None:
    # given
    data = {"roles": ["deployer"], "annex_iii": {"points": []}, "art_25": {"substantial_modification": True}}

    # when
    result = _classify(data)

    # then
    assert result.effective_roles == (Role.DEPLOYER,)
    assert result.role_changes == ()
    assert (result.rationale[0].provision, result.rationale[0].outcome) == ("Art. 25(1)(b)", Outcome.NOT_APPLICABLE)


def test_several_art_25_triggers_record_one_role_change() -> None:
    # given
    data = {
        "roles": ["deployer"],
        "annex_iii": {"points": ["3b"]},
        "art_25": {"puts_name_or_trademark_on_high_risk_system": True, "substantial_modification": True},
    }

    # when
    result = _classify(data)

    # then
    assert len(result.role_changes) == 1
    assert [s.provision for s in result.rationale if s.outcome == "role_changed"] == ["Art. 25(1)(a)", "Art. 25(1)(b)"]


@pytest.mark.parametrize(
    ("roles", "act", "becomes_provider"),
    [
        (["product_manufacturer"], "machinery_2023_1230", True),
        (["product_manufacturer", "provider"], "machinery_2023_1230", False),
        (["product_manufacturer"], "motor_vehicles_2018_858", False),
        (["deployer"], "machinery_2023_1230", False),
    ],
)
def test_art_25_3_product_manufacturer_becomes_provider_for_annex_i_section_a(
    roles: list[str], act: str, becomes_provider: bool
) -> None:
    # given
    data = {
        "roles": roles,
        "annex_i": {"act": act, "safety_component_or_product": True, "third_party_conformity_assessment": True},
        "art_25": {"placed_with_product_under_own_name": True},
    }

    # when
    result = _classify(data)

    # then
    assert bool(result.role_changes) is becomes_provider
    assert (Role.PROVIDER in result.effective_roles) is (becomes_provider or "provider" in roles)


@pytest.mark.parametrize(
    ("points", "deployer", "fria"),
    [
        (["4a"], {"public_body": True}, True),
        (["3a"], {"private_entity_providing_public_services": True}, True),
        (["5b"], {}, True),
        (["5c"], {}, True),
        (["4a"], {}, False),
        (["2"], {"public_body": True}, False),
        (["2", "5a"], {"public_body": True}, True),
        ([], {"public_body": True}, False),
    ],
)
def test_fria_required_for_public_deployers_and_credit_or_insurance(
    points: list[str], deployer: dict[str, bool], fria: bool
) -> None:
    # given
    data = {"roles": ["deployer"], "annex_iii": {"points": points}, "deployer": deployer}

    # when
    result = _classify(data)

    # then
    assert result.fria_required is fria
    assert (result.obligation("art-27") is not None) is fria


def test_fria_is_not_required_of_a_provider_only() -> None:
    # given
    data = {"roles": ["provider"], "annex_iii": {"points": ["5b"]}}

    # when
    result = _classify(data)

    # then
    assert result.fria_required is False


def test_fria_not_required_for_annex_i_only_high_risk() -> None:
    # given
    data = {
        "roles": ["deployer"],
        "deployer": {"public_body": True},
        "annex_i": {
            "act": "lifts_2014_33_eu",
            "safety_component_or_product": True,
            "third_party_conformity_assessment": True,
        },
    }

    # when
    result = _classify(data)

    # then
    assert result.risk_class is RiskClass.HIGH
    assert result.fria_required is False


def test_public_body_deployer_registers_its_use() -> None:
    # given
    data = {"roles": ["deployer"], "annex_iii": {"points": ["5a"]}, "deployer": {"public_body": True}}

    # when
    result = _classify(data)

    # then
    assert result.obligation("art-26-8") is not None


@pytest.mark.parametrize(
    ("route", "law_version", "applies_from"),
    [
        ({"annex_iii": {"points": ["4a"]}}, V2024, date(2026, 8, 2)),
        ({"annex_iii": {"points": ["4a"]}}, V2026, date(2027, 12, 2)),
        (
            {
                "annex_i": {
                    "act": "medical_devices_2017_745",
                    "safety_component_or_product": True,
                    "third_party_conformity_assessment": True,
                }
            },
            V2024,
            date(2027, 8, 2),
        ),
        (
            {
                "annex_i": {
                    "act": "medical_devices_2017_745",
                    "safety_component_or_product": True,
                    "third_party_conformity_assessment": True,
                }
            },
            V2026,
            date(2028, 8, 2),
        ),
        (
            {
                "annex_iii": {"points": ["5d"]},
                "annex_i": {
                    "act": "medical_devices_2017_745",
                    "safety_component_or_product": True,
                    "third_party_conformity_assessment": True,
                },
            },
            V2024,
            date(2026, 8, 2),
        ),
    ],
)
def test_high_risk_obligation_dates_depend_on_route_and_law_version(
    route: dict[str, Any], law_version: str, applies_from: date
) -> None:
    # given
    data = {"roles": ["provider"], **route}

    # when
    result = _classify(data, law_version)

    # then
    assert result.obligation("art-9").applies_from == applies_from  # type: ignore[union-attr]
    assert result.obligation("art-73").applies_from == applies_from  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("law_version", "as_of", "in_force"),
    [
        (V2024, date(2026, 8, 1), False),
        (V2024, date(2026, 8, 2), True),
        (V2026, date(2026, 8, 2), False),
        (V2026, date(2027, 12, 1), False),
        (V2026, date(2027, 12, 2), True),
    ],
)
def test_annex_iii_obligations_in_force_depends_on_as_of_date_and_law_version(
    law_version: str, as_of: date, in_force: bool
) -> None:
    # given
    data = HIGH_RISK_DEPLOYER_AND_PROVIDER

    # when
    result = _classify(data, law_version, as_of)

    # then
    assert result.obligation("art-26").in_force_on_as_of is in_force  # type: ignore[union-attr]
    assert result.obligation("art-4").in_force_on_as_of is True  # type: ignore[union-attr]


def test_2026_version_obligations_are_marked_unverified() -> None:
    # given
    data = HIGH_RISK_DEPLOYER_AND_PROVIDER

    # when
    old = _classify(data, V2024)
    new = _classify(data, V2026)

    # then
    assert all(o.verified for o in old.obligations)
    assert not any(o.verified for o in new.obligations)
    assert "softened" in new.obligation("art-4").note  # type: ignore[union-attr]
    assert any("Unverified law data" in note for note in new.notes)


@pytest.mark.parametrize(
    ("gpai", "systemic", "expected_ids", "absent_ids"),
    [
        (
            {"is_gpai_model": True, "training_compute_flop": 1e24},
            False,
            {"art-53-1-a", "art-53-1-c"},
            {"art-55-1-a", "art-52-1"},
        ),
        ({"is_gpai_model": True, "training_compute_flop": 1e25}, False, {"art-53-1-d"}, {"art-55-1-a"}),
        ({"is_gpai_model": True, "training_compute_flop": 3e25}, True, {"art-52-1", "art-55-1-a", "art-55-1-d"}, set()),
        ({"is_gpai_model": True, "commission_designated_systemic_risk": True}, True, {"art-55-1-b"}, {"art-52-1"}),
        ({"is_gpai_model": True, "free_open_source_model": True}, False, {"art-53-1-c"}, {"art-53-1-a", "art-53-1-b"}),
        (
            {"is_gpai_model": True, "free_open_source_model": True, "training_compute_flop": 5e25},
            True,
            {"art-53-1-a", "art-53-1-b", "art-55-1-c"},
            set(),
        ),
        ({"is_gpai_model": False, "training_compute_flop": 3e25}, False, set(), {"art-53-1-a", "art-55-1-a"}),
    ],
)
def test_gpai_models_with_and_without_systemic_risk(
    gpai: dict[str, Any], systemic: bool, expected_ids: set[str], absent_ids: set[str]
) -> None:
    # given: a foundation model provider
    data = {"roles": ["provider"], "gpai": gpai}

    # when
    result = _classify(data, as_of=date(2025, 9, 1))

    # then
    assert result.is_gpai_model is gpai["is_gpai_model"]
    assert result.gpai_systemic_risk is systemic
    ids = {o.id for o in result.obligations}
    assert expected_ids <= ids
    assert not (absent_ids & ids)
    assert all(o.in_force_on_as_of for o in result.obligations if o.id.startswith(("art-53", "art-55")))


def test_art_52_notification_is_due_within_two_weeks() -> None:
    # given
    data = {"roles": ["provider"], "gpai": {"is_gpai_model": True, "training_compute_flop": 3e25}}

    # when
    obligation = _classify(data).obligation("art-52-1")

    # then
    assert obligation is not None
    assert obligation.periods[0].days == 14


def test_gpai_model_that_is_not_an_ai_system_keeps_model_obligations() -> None:
    # given
    data = {"roles": ["provider"], "scope": {"is_ai_system": False}, "gpai": {"is_gpai_model": True}}

    # when
    result = _classify(data)

    # then
    assert result.risk_class is RiskClass.OUT_OF_SCOPE
    assert result.is_gpai_model is True
    assert {o.id for o in result.obligations} == {"art-53-1-a", "art-53-1-b", "art-53-1-c", "art-53-1-d"}


def test_gpai_flags_without_provider_role_produce_a_note_and_no_obligations() -> None:
    # given
    data = {"roles": ["deployer"], "gpai": {"is_gpai_model": True, "training_compute_flop": 3e25}}

    # when
    result = _classify(data)

    # then
    assert result.gpai_systemic_risk is True
    assert not any(o.id.startswith("art-5") for o in result.obligations)
    assert any("model provider" in note for note in result.notes)


def test_prohibited_system_lists_the_ban_and_keeps_the_gpai_model_duties() -> None:
    # given: a GPAI model provider whose system also hits Art. 5 (legal review point 3)
    data = {"roles": ["provider"], "art_5": {"social_scoring": True}, "gpai": {"is_gpai_model": True}}

    # when
    result = _classify(data, as_of=date(2025, 3, 1))

    # then: the ban, and Arts. 53(1)(a)-(d); no AI-system duty such as Art. 4 or Art. 9
    assert result.risk_class is RiskClass.PROHIBITED
    assert result.is_gpai_model is True
    assert [(o.id, o.in_force_on_as_of) for o in result.obligations] == [
        ("art-5-1-c", True),
        ("art-53-1-a", False),
        ("art-53-1-b", False),
        ("art-53-1-c", False),
        ("art-53-1-d", False),
    ]


def test_art_50_obligations_follow_the_organisation_role() -> None:
    # given: deployer of a deep-fake generator and provider of a chatbot at once
    data = {
        "roles": ["provider", "deployer"],
        "art_50": {
            "interacts_with_natural_persons": True,
            "generates_deep_fake": True,
            "publishes_public_interest_text": True,
        },
    }

    # when
    result = _classify(data, as_of=date(2026, 8, 1))

    # then
    assert [o.id for o in result.obligations_for(Role.PROVIDER) if o.id.startswith("art-50")] == ["art-50-1"]
    assert [o.id for o in result.obligations_for(Role.DEPLOYER) if o.id.startswith("art-50")] == [
        "art-50-4-deep-fake",
        "art-50-4-text",
    ]
    assert not any(o.in_force_on_as_of for o in result.obligations if o.id.startswith("art-50"))
