"""Classification result: frozen dataclasses returned by :func:`governance.classification.engine.classify`.

Risk classes follow the EU AI Act structure (Art. 5 prohibited, Arts. 6-49 high, Art. 50 limited, otherwise minimal).
``out_of_scope`` is modelled as a fifth risk class rather than a separate flag, so a consumer cannot mistake an
excluded system for a minimal-risk one: it is produced by the Art. 2 exclusions, by Art. 3(1) (not an AI system) and
by Art. 2(12) (free and open-source, not high-risk and not under Art. 5 or Art. 50). It concerns the AI-system regime;
the GPAI *model* flags and obligations (Arts. 51-55) are reported alongside and may still be set.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass
from datetime import date
from typing import Any

from governance.classification.facts import AnnexIIIPoint, Role
from governance.classification.law import Period

__all__ = [
    "ApplicableObligation",
    "ClassificationResult",
    "Outcome",
    "RationaleStep",
    "RiskClass",
    "RoleChange",
    "result_from_dict",
    "result_to_dict",
]


class RiskClass(enum.StrEnum):
    """Risk class of an AI system under the EU AI Act (Art. 5, Art. 6, Art. 50) plus ``out_of_scope`` (Art. 2)."""

    PROHIBITED = "prohibited"
    HIGH = "high"
    LIMITED = "limited"
    MINIMAL = "minimal"
    OUT_OF_SCOPE = "out_of_scope"


class Outcome(enum.StrEnum):
    """What a provision did in a rationale step."""

    MATCHED = "matched"
    EXCEPTED = "excepted"
    DEROGATED = "derogated"
    NOT_APPLICABLE = "not_applicable"
    ROLE_CHANGED = "role_changed"
    DECIDED = "decided"


@dataclass(frozen=True)
class RationaleStep:
    """One step of the explanation: a provision (e.g. ``"Art. 5(1)(f)"``), its outcome, a plain-language reason and
    the fact paths (e.g. ``"art_5.emotion_recognition_workplace_or_education"``) that triggered it."""

    provision: str
    outcome: Outcome
    reason: str
    facts: tuple[str, ...] = ()


@dataclass(frozen=True)
class RoleChange:
    """An Art. 25 role change: the organisation is considered the provider of a high-risk system."""

    from_roles: tuple[Role, ...]
    to_role: Role
    provision: str
    reason: str


@dataclass(frozen=True)
class ApplicableObligation:
    """An obligation that applies to the organisation, resolved against a law version and an as-of date."""

    id: str
    article: str
    duty: str
    roles: tuple[Role, ...]
    applies_from: date
    in_force_on_as_of: bool
    periods: tuple[Period, ...] = ()
    verified: bool = True
    note: str = ""

    @property
    def deadline_text(self) -> str:
        """All deadline/retention periods as one line (empty if none)."""
        return "; ".join(f"{p.label}: {p.text}" for p in self.periods)


@dataclass(frozen=True)
class ClassificationResult:
    """Outcome of classifying one system's facts under one law version at one as-of date (EU AI Act Arts. 2-55).

    ``high_risk_routes`` cites the matching routes (``"Art. 6(1) + Annex I"``, ``"Art. 6(2) + Annex III 4(a)"``);
    ``transparency_duties`` lists the Art. 50 paragraphs that apply (they stack on high risk); ``notes`` collects
    caveats such as unverified law data used for this result.
    """

    law_version: str
    as_of: date
    risk_class: RiskClass
    prohibited_practices: tuple[str, ...]
    high_risk_routes: tuple[str, ...]
    annex_iii_points: tuple[AnnexIIIPoint, ...]
    transparency_duties: tuple[str, ...]
    is_gpai_model: bool
    gpai_systemic_risk: bool
    declared_roles: tuple[Role, ...]
    effective_roles: tuple[Role, ...]
    role_changes: tuple[RoleChange, ...]
    obligations: tuple[ApplicableObligation, ...]
    fria_required: bool
    art_6_3_derogation_applied: bool
    art_6_3_derogation_record_required: bool
    rationale: tuple[RationaleStep, ...]
    notes: tuple[str, ...] = ()

    @property
    def is_high_risk(self) -> bool:
        """True when the system is high-risk (Art. 6)."""
        return self.risk_class is RiskClass.HIGH

    def obligations_for(self, role: Role) -> tuple[ApplicableObligation, ...]:
        """Obligations that apply to the organisation in ``role``."""
        return tuple(o for o in self.obligations if role in o.roles)

    def obligation(self, obligation_id: str) -> ApplicableObligation | None:
        """The obligation with catalogue id ``obligation_id`` (e.g. ``"art-73"``), or None."""
        return next((o for o in self.obligations if o.id == obligation_id), None)


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return value


def result_to_dict(result: ClassificationResult) -> dict[str, Any]:
    """Serialise a result to JSON-compatible data (dates as ISO strings, enums as values) for storage and the API."""
    data: dict[str, Any] = _jsonable(result)
    for obligation, raw in zip(result.obligations, data["obligations"], strict=True):
        raw["deadline_text"] = obligation.deadline_text
    return data


def result_from_dict(data: dict[str, Any]) -> ClassificationResult:
    """Rebuild a result from :func:`result_to_dict` output (e.g. a stored classification record), so a new run can
    be diffed against what was actually recorded rather than against a re-computation."""

    def day(value: str) -> date:
        return date.fromisoformat(value)

    def roles(values: list[str]) -> tuple[Role, ...]:
        return tuple(Role(v) for v in values)

    return ClassificationResult(
        law_version=data["law_version"],
        as_of=day(data["as_of"]),
        risk_class=RiskClass(data["risk_class"]),
        prohibited_practices=tuple(data["prohibited_practices"]),
        high_risk_routes=tuple(data["high_risk_routes"]),
        annex_iii_points=tuple(AnnexIIIPoint(p) for p in data["annex_iii_points"]),
        transparency_duties=tuple(data["transparency_duties"]),
        is_gpai_model=data["is_gpai_model"],
        gpai_systemic_risk=data["gpai_systemic_risk"],
        declared_roles=roles(data["declared_roles"]),
        effective_roles=roles(data["effective_roles"]),
        role_changes=tuple(
            RoleChange(
                from_roles=roles(rc["from_roles"]),
                to_role=Role(rc["to_role"]),
                provision=rc["provision"],
                reason=rc["reason"],
            )
            for rc in data["role_changes"]
        ),
        obligations=tuple(
            ApplicableObligation(
                id=o["id"],
                article=o["article"],
                duty=o["duty"],
                roles=roles(o["roles"]),
                applies_from=day(o["applies_from"]),
                in_force_on_as_of=o["in_force_on_as_of"],
                periods=tuple(Period(**p) for p in o["periods"]),
                verified=o["verified"],
                note=o["note"],
            )
            for o in data["obligations"]
        ),
        fria_required=data["fria_required"],
        art_6_3_derogation_applied=data["art_6_3_derogation_applied"],
        art_6_3_derogation_record_required=data["art_6_3_derogation_record_required"],
        rationale=tuple(
            RationaleStep(
                provision=r["provision"], outcome=Outcome(r["outcome"]), reason=r["reason"], facts=tuple(r["facts"])
            )
            for r in data["rationale"]
        ),
        notes=tuple(data.get("notes", ())),
    )
