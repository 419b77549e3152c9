"""Table tests for the errors a legal review of the EU AI Act engine found (issue 16, points 1-5 and 7).

Each table row failed on the engine before the fix: personal use dropping provider duties (Art. 2(10)), bans not yet
in force making a system prohibited (Art. 5 / Art. 113), prohibitions hiding GPAI duties (Arts. 53-55), registration
(Arts. 26(8), 49(3)-(5)), provider-side Art. 50 duties invisible to deployers, Art. 50(2)/(4) exceptions and Art. 111.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from governance.classification import ClassificationResult, Outcome, RiskClass, classify, facts_from_dict
from governance.classification.facts import Role
from governance.classification.law import get_law_version

V2024 = "eu-ai-act-2024"
V2026 = "eu-ai-act-2026"


def _classify(data: dict[str, Any], law_version: str = V2024, as_of: date = date(2028, 9, 1)) -> ClassificationResult:
    return classify(facts_from_dict(data), law_version=law_version, as_of=as_of)


def _ids(result: ClassificationResult) -> set[str]:
    return {o.id for o in result.obligations}


def _step(result: ClassificationResult, provision: str) -> tuple[Outcome, str]:
    step = next(s for s in result.rationale if s.provision == provision)
    return step.outcome, step.reason


# ------------------------------------------------------------------------------------------- 1. Art. 2(10)


@pytest.mark.parametrize(
    ("roles", "extra", "natural_person", "expected_class", "present", "absent"),
    [
        # a provider of a consumer chatbot keeps its Art. 50(1) duty whatever the users do
        (
            ["provider"],
            {"art_50": {"interacts_with_natural_persons": True}},
            True,
            RiskClass.LIMITED,
            {"art-50-1"},
            set(),
        ),
        # a provider of a credit scorer keeps the high-risk duties
        (["provider"], {"annex_iii": {"points": ["5b"]}}, True, RiskClass.HIGH, {"art-9", "art-49-1"}, set()),
        # provider and natural-person deployer at once: only the deployer's duties go
        (["provider", "deployer"], {"annex_iii": {"points": ["5b"]}}, True, RiskClass.HIGH, {"art-9"}, {"art-26"}),
        # a deployer that is not a natural person keeps its duties
        (["deployer"], {"annex_iii": {"points": ["5b"]}}, False, RiskClass.HIGH, {"art-26", "art-27"}, set()),
        # a natural person using it purely personally: out of scope
        (["deployer"], {"annex_iii": {"points": ["5b"]}}, True, RiskClass.OUT_OF_SCOPE, set(), {"art-26", "art-4"}),
    ],
)
def test_personal_use_excludes_only_natural_person_deployers(
    roles: list[str],
    extra: dict[str, Any],
    natural_person: bool,
    expected_class: RiskClass,
    present: set[str],
    absent: set[str],
) -> None:
    # given
    data = {
        "roles": roles,
        "scope": {"personal_non_professional_use": True},
        "deployer": {"natural_person": natural_person},
        **extra,
    }

    # when
    result = _classify(data)

    # then
    assert result.risk_class is expected_class
    assert present <= _ids(result)
    assert not absent & _ids(result)
    if natural_person and "provider" in roles:
        assert result.effective_roles == (Role.PROVIDER,)


def test_personal_use_with_an_unknown_natural_person_answer_is_an_open_question() -> None:
    # given
    data = {"roles": ["deployer"], "scope": {"personal_non_professional_use": True}, "annex_iii": {"points": []}}

    # when
    result = _classify(data)

    # then: nothing is dropped, and the answer that would drop it is asked
    assert result.risk_class is not RiskClass.OUT_OF_SCOPE
    assert _step(result, "Art. 2(10)")[0] is Outcome.OPEN
    question = next(q for q in result.open_questions if q.question == "deployer.natural_person")
    assert (question.answer, question.risk_class) == ("yes", RiskClass.OUT_OF_SCOPE)


# ------------------------------------------------------------------------------- 2. bans not yet in force


@pytest.mark.parametrize(
    ("law_version", "art_5", "as_of", "prohibited"),
    [
        (V2026, {"non_consensual_intimate_imagery": True}, date(2026, 11, 28), False),
        (V2026, {"non_consensual_intimate_imagery": True}, date(2026, 12, 2), True),
        (V2026, {"child_sexual_abuse_material": True}, date(2026, 12, 1), False),
        (V2024, {"social_scoring": True}, date(2025, 2, 1), False),
        (V2024, {"social_scoring": True}, date(2025, 2, 2), True),
    ],
)
def test_a_ban_not_yet_in_force_is_listed_but_the_system_is_classified_on_the_rest(
    law_version: str, art_5: dict[str, bool], as_of: date, prohibited: bool
) -> None:
    # given: a deep-fake tool that would also hit Art. 5
    data = {"roles": ["deployer"], "art_5": art_5, "art_50": {"generates_deep_fake": True}}

    # when
    result = _classify(data, law_version, as_of)

    # then
    ban = result.obligations[0]
    assert ban.id.startswith("art-5-1-")
    assert ban.in_force_on_as_of is prohibited
    if prohibited:
        assert result.risk_class is RiskClass.PROHIBITED
        assert result.pending_prohibited_practices == ()
    else:
        assert result.risk_class is RiskClass.LIMITED
        assert result.prohibited_practices == ()
        assert result.pending_prohibited_practices == (ban.article,)
        assert "art-50-4-deep-fake" in _ids(result)
        assert _step(result, ban.article)[0] is Outcome.NOT_APPLICABLE


# -------------------------------------------------------------------------- 3. GPAI duties next to a ban


def test_a_systemic_gpai_model_provider_keeps_arts_52_and_55_when_the_system_is_prohibited() -> None:
    # given
    data = {
        "roles": ["provider"],
        "art_5": {"manipulative_or_deceptive_techniques": True},
        "gpai": {"is_gpai_model": True, "training_compute_flop": 3e25},
    }

    # when
    result = _classify(data)

    # then
    assert result.risk_class is RiskClass.PROHIBITED
    assert {"art-5-1-a", "art-52-1", "art-53-1-a", "art-55-1-a", "art-55-1-d"} <= _ids(result)
    assert "art-4" not in _ids(result)


# ------------------------------------------------------------------------------------------ 4. registration


@pytest.mark.parametrize(
    ("roles", "point", "public_body", "present", "absent"),
    [
        # Annex III point 2: no Art. 26(8)/49(3) registration of use, no EU database; national registration (49(5))
        (["deployer"], "2", True, set(), {"art-26-8", "art-49-4"}),
        (["provider"], "2", None, {"art-49-5"}, {"art-49-1", "art-49-4"}),
        # other points: public deployers register their use
        (["deployer"], "5a", True, {"art-26-8"}, {"art-49-4", "art-49-5"}),
        (["deployer"], "5a", False, set(), {"art-26-8"}),
        # law enforcement, migration: the secure non-public section (49(4))
        (["provider"], "6a", None, {"art-49-1", "art-49-4"}, {"art-49-5"}),
        (["deployer"], "7b", True, {"art-26-8", "art-49-4"}, set()),
        (["provider"], "4a", None, {"art-49-1"}, {"art-49-4", "art-49-5"}),
    ],
)
def test_registration_follows_art_49_3_to_5(
    roles: list[str], point: str, public_body: bool | None, present: set[str], absent: set[str]
) -> None:
    # given
    data = {"roles": roles, "annex_iii": {"points": [point]}, "deployer": {"public_body": public_body}}

    # when
    result = _classify(data)

    # then
    assert present <= _ids(result)
    assert not absent & _ids(result)


# ------------------------------------------------------------------------ 5. provider-side Art. 50 duties


@pytest.mark.parametrize(
    ("roles", "art_50", "expected_note"),
    [
        (["deployer"], {"interacts_with_natural_persons": True}, "Art. 50(1) is the provider's duty"),
        (["deployer"], {"generates_synthetic_content": True}, "Art. 50(2) is the provider's duty"),
        (["provider", "deployer"], {"interacts_with_natural_persons": True}, None),
    ],
)
def test_a_deployer_is_told_about_the_providers_art_50_duties(
    roles: list[str], art_50: dict[str, bool], expected_note: str | None
) -> None:
    # given
    data = {"roles": roles, "art_50": art_50}

    # when
    result = _classify(data)

    # then
    provider_notes = [n for n in result.notes if "is the provider's duty" in n]
    if expected_note is None:
        assert provider_notes == []
    else:
        assert any(n.startswith(expected_note) for n in provider_notes)
        assert result.risk_class is RiskClass.LIMITED


# ---------------------------------------------------------------------- 7. Art. 50 exceptions and guidance


def test_an_evidently_artistic_deep_fake_gets_the_lighter_disclosure() -> None:
    # given
    art_50 = {"generates_deep_fake": True, "evidently_artistic_creative_satirical_fictional": True}

    # when
    result = _classify({"roles": ["deployer"], "art_50": art_50})

    # then
    assert "art-50-4-deep-fake-artistic" in _ids(result)
    assert "art-50-4-deep-fake" not in _ids(result)


def test_assistive_editing_is_excepted_from_the_marking_duty() -> None:
    # given
    art_50 = {"generates_synthetic_content": True, "assistive_editing_only": True}

    # when
    result = _classify({"roles": ["provider"], "art_50": art_50})

    # then
    assert "art-50-2" not in _ids(result)
    assert _step(result, "Art. 50(2)")[0] is Outcome.EXCEPTED


def test_the_art_5_1_d_exception_points_to_annex_iii_6_d() -> None:
    # given
    art_5 = {"crime_prediction_solely_profiling": True, "crime_prediction_supports_human_assessment": True}

    # when
    result = _classify({"roles": ["provider"], "art_5": art_5})

    # then
    assert result.risk_class is not RiskClass.PROHIBITED
    assert any("Annex III 6(d)" in n for n in result.notes)


def test_a_minimal_result_says_what_was_checked() -> None:
    # when
    result = _classify({"roles": ["deployer"], "annex_iii": {"points": []}})

    # then
    outcome, reason = _step(result, "Art. 6, Art. 50")
    assert outcome is Outcome.DECIDED
    assert "no Art. 5 practice" in reason
    assert "Art. 4" in reason


def test_the_2026_art_4_note_is_not_repeated() -> None:
    # when
    result = _classify({"roles": ["deployer"], "annex_iii": {"points": []}}, V2026)

    # then
    art_4 = result.obligation("art-4")
    assert art_4 is not None
    assert art_4.note.count("Official Journal") == 1
    assert "Softened by the Omnibus (check)" not in art_4.note


# --------------------------------------------------------------------------------------------- 7. Art. 111


HIGH_RISK_PROVIDER: dict[str, Any] = {"roles": ["provider"], "annex_iii": {"points": ["4a"]}}


@pytest.mark.parametrize(
    ("law_version", "transition", "art_9_from", "step"),
    [
        # on the market before 2 Aug 2026 and unchanged: the high-risk duties wait for a design change
        (V2024, {"already_on_market": True, "placed_on_market_on": "2025-01-01"}, None, "Art. 111(2)"),
        (
            V2024,
            {"already_on_market": True, "placed_on_market_on": "2025-01-01", "significant_design_change": True},
            date(2026, 8, 2),
            "Art. 111(2)",
        ),
        (
            V2024,
            {"already_on_market": True, "placed_on_market_on": "2025-01-01", "intended_for_public_authorities": True},
            date(2030, 8, 2),
            "Art. 111(2)",
        ),
        # placed after the cut-off: a new system
        (V2024, {"already_on_market": True, "placed_on_market_on": "2027-01-01"}, date(2026, 8, 2), None),
        # as amended in 2026 the cut-off is the Annex III date (2 Dec 2027)
        (V2026, {"already_on_market": True, "placed_on_market_on": "2027-01-01"}, None, "Art. 111(2)"),
        # Annex X large-scale IT components: 31 Dec 2030
        (
            V2024,
            {"already_on_market": True, "placed_on_market_on": "2025-01-01", "annex_x_large_scale_it_component": True},
            date(2030, 12, 31),
            "Art. 111(1)",
        ),
        (V2024, {"already_on_market": False}, date(2026, 8, 2), None),
    ],
)
def test_art_111_transitional_rules_for_high_risk_systems(
    law_version: str, transition: dict[str, Any], art_9_from: date | None, step: str | None
) -> None:
    # given
    data = {**HIGH_RISK_PROVIDER, "transition": transition}

    # when
    result = _classify(data, law_version)

    # then
    assert result.risk_class is RiskClass.HIGH
    art_9 = result.obligation("art-9")
    if art_9_from is None:
        assert art_9 is None
        assert "art-4" in _ids(result)
    else:
        assert art_9 is not None
        assert art_9.applies_from == art_9_from
    if step is not None:
        assert step in [s.provision for s in result.rationale]


@pytest.mark.parametrize(
    ("placed", "art_53_from"),
    [("2025-01-01", date(2027, 8, 2)), ("2025-09-01", date(2025, 8, 2))],
)
def test_art_111_3_gpai_models_already_on_the_market(placed: str, art_53_from: date) -> None:
    # given
    data = {"roles": ["provider"], "gpai": {"is_gpai_model": True}, "transition": {"placed_on_market_on": placed}}

    # when
    result = _classify(data)

    # then
    art_53 = result.obligation("art-53-1-c")
    assert art_53 is not None
    assert art_53.applies_from == art_53_from


@pytest.mark.parametrize(
    ("law_version", "placed", "art_50_2_from"),
    [
        (V2024, "2026-01-01", date(2026, 8, 2)),
        (V2026, "2026-01-01", date(2026, 12, 2)),
        (V2026, "2026-09-01", date(2026, 8, 2)),
    ],
)
def test_art_111_4_marking_grace_period_exists_only_as_amended(
    law_version: str, placed: str, art_50_2_from: date
) -> None:
    # given
    data = {
        "roles": ["provider"],
        "art_50": {"generates_synthetic_content": True},
        "transition": {"placed_on_market_on": placed},
    }

    # when
    result = _classify(data, law_version)

    # then
    marking = result.obligation("art-50-2")
    assert marking is not None
    assert marking.applies_from == art_50_2_from


# ----------------------------------------------------------------------------------- the 2026 amendment


def test_the_2026_version_carries_the_amendment_as_reported() -> None:
    # given
    law = get_law_version(V2026)

    # when
    derogated = _classify(
        {"roles": ["provider"], "annex_iii": {"points": ["4a"]}, "art_6_3": {"narrow_procedural_task": True}}, V2026
    )
    deployer = _classify({"roles": ["deployer"], "annex_iii": {"points": ["4a"]}}, V2026)

    # then: registration of Art. 6(3) systems is kept (only the proposal dropped it), with the source said
    registration = derogated.obligation("art-49-2")
    assert registration is not None
    assert registration.verified is False
    assert "Commission proposal dropped" in registration.note
    # Art. 4 is an effort duty, from the same date
    art_4 = deployer.obligation("art-4")
    assert art_4 is not None
    assert art_4.duty.startswith("Take measures to support")
    assert art_4.applies_from == date(2025, 2, 2)
    # fixed, moved high-risk dates, penalties for small mid-caps in the notes
    art_26 = deployer.obligation("art-26")
    assert art_26 is not None
    assert art_26.applies_from == date(2027, 12, 2)
    assert "Amended by the 2026 Digital Omnibus" in art_26.note
    assert any("small mid-caps" in n for n in deployer.notes)
    assert law.adopted == date(2026, 6, 29)
