"""Tests of the versioned law data, result serialisation and diff_results (``reclassify --dry-run``)."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from typing import Any

import pytest

from governance.classification import (
    ClassificationResult,
    Facts,
    RiskClass,
    UnknownLawVersion,
    classify,
    diff_results,
    facts_from_dict,
    facts_to_dict,
    get_law_version,
    list_law_versions,
    result_from_dict,
    result_to_dict,
)
from governance.classification.law import Milestone

V2024 = "eu-ai-act-2024"
V2026 = "eu-ai-act-2026"


def _classify(data: dict[str, Any], law_version: str = V2024, as_of: date = date(2026, 9, 1)) -> ClassificationResult:
    return classify(facts_from_dict(data), law_version=law_version, as_of=as_of)


def test_list_law_versions_names_both_versions_oldest_first() -> None:
    # when / then
    assert list_law_versions() == (V2024, V2026)


@pytest.mark.parametrize(
    ("law_version", "milestone", "applies_from", "verified"),
    [
        (V2024, Milestone.PROHIBITIONS, date(2025, 2, 2), True),
        (V2024, Milestone.AI_LITERACY, date(2025, 2, 2), True),
        (V2024, Milestone.GPAI, date(2025, 8, 2), True),
        (V2024, Milestone.TRANSPARENCY, date(2026, 8, 2), True),
        (V2024, Milestone.HIGH_RISK_ANNEX_III, date(2026, 8, 2), True),
        (V2024, Milestone.HIGH_RISK_ANNEX_I, date(2027, 8, 2), True),
        (V2024, Milestone.PUBLIC_AUTHORITY_LEGACY, date(2030, 8, 2), True),
        (V2026, Milestone.HIGH_RISK_ANNEX_III, date(2027, 12, 2), False),
        (V2026, Milestone.HIGH_RISK_ANNEX_I, date(2028, 8, 2), False),
        (V2026, Milestone.TRANSPARENCY, date(2026, 8, 2), False),
        (V2026, Milestone.GPAI, date(2025, 8, 2), False),
    ],
)
def test_law_versions_carry_dated_milestones(
    law_version: str, milestone: Milestone, applies_from: date, verified: bool
) -> None:
    # when
    dated = get_law_version(law_version).milestone_date(milestone)

    # then
    assert dated.applies_from == applies_from
    assert dated.verified is verified
    assert bool(dated.note) is not verified


def test_law_version_identity_and_unverified_omnibus() -> None:
    # when
    v2024, v2026 = get_law_version(V2024), get_law_version(V2026)

    # then
    assert (v2024.adopted, v2024.published, v2024.entry_into_force) == (
        date(2024, 6, 13),
        date(2024, 7, 12),
        date(2024, 8, 1),
    )
    assert v2024.verified is True
    assert v2026.verified is False
    assert v2026.entry_into_force == date(2026, 7, 27)
    assert v2026.notes
    assert [p.provision for p in v2026.prohibited_practices if not p.verified] == ["Art. 5(1)(ba)", "Art. 5(1)(bb)"]
    assert not get_law_version(V2026).obligations[0].verified
    unique_ids = {rule.id for rule in v2024.obligations}
    assert len(unique_ids) == len(v2024.obligations)


def test_unknown_law_version_is_rejected_with_the_known_ids() -> None:
    # when
    with pytest.raises(UnknownLawVersion) as excinfo:
        _classify({}, "eu-ai-act-1999")

    # then
    assert V2024 in str(excinfo.value)


def test_result_to_dict_is_json_serialisable() -> None:
    # given
    result = _classify({"roles": ["provider"], "annex_iii": {"points": ["4a"]}})

    # when
    data = result_to_dict(result)

    # then
    text = json.dumps(data)
    assert data["risk_class"] == "high"
    assert data["as_of"] == "2026-09-01"
    art_73 = next(o for o in data["obligations"] if o["id"] == "art-73")
    assert "15 days" in art_73["deadline_text"]
    assert art_73["periods"][0]["days"] == 15
    assert data["rationale"][0]["outcome"] == "matched"
    assert "Annex III 4(a)" in text


def test_diff_shows_moved_high_risk_dates_between_law_versions() -> None:
    # given
    data = {"roles": ["provider", "deployer"], "annex_iii": {"points": ["4a"]}}
    old = _classify(data, V2024)
    new = _classify(data, V2026)

    # when
    diff = diff_results(old, new)

    # then
    assert diff["changed"] is True
    assert diff["risk_class"] is None
    assert diff["law_version"] == {"old": V2024, "new": V2026}
    art_9 = next(c for c in diff["obligations_changed"] if c["id"] == "art-9")
    assert art_9["changes"]["applies_from"] == {"old": "2026-08-02", "new": "2027-12-02"}
    assert art_9["changes"]["in_force_on_as_of"] == {"old": True, "new": False}
    assert art_9["changes"]["verified"] == {"old": True, "new": False}
    json.dumps(diff)


@pytest.mark.parametrize(
    ("old_data", "new_data", "expected"),
    [
        (
            {"roles": ["deployer"], "annex_iii": {"points": ["5b"]}},
            {"roles": ["deployer"], "annex_iii": {"points": ["5b"], "carve_outs": ["financial_fraud_detection"]}},
            {
                "risk_class": {"old": "high", "new": "minimal"},
                "flags": {"fria_required": {"old": True, "new": False}},
                "removed": {"art-26", "art-26-6", "art-26-11", "art-27", "art-86"},
                "added": set(),
            },
        ),
        (
            {"roles": ["deployer"], "annex_iii": {"points": ["3b"]}},
            {"roles": ["deployer"], "annex_iii": {"points": ["3b"]}, "art_25": {"substantial_modification": True}},
            {
                "risk_class": None,
                "flags": {},
                "roles_added": ["provider"],
                "added": {"art-9", "art-73"},
                "removed": set(),
            },
        ),
        (
            {"roles": ["provider"], "gpai": {"is_gpai_model": True, "training_compute_flop": 1e24}},
            {"roles": ["provider"], "gpai": {"is_gpai_model": True, "training_compute_flop": 2e25}},
            {
                "risk_class": None,
                "flags": {"gpai_systemic_risk": {"old": False, "new": True}},
                "added": {"art-52-1", "art-55-1-a"},
                "removed": set(),
            },
        ),
    ],
)
def test_diff_reports_class_flags_roles_and_obligations(
    old_data: dict[str, Any], new_data: dict[str, Any], expected: dict[str, Any]
) -> None:
    # given
    old, new = _classify(old_data), _classify(new_data)

    # when
    diff = diff_results(old, new)

    # then
    assert diff["changed"] is True
    assert diff["risk_class"] == expected["risk_class"]
    assert diff["flags"] == expected["flags"]
    assert diff["effective_roles"]["added"] == expected.get("roles_added", [])
    assert expected["added"] <= {o["id"] for o in diff["obligations_added"]}
    assert expected["removed"] <= {o["id"] for o in diff["obligations_removed"]}


def test_diff_of_identical_results_reports_no_change() -> None:
    # given
    result = _classify({"roles": ["provider"], "art_50": {"generates_synthetic_content": True}})

    # when
    diff = diff_results(result, result)

    # then
    assert diff["changed"] is False
    assert diff["obligations_changed"] == []


def test_diff_reports_periods_and_removed_roles() -> None:
    # given: same class, the organisation no longer also deploys
    old = _classify({"roles": ["provider", "deployer"], "annex_iii": {"points": ["4a"]}})
    new = _classify({"roles": ["provider"], "annex_iii": {"points": ["4a"]}})
    art_73_shortened = tuple(
        dataclasses.replace(o, periods=o.periods[:1]) if o.id == "art-73" else o for o in new.obligations
    )
    tweaked = dataclasses.replace(new, obligations=art_73_shortened)

    # when
    diff = diff_results(old, tweaked)

    # then
    assert diff["effective_roles"]["removed"] == ["deployer"]
    changed = next(c for c in diff["obligations_changed"] if c["id"] == "art-73")
    assert len(changed["changes"]["periods"]["old"]) == 3
    assert len(changed["changes"]["periods"]["new"]) == 1
    assert new.is_high_risk and new.risk_class is RiskClass.HIGH


@pytest.mark.parametrize(
    "data",
    [
        {"roles": ["provider", "deployer"], "annex_iii": {"points": ["5b"]},
         "art_6_3": {"profiles_natural_persons": True},
         "art_50": {"interacts_with_natural_persons": True}, "deployer": {"public_body": True}},
        {"roles": ["deployer"], "annex_iii": {"points": ["4a"]}, "art_25": {"substantial_modification": True}},
        {"roles": ["provider"], "gpai": {"is_gpai_model": True, "training_compute_flop": 3e25}},
        {"roles": ["deployer"], "art_5": {"social_scoring": True}},
    ],
)  # fmt: skip
def test_result_round_trips_through_its_dict(data: dict[str, Any]) -> None:
    # given
    result = classify(facts_from_dict(data), law_version="eu-ai-act-2026", as_of=date(2027, 1, 1))
    # when
    rebuilt = result_from_dict(json.loads(json.dumps(result_to_dict(result))))
    # then
    assert rebuilt == result
    assert diff_results(rebuilt, result)["changed"] is False


def test_diff_reports_a_classification_that_became_incomplete() -> None:
    # given: a fully answered chatbot, then the same with its Annex III answer withdrawn
    answered = facts_to_dict(Facts())
    for section in answered.values():
        if isinstance(section, dict):
            for name, value in section.items():
                if value is None and name not in ("act", "realtime_rbi_objective", "training_compute_flop"):
                    section[name] = name == "is_ai_system"
    answered |= {"roles": ["provider"]}
    answered["annex_iii"]["points"] = []
    answered["transition"]["placed_on_market_on"] = None
    answered["art_50"]["interacts_with_natural_persons"] = True
    withdrawn = json.loads(json.dumps(answered))
    withdrawn["annex_iii"]["points"] = None

    # when
    old, new = _classify(answered), _classify(withdrawn)
    diff = diff_results(old, new)

    # then
    assert diff["flags"]["status"] == {"old": "complete", "new": "incomplete"}
    assert diff["risk_class"] is None
    assert diff["changed"] is True
    assert json.loads(json.dumps(diff)) == diff
