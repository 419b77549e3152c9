"""Fully answered questionnaires for tests (pure Python, no Django)."""

from __future__ import annotations

from typing import Any

from governance.classification import Facts, facts_to_dict

#: questions that are not yes/no: left unanswered (``None``) unless a test sets them
NOT_YES_NO = ("act", "realtime_rbi_objective", "training_compute_flop", "placed_on_market_on")


def all_answered(*, roles: list[str] | None = None, **answers: dict[str, Any]) -> dict[str, Any]:
    """Every yes/no question answered "no" (it *is* an AI system), no Annex III point, not on the market; then
    ``answers`` (per section) on top, so the classification is complete unless a test leaves something open."""
    data = facts_to_dict(Facts())
    for section, questions in data.items():
        if isinstance(questions, dict):
            for name, value in questions.items():
                if value is None and name not in NOT_YES_NO:
                    questions[name] = False
            data[section] = {**questions, **answers.get(section, {})}
    data["scope"]["is_ai_system"] = answers.get("scope", {}).get("is_ai_system", True)
    data["annex_iii"]["points"] = answers.get("annex_iii", {}).get("points", [])
    data["roles"] = roles if roles is not None else ["deployer"]
    return data
