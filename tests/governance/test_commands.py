"""Commands: reclassify (diff, dry run) and classify --json (no database)."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from governance.models import ClassificationRecord
from governance.services import ai_system_classify
from tests.governance.factories import HIGH_RISK_FACTS, AISystemFactory


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.mark.django_db
def test_reclassify_dry_run_prints_the_diff_and_stores_nothing(alice: Any) -> None:
    # given
    system = AISystemFactory(name="CV ranker", facts=HIGH_RISK_FACTS)
    ai_system_classify(system=system, actor=alice, law_version="eu-ai-act-2024")
    AISystemFactory(name="Never classified")
    # when
    out = _run("reclassify", "--law", "eu-ai-act-2026", "--as-of", "2026-11-01", "--dry-run")
    # then
    assert "CV ranker: changed" in out
    assert "applies_from: 2026-08-02 → 2027-12-02" in out
    assert "Never classified: first classification → minimal" in out
    assert "2 system(s), 2 changed (dry run, nothing stored)." in out
    assert ClassificationRecord.objects.count() == 1


@pytest.mark.django_db
def test_reclassify_stores_records_and_a_second_run_reports_no_change(alice: Any) -> None:
    # given
    AISystemFactory(name="CV ranker", facts=HIGH_RISK_FACTS)
    # when
    _run("reclassify", "--law", "eu-ai-act-2026", "--as-of", "2026-11-01")
    again = _run("reclassify", "--law", "eu-ai-act-2026", "--as-of", "2026-11-01", "--json")
    # then
    assert ClassificationRecord.objects.count() == 2
    payload = json.loads(again)
    assert payload[0]["system"] == "CV ranker"
    assert payload[0]["diff"]["changed"] is False


def test_reclassify_rejects_unknown_law() -> None:
    # when / then
    with pytest.raises(CommandError):
        _run("reclassify", "--law", "eu-ai-act-1999")


def test_classify_command_prints_json_without_the_database(tmp_path: Path) -> None:
    # given: no django_db mark, so any query would fail the test
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps({"roles": ["deployer"], **HIGH_RISK_FACTS}))
    # when
    out = _run("classify", "--facts", str(facts), "--law", "eu-ai-act-2024", "--as-of", "2026-09-01", "--json")
    # then
    result = json.loads(out)
    assert result["risk_class"] == "high"
    assert result["law_version"] == "eu-ai-act-2024"
    assert "Art. 6(2) + Annex III 4(a)" in result["high_risk_routes"]
    art_26 = [o for o in result["obligations"] if o["article"].startswith("Art. 26")]
    assert art_26 and art_26[0]["applies_from"] == "2026-08-02"


def test_classify_command_text_output(tmp_path: Path) -> None:
    # given
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps({"roles": ["deployer"], "art_5": {"social_scoring": True}}))
    # when
    out = _run("classify", "--facts", str(facts), "--as-of", "2026-09-01")
    # then
    assert out.startswith("Risk class: prohibited (eu-ai-act-2026")
    assert "Art. 5(1)(c)" in out


def test_classify_command_json_prints_the_status_and_the_open_questions(tmp_path: Path) -> None:
    # given: a chatbot with the Annex III answer missing
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps({"roles": ["provider"], "art_50": {"interacts_with_natural_persons": True}}))
    # when
    result = json.loads(_run("classify", "--facts", str(facts), "--as-of", "2026-09-01", "--json"))
    # then
    assert result["status"] == "incomplete"
    assert result["summary"].startswith("limited as answered")
    points = next(q for q in result["open_questions"] if q["question"] == "annex_iii.points")
    assert points["risk_class"] == "high"
    assert "art-9" in points["obligations_added"]


def test_classify_command_text_output_shows_status_flags_questions_and_notes(tmp_path: Path) -> None:
    # given: a public-body deployer of a credit scorer, with the Art. 111 question unanswered
    facts = tmp_path / "facts.json"
    facts.write_text(
        json.dumps({"roles": ["deployer"], "annex_iii": {"points": ["5b"]}, "deployer": {"public_body": True}})
    )
    # when
    out = _run("classify", "--facts", str(facts), "--law", "eu-ai-act-2026", "--as-of", "2026-09-01")
    # then
    assert "Status: incomplete - high as answered; " in out
    assert "Flags: FRIA required (Art. 27)" in out
    assert "Open questions (each answered alone):" in out
    assert "transition.placed_on_market_on = already on the market" in out
    assert "Notes:\n  - " in out
    assert "(not yet in force)" in out


def test_classify_command_complete_facts_say_so(tmp_path: Path) -> None:
    # given: every question answered
    from governance.classification import Facts, facts_to_dict

    data = facts_to_dict(Facts())
    for section in data.values():
        if isinstance(section, dict):
            for name, value in section.items():
                if value is None and name not in ("act", "realtime_rbi_objective", "training_compute_flop"):
                    section[name] = False
    data["scope"]["is_ai_system"] = True
    data["annex_iii"]["points"] = []
    data["transition"]["placed_on_market_on"] = None
    data["roles"] = ["deployer"]
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps(data))
    # when
    out = _run("classify", "--facts", str(facts), "--as-of", "2026-09-01")
    # then
    assert "Status: complete\n" in out
    assert "Open questions" not in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "cannot read facts"),
        ('{"art_5": {"social_scoring": 1}}', "invalid facts"),
        ("[]", "JSON object"),
        (
            '{"scope": {"is_ai_system": false}, "annex_iii": {"points": ["1c"]}}',
            "scope.is_ai_system is 'no' but annex_iii.points is 'includes 1c'",
        ),
    ],
)
def test_classify_command_reports_bad_input(tmp_path: Path, content: str, message: str) -> None:
    # given
    facts = tmp_path / "facts.json"
    facts.write_text(content)
    # when / then
    with pytest.raises(CommandError, match=message):
        _run("classify", "--facts", str(facts), "--json")
