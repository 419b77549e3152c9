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
    "RISK_CLASS_ORDER",
    "ApplicableObligation",
    "ClassificationResult",
    "ClassificationStatus",
    "OpenQuestion",
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
    #: The provision's outcome depends on an unknown answer (the step names the open questions).
    OPEN = "open"


#: Severity order of the risk classes, lowest first (for "at least ..." statements).
RISK_CLASS_ORDER: tuple[RiskClass, ...] = (
    RiskClass.OUT_OF_SCOPE,
    RiskClass.MINIMAL,
    RiskClass.LIMITED,
    RiskClass.HIGH,
    RiskClass.PROHIBITED,
)


class ClassificationStatus(enum.StrEnum):
    """Whether the answers were enough for the result: ``incomplete`` when an unknown answer would change it."""

    COMPLETE = "complete"
    INCOMPLETE = "incomplete"


@dataclass(frozen=True)
class OpenQuestion:
    """An unknown answer that would change the result: the question's fact path and title, the answer that would
    change it (``"yes"``, ``"no"`` or a description), and the result under that answer (class, obligations)."""

    question: str
    title: str
    answer: str
    risk_class: RiskClass
    obligations_added: tuple[str, ...] = ()
    obligations_removed: tuple[str, ...] = ()
    #: Obligations kept but with another applies-from date under that answer (e.g. Art. 111 deferrals).
    dates_changed: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """One line, e.g. ``"art_6_3.profiles_natural_persons = yes -> high (+art-9, +art-10)"``."""
        changes = (
            [f"+{o}" for o in self.obligations_added]
            + [f"-{o}" for o in self.obligations_removed]
            + [f"~{o}" for o in self.dates_changed]
        )
        more = f" ({', '.join(changes[:6])}{', ...' if len(changes) > 6 else ''})" if changes else ""
        return f"{self.question} = {self.answer} -> {self.risk_class.value}{more}"


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
    status: ClassificationStatus = ClassificationStatus.COMPLETE
    open_questions: tuple[OpenQuestion, ...] = ()
    #: Lowest and highest class the open questions allow, each answered alone (equal to risk_class when complete).
    risk_class_at_least: RiskClass | None = None
    risk_class_at_most: RiskClass | None = None
    #: Art. 5 practices matched whose ban is not yet in force on the as-of date (listed with their date).
    pending_prohibited_practices: tuple[str, ...] = ()

    @property
    def is_complete(self) -> bool:
        """True when no unknown answer would change the result."""
        return self.status is ClassificationStatus.COMPLETE

    @property
    def summary(self) -> str:
        """The class in one line; when incomplete e.g. ``"at least limited; high if art_6_3.profiles... = yes"``."""
        if self.is_complete:
            return self.risk_class.value
        lowest = self.risk_class_at_least or self.risk_class
        others: dict[RiskClass, list[str]] = {}
        same: list[str] = []
        for q in self.open_questions:
            if q.risk_class is self.risk_class:
                same.append(q.question)
            else:
                others.setdefault(q.risk_class, []).append(f"{q.question} = {q.answer}")
        head = (
            f"at least {self.risk_class.value}" if lowest is self.risk_class else f"{self.risk_class.value} as answered"
        )
        parts = [head]
        for cls in sorted(others, key=RISK_CLASS_ORDER.index):
            names = others[cls]
            shown = ", ".join(names[:3]) + (f" or {len(names) - 3} more" if len(names) > 3 else "")
            parts.append(f"{cls.value} if {shown}")
        if same:
            parts.append("obligations also depend on " + ", ".join(same[:4]) + (" ..." if len(same) > 4 else ""))
        return "; ".join(parts)

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
    data["summary"] = result.summary
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
        status=ClassificationStatus(data.get("status", ClassificationStatus.COMPLETE)),
        open_questions=tuple(
            OpenQuestion(
                question=q["question"],
                title=q["title"],
                answer=q["answer"],
                risk_class=RiskClass(q["risk_class"]),
                obligations_added=tuple(q["obligations_added"]),
                obligations_removed=tuple(q["obligations_removed"]),
                dates_changed=tuple(q.get("dates_changed", ())),
            )
            for q in data.get("open_questions", ())
        ),
        risk_class_at_least=RiskClass(data["risk_class_at_least"]) if data.get("risk_class_at_least") else None,
        risk_class_at_most=RiskClass(data["risk_class_at_most"]) if data.get("risk_class_at_most") else None,
        pending_prohibited_practices=tuple(data.get("pending_prohibited_practices", ())),
    )
