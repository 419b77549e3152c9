"""The EU AI Act classification engine: facts + law version + as-of date -> risk class, roles, obligations.

Order of evaluation (reference section 1, Regulation (EU) 2024/1689):

1. Art. 2 scope exclusions (military, sole-purpose research, pre-market R&D): terminal, out of scope. Art. 2(10)
   (purely personal use) removes only the deployer role, and only when the deployer is a natural person.
2. Art. 3(1): not an AI system -> out of scope for the AI-system regime (a GPAI model is still assessed).
3. Art. 5 screen with each practice's exception; a ban in force on the as-of date makes the system prohibited (only
   the ban and the GPAI model duties are listed); a ban not yet in force is listed with its date and the system is
   classified on the other provisions until then.
4. Art. 6(1) + Annex I (safety component/product and third-party conformity assessment).
5. Art. 6(2) + Annex III, carve-outs, then the Art. 6(3) derogation (never when profiling).
6. Art. 25 role overlay (the organisation becomes provider of a high-risk system).
7. Art. 50 transparency, cumulative with high risk; otherwise minimal (Art. 4 still applies).
8. Art. 2(12) free/open-source exclusion, which only bites when nothing above matched.
9. Art. 111 transitional rules (systems and GPAI models already on the market).
10. GPAI model track (Arts. 51-55), in parallel, for the model provider, also when the system is prohibited.
11. Obligations from the law version's catalogue, filtered by condition and the organisation's effective roles,
    dated from the law version's milestones (Art. 113 / amended dates).

Answers are three-valued (:mod:`governance.classification.facts`): an unknown answer is read as "not claimed", and
:func:`classify` re-runs the evaluation with each unknown answer given the other way; every answer that would change
the class, the obligations or their dates is returned as an open question and the result is ``incomplete``.
"""

from __future__ import annotations

import dataclasses
import functools
import typing
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from governance.classification.facts import (
    ANNEX_III_CARVE_OUT_POINT,
    AnnexIIIPoint,
    Facts,
    Role,
    annex_iii_label,
    facts_contradictions,
)
from governance.classification.law import (
    Condition,
    LawVersion,
    Milestone,
    ObligationRule,
    ProhibitedPractice,
    get_law_version,
)
from governance.classification.law import (
    list_law_versions as _list_law_versions,
)
from governance.classification.result import (
    RISK_CLASS_ORDER,
    ApplicableObligation,
    ClassificationResult,
    ClassificationStatus,
    OpenQuestion,
    Outcome,
    RationaleStep,
    RiskClass,
    RoleChange,
)

__all__ = ["classify", "diff_results", "list_law_versions"]

_SCOPE_EXCLUSIONS = (
    ("military_defence_national_security", "Art. 2(3)", "used exclusively for military, defence or national security"),
    ("scientific_research_sole_purpose", "Art. 2(6)", "developed and put into service solely for scientific R&D"),
    ("pre_market_research_testing", "Art. 2(8)", "research, testing or development before market placement"),
)

#: Conditions of the high-risk duties (Chapter III), which Art. 111(1)/(2) defer or suspend for legacy systems.
_HIGH_RISK_CONDITIONS = frozenset(
    {
        Condition.HIGH_RISK,
        Condition.HIGH_RISK_ANNEX_III,
        Condition.HIGH_RISK_ANNEX_III_NOT_POINT_2,
        Condition.HIGH_RISK_WORKPLACE,
        Condition.HIGH_RISK_ANNEX_III_PUBLIC_BODY,
        Condition.HIGH_RISK_ANNEX_III_PUBLIC_BODY_NOT_POINT_2,
        Condition.HIGH_RISK_ANNEX_III_RESTRICTED_SECTION,
        Condition.HIGH_RISK_ANNEX_III_POINT_2,
        Condition.FRIA,
    }
)

#: Conditions of the GPAI model duties (Arts. 52-55), which apply to a model provider whatever the system's class.
_GPAI_CONDITIONS = frozenset(
    {
        Condition.GPAI,
        Condition.GPAI_NOT_OPEN_SOURCE_EXEMPT,
        Condition.GPAI_COMPUTE_THRESHOLD,
        Condition.GPAI_SYSTEMIC,
    }
)

#: Annex III areas whose registration goes in the secure non-public section (Art. 49(4)): law enforcement (6),
#: migration, asylum and border control (7). Area 1 (biometrics) only when used in those areas: a note says so.
_RESTRICTED_SECTION_AREAS = ("6", "7")

#: Art. 5 practice facts that exist only in some law versions, to explain why they are ignored in others.
_VERSIONED_PRACTICES = {
    "non_consensual_intimate_imagery": "Art. 5(1)(ba)",
    "child_sexual_abuse_material": "Art. 5(1)(bb)",
}

_OTHER_OPERATORS = (
    Role.DEPLOYER,
    Role.IMPORTER,
    Role.DISTRIBUTOR,
    Role.PRODUCT_MANUFACTURER,
    Role.AUTHORISED_REPRESENTATIVE,
)

_DEROGATION_CONDITIONS = (
    ("narrow_procedural_task", "(a) narrow procedural task"),
    ("improves_completed_human_activity", "(b) improves the result of a completed human activity"),
    (
        "detects_decision_patterns_without_replacing_assessment",
        "(c) detects decision patterns without replacing review",
    ),
    ("preparatory_task", "(d) preparatory task"),
)

_ART_50 = {
    Condition.ART_50_1: "Art. 50(1)",
    Condition.ART_50_2: "Art. 50(2)",
    Condition.ART_50_3: "Art. 50(3)",
    Condition.ART_50_4_DEEP_FAKE: "Art. 50(4)",
    Condition.ART_50_4_DEEP_FAKE_ARTISTIC: "Art. 50(4)",
    Condition.ART_50_4_TEXT: "Art. 50(4)",
}


def list_law_versions() -> tuple[str, ...]:
    """Return the ids of the known law versions, oldest first (e.g. ``eu-ai-act-2024``, ``eu-ai-act-2026``).

    Use :func:`governance.classification.law.get_law_version` for the full data (EU AI Act Art. 113 dates etc.).
    """
    return tuple(v.id for v in _list_law_versions())


_ROLES = tuple(Role)


def _ordered_roles(roles: Iterable[Role]) -> tuple[Role, ...]:
    wanted = set(roles)
    return tuple(r for r in _ROLES if r in wanted)


def _ordered_points(points: Iterable[AnnexIIIPoint]) -> tuple[AnnexIIIPoint, ...]:
    wanted = set(points)
    return tuple(p for p in AnnexIIIPoint if p in wanted)


@dataclass
class _Evaluation:
    """Mutable working state of one classification; frozen into a :class:`ClassificationResult` at the end."""

    facts: Facts
    law: LawVersion
    as_of: date
    steps: list[RationaleStep] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    risk_class: RiskClass = RiskClass.MINIMAL
    prohibited: list[ProhibitedPractice] = field(default_factory=list)
    pending_prohibited: list[ProhibitedPractice] = field(default_factory=list)
    implied_points: list[AnnexIIIPoint] = field(default_factory=list)
    annex_i_high: bool = False
    annex_i_section_b_only: bool = False
    annex_iii_points: tuple[AnnexIIIPoint, ...] = ()
    annex_iii_high: bool = False
    derogation_applied: bool = False
    effective_roles: set[Role] = field(default_factory=set)
    role_changes: list[RoleChange] = field(default_factory=list)
    transparency: dict[Condition, str] = field(default_factory=dict)
    is_gpai: bool = False
    compute_threshold_met: bool = False
    systemic: bool = False
    fria_required: bool = False
    #: Art. 111(2): a legacy high-risk system not significantly changed; its high-risk duties do not apply.
    legacy_high_risk_exempt: bool = False
    #: Art. 111(1)/(2): the date the high-risk duties apply from instead of the route's date (legacy systems).
    legacy_high_risk_from: date | None = None
    #: Art. 111(1): every AI-system duty of an Annex X component applies from this date at the earliest.
    annex_x_from: date | None = None
    #: Art. 111(3): the GPAI duties of a model placed on the market before the GPAI date apply from this date.
    gpai_legacy_from: date | None = None

    def step(self, provision: str, outcome: Outcome, reason: str, *facts: str) -> None:
        self.steps.append(RationaleStep(provision, outcome, reason, facts))

    @property
    def high(self) -> bool:
        return self.annex_i_high or self.annex_iii_high

    # ---------------------------------------------------------------------------------------------- system track

    def scope_excluded(self) -> bool:
        """Art. 2(3), (6), (8): terminal exclusions; Art. 2(10) for a natural person's purely personal use."""
        excluded = False
        for name, provision, reason in _SCOPE_EXCLUSIONS:
            if getattr(self.facts.scope, name):
                self.step(provision, Outcome.MATCHED, f"Out of scope: {reason}.", f"scope.{name}")
                excluded = True
        return excluded or self.personal_use_excluded()

    def personal_use_excluded(self) -> bool:
        """Art. 2(10): the Regulation does not apply to obligations of deployers who are natural persons using an AI
        system in a purely personal non-professional activity. Only the deployer role goes; a provider (or any
        other operator) keeps its obligations. Returns True when no role is left (out of scope)."""
        if not self.facts.scope.personal_non_professional_use:
            return False
        facts = ("scope.personal_non_professional_use", "deployer.natural_person")
        natural = self.facts.deployer.natural_person
        if natural is False:
            self.step(
                "Art. 2(10)",
                Outcome.NOT_APPLICABLE,
                "The personal-use exclusion covers only deployers who are natural persons; this deployer is not.",
                *facts,
            )
            return False
        if natural is None:
            self.step(
                "Art. 2(10)",
                Outcome.OPEN,
                "Purely personal use is answered, but not whether the deployer is a natural person: the exclusion "
                "covers only natural persons, so no obligation is dropped until that is answered.",
                *facts,
            )
            return False
        others = [r for r in self.effective_roles if r is not Role.DEPLOYER]
        if not others:
            self.effective_roles.discard(Role.DEPLOYER)
            self.step(
                "Art. 2(10)",
                Outcome.MATCHED,
                "Out of scope: used by a natural person in a purely personal non-professional activity.",
                *facts,
            )
            return True
        names = ", ".join(r.value for r in _ordered_roles(others))
        if Role.DEPLOYER in self.effective_roles:
            self.effective_roles.discard(Role.DEPLOYER)
            reason = (
                "The deployer's obligations do not apply (a natural person's purely personal use); the obligations "
                f"of the other roles ({names}) still do."
            )
        else:
            reason = (
                "The exclusion covers only the obligations of the natural person using the system, not those of the "
                f"organisation as {names}."
            )
        self.step("Art. 2(10)", Outcome.NOT_APPLICABLE, reason, *facts)
        return False

    def screen_art_5(self) -> None:
        """Art. 5(1) practices with their exceptions (Art. 5(1)(d), (f), (g), (h) and Art. 5(3))."""
        a5 = self.facts.art_5
        in_version = {p.fact for p in self.law.prohibited_practices}
        for fact, provision in _VERSIONED_PRACTICES.items():
            if getattr(a5, fact) and fact not in in_version:
                self.step(
                    provision,
                    Outcome.NOT_APPLICABLE,
                    f"Not a prohibited practice in {self.law.id}; other Union or national law may still forbid it.",
                    f"art_5.{fact}",
                )
        for practice in self.law.prohibited_practices:
            if not getattr(a5, practice.fact):
                continue
            path = f"art_5.{practice.fact}"
            exception = self._art_5_exception(practice)
            if exception is None and practice.applies_from > self.as_of:
                self.pending_prohibited.append(practice)
                self.step(
                    practice.provision,
                    Outcome.NOT_APPLICABLE,
                    f"Prohibited from {practice.applies_from.isoformat()} ({practice.summary}), not yet in force on "
                    f"{self.as_of.isoformat()}: the ban is listed with its date and the system is classified on the "
                    "other provisions until then.",
                    path,
                )
            elif exception is None:
                self.prohibited.append(practice)
                when = f"applies from {practice.applies_from.isoformat()}"
                self.step(practice.provision, Outcome.MATCHED, f"Prohibited: {practice.summary} ({when}).", path)
            else:
                reason, implied, exception_fact = exception
                self.step(practice.provision, Outcome.EXCEPTED, reason, path, exception_fact)
                if implied is not None:
                    self.implied_points.append(implied)

    def _art_5_exception(self, practice: ProhibitedPractice) -> tuple[str, AnnexIIIPoint | None, str] | None:
        a5 = self.facts.art_5
        if practice.fact == "crime_prediction_solely_profiling" and a5.crime_prediction_supports_human_assessment:
            self.notes.append(
                "Art. 5(1)(d) exception: a system supporting a human assessment of involvement in a criminal activity "
                "is high-risk under Annex III 6(d) when used by or on behalf of law enforcement authorities; list "
                "that point if so."
            )
            return (
                "Exception: supports a human assessment already based on objective, verifiable facts.",
                None,
                "art_5.crime_prediction_supports_human_assessment",
            )
        if practice.fact == "emotion_recognition_workplace_or_education" and a5.emotion_recognition_medical_or_safety:
            return (
                "Exception: emotion recognition for medical or safety reasons; remains high-risk as Annex III 1(c).",
                AnnexIIIPoint.EMOTION_RECOGNITION,
                "art_5.emotion_recognition_medical_or_safety",
            )
        if (
            practice.fact == "biometric_categorisation_sensitive_attributes"
            and a5.biometric_categorisation_labelling_or_law_enforcement
        ):
            return (
                "Exception: labelling/filtering of lawfully acquired datasets or law-enforcement categorisation; "
                "remains high-risk as Annex III 1(b).",
                AnnexIIIPoint.BIOMETRIC_CATEGORISATION,
                "art_5.biometric_categorisation_labelling_or_law_enforcement",
            )
        if practice.fact == "realtime_remote_biometric_identification" and a5.realtime_rbi_objective is not None:
            if a5.realtime_rbi_authorised:
                return (
                    f"Exception: strictly necessary for '{a5.realtime_rbi_objective.value}' with prior "
                    "authorisation (Art. 5(1)(h), 5(3)); remains high-risk as Annex III 1(a).",
                    AnnexIIIPoint.BIOMETRIC_REMOTE_IDENTIFICATION,
                    "art_5.realtime_rbi_objective",
                )
            self.step(
                "Art. 5(3)",
                Outcome.NOT_APPLICABLE,
                "The listed objective does not lift the ban without prior judicial or independent authorisation.",
                "art_5.realtime_rbi_authorised",
            )
        return None

    def route_annex_i(self) -> None:
        """Art. 6(1) + Annex I: both a safety component/product and a third-party conformity assessment."""
        a1 = self.facts.annex_i
        if a1.act is None:
            return
        if a1.safety_component_or_product is None or (
            a1.safety_component_or_product and a1.third_party_conformity_assessment is None
        ):
            self.step(
                "Art. 6(1)",
                Outcome.OPEN,
                f"Covered by {a1.act.value}; whether it is a safety component or the product itself, and whether "
                "third-party conformity assessment is required, decides the Art. 6(1) route: not yet answered.",
                "annex_i.safety_component_or_product",
                "annex_i.third_party_conformity_assessment",
            )
            return
        if not a1.safety_component_or_product:
            self.step(
                "Art. 6(1)(a)",
                Outcome.NOT_APPLICABLE,
                f"Covered by {a1.act.value} but not a safety component or the product itself.",
                "annex_i.safety_component_or_product",
            )
            return
        if not a1.third_party_conformity_assessment:
            self.step(
                "Art. 6(1)(b)",
                Outcome.NOT_APPLICABLE,
                f"{a1.act.value} does not require third-party conformity assessment, so Art. 6(1) is not met.",
                "annex_i.third_party_conformity_assessment",
            )
            return
        entry = self.law.annex_i[a1.act]
        self.annex_i_high = True
        self.step(
            "Art. 6(1) + Annex I",
            Outcome.MATCHED,
            f"High-risk: safety component/product under {a1.act.value} (Annex I section {entry.section}) requiring "
            "third-party conformity assessment.",
            "annex_i.act",
            "annex_i.safety_component_or_product",
            "annex_i.third_party_conformity_assessment",
        )
        if entry.section == "B":
            self.annex_i_section_b_only = True
            self.step(
                "Art. 2(2)",
                Outcome.MATCHED,
                "Annex I section B: only Art. 6(1), Arts. 102-109 and 112 apply directly; the high-risk requirements "
                "reach the product through its sectoral act, so no Chapter III obligations are listed for this route.",
                "annex_i.act",
            )
        if not entry.verified:
            self.notes.append(f"Annex I section of {a1.act.value}: {entry.note}")

    def route_annex_iii(self) -> None:
        """Art. 6(2) + Annex III, the Annex III carve-outs, then the Art. 6(3) derogation and profiling override."""
        a3 = self.facts.annex_iii
        answered = a3.points or ()
        if a3.points is None and not self.implied_points:
            self.step(
                "Art. 6(2) + Annex III",
                Outcome.OPEN,
                "Not answered whether the intended purpose falls under an Annex III point (an empty list means none).",
                "annex_iii.points",
            )
            return
        for point in self.implied_points:
            if point not in answered:
                self.step(
                    annex_iii_label(point),
                    Outcome.MATCHED,
                    "Listed in Annex III because the Art. 5 exception above leaves the practice permitted.",
                )
        points = list(_ordered_points([*answered, *self.implied_points]))
        for carve_out in a3.carve_outs:
            removed = ANNEX_III_CARVE_OUT_POINT[carve_out]
            if removed in points:
                points.remove(removed)
                self.step(
                    annex_iii_label(removed),
                    Outcome.NOT_APPLICABLE,
                    f"Carved out of Annex III: purpose is '{carve_out.value}'.",
                    "annex_iii.carve_outs",
                )
        self.annex_iii_points = tuple(points)
        if not points:
            return
        labels = ", ".join(annex_iii_label(p) for p in points)
        d = self.facts.art_6_3
        met = [(name, text) for name, text in _DEROGATION_CONDITIONS if getattr(d, name)]
        if d.profiles_natural_persons:
            self.annex_iii_high = True
            self.step(
                f"Art. 6(2) + {labels}",
                Outcome.MATCHED,
                "High-risk: Annex III use case"
                + (" (the Art. 6(3) conditions are answered but cannot apply)" if met else "")
                + "; the system profiles natural persons.",
                "annex_iii.points",
                "art_6_3.profiles_natural_persons",
            )
            self.step(
                "Art. 6(3) last subparagraph",
                Outcome.NOT_APPLICABLE,
                "Profiling of natural persons: the derogation is unavailable, the system is always high-risk.",
                "art_6_3.profiles_natural_persons",
            )
        elif met:
            self.derogation_applied = True
            self.step(f"Art. 6(2) + {labels}", Outcome.MATCHED, "Annex III use case.", "annex_iii.points")
            profiling = (
                "; profiling of natural persons not yet answered (profiling would rule the derogation out)"
                if d.profiles_natural_persons is None
                else "; no profiling"
            )
            self.step(
                "Art. 6(3)",
                Outcome.DEROGATED,
                "Not high-risk under Annex III: " + "; ".join(text for _, text in met) + profiling + ".",
                *(f"art_6_3.{name}" for name, _ in met),
                "art_6_3.profiles_natural_persons",
            )
        else:
            self.annex_iii_high = True
            unanswered = [name for name, _ in _DEROGATION_CONDITIONS if getattr(d, name) is None]
            self.step(
                f"Art. 6(2) + {labels}",
                Outcome.MATCHED,
                "High-risk: Annex III use case and no Art. 6(3) condition applies."
                if not unanswered
                else f"High-risk: Annex III use case; no Art. 6(3) condition is claimed ({len(unanswered)} of 4 not "
                "yet answered).",
                "annex_iii.points",
                *(f"art_6_3.{name}" for name in unanswered),
            )

    def overlay_roles(self) -> None:
        """Art. 25(1)(a)-(c) and Art. 25(3): the organisation becomes the provider of a high-risk system."""
        declared = set(self.facts.roles)
        a25 = self.facts.art_25
        triggers = [
            ("Art. 25(1)(a)", "puts_name_or_trademark_on_high_risk_system", "puts its name or trademark on it"),
            ("Art. 25(1)(b)", "substantial_modification", "substantially modifies it and it remains high-risk"),
            (
                "Art. 25(1)(c)",
                "changes_intended_purpose_to_high_risk",
                "changed its intended purpose to a high-risk one",
            ),
        ]
        for provision, name, reason in triggers:
            if not getattr(a25, name):
                continue
            if not self.high:
                self.step(
                    provision, Outcome.NOT_APPLICABLE, "Not triggered: the system is not high-risk.", f"art_25.{name}"
                )
            elif Role.PROVIDER in declared:
                self.step(provision, Outcome.NOT_APPLICABLE, "Already the provider.", f"art_25.{name}")
            else:
                self._become_provider(provision, f"The organisation {reason}.", f"art_25.{name}")
        if a25.placed_with_product_under_own_name:
            if Role.PRODUCT_MANUFACTURER in declared and self.annex_i_high and not self.annex_i_section_b_only:
                if Role.PROVIDER not in self.effective_roles:
                    self._become_provider(
                        "Art. 25(3)",
                        "Product manufacturer placing the Annex I section A high-risk safety component on the market "
                        "with its product under its own name.",
                        "art_25.placed_with_product_under_own_name",
                    )
            else:
                self.step(
                    "Art. 25(3)",
                    Outcome.NOT_APPLICABLE,
                    "Requires the product-manufacturer role and an Annex I section A high-risk system.",
                    "art_25.placed_with_product_under_own_name",
                )

    def _become_provider(self, provision: str, reason: str, fact: str) -> None:
        from_roles = _ordered_roles(r for r in self.facts.roles if r in _OTHER_OPERATORS)
        first = Role.PROVIDER not in self.effective_roles
        self.effective_roles.add(Role.PROVIDER)
        if first:
            self.role_changes.append(RoleChange(from_roles, Role.PROVIDER, provision, reason))
        self.step(provision, Outcome.ROLE_CHANGED, f"Considered the provider of a high-risk system: {reason}", fact)

    def screen_art_50(self) -> None:
        """Art. 50(1)-(4): transparency duties, cumulative with high-risk duties."""
        t = self.facts.art_50
        if t.interacts_with_natural_persons:
            if t.ai_interaction_obvious:
                self.step(
                    "Art. 50(1)",
                    Outcome.EXCEPTED,
                    "Interaction with an AI system is obvious from the context.",
                    "art_50.ai_interaction_obvious",
                )
            else:
                self._transparency(
                    Condition.ART_50_1,
                    "Interacts directly with natural persons.",
                    "art_50.interacts_with_natural_persons",
                )
        if t.generates_synthetic_content:
            if t.assistive_editing_only:
                self.step(
                    "Art. 50(2)",
                    Outcome.EXCEPTED,
                    "Assistive standard editing only, or the input and its semantics are not substantially altered: no "
                    "marking duty.",
                    "art_50.assistive_editing_only",
                )
            else:
                self._transparency(
                    Condition.ART_50_2,
                    "Generates synthetic audio, image, video or text.",
                    "art_50.generates_synthetic_content",
                )
        biometric = [
            p
            for p in self.annex_iii_points
            if p in (AnnexIIIPoint.BIOMETRIC_CATEGORISATION, AnnexIIIPoint.EMOTION_RECOGNITION)
        ]
        if t.emotion_recognition_or_biometric_categorisation or biometric:
            source = (
                "art_50.emotion_recognition_or_biometric_categorisation"
                if t.emotion_recognition_or_biometric_categorisation
                else "annex_iii.points"
            )
            self._transparency(Condition.ART_50_3, "Emotion recognition or biometric categorisation system.", source)
        if t.generates_deep_fake and t.evidently_artistic_creative_satirical_fictional:
            self._transparency(
                Condition.ART_50_4_DEEP_FAKE_ARTISTIC,
                "Deep fakes within an evidently artistic, creative, satirical or fictional work: the disclosure is "
                "limited to the existence of generated content, without hampering the work.",
                "art_50.generates_deep_fake",
                "art_50.evidently_artistic_creative_satirical_fictional",
            )
        elif t.generates_deep_fake:
            self._transparency(
                Condition.ART_50_4_DEEP_FAKE, "Generates or manipulates deep fakes.", "art_50.generates_deep_fake"
            )
        if t.publishes_public_interest_text:
            if t.text_under_human_editorial_review:
                self.step(
                    "Art. 50(4)",
                    Outcome.EXCEPTED,
                    "Public-interest text is under human review and editorial responsibility.",
                    "art_50.text_under_human_editorial_review",
                )
            else:
                self._transparency(
                    Condition.ART_50_4_TEXT,
                    "Publishes AI-generated text on matters of public interest without editorial review.",
                    "art_50.publishes_public_interest_text",
                )

    def _transparency(self, condition: Condition, reason: str, *facts: str) -> None:
        self.transparency[condition] = _ART_50[condition]
        stacked = " Stacks on the high-risk duties." if self.high else ""
        self.step(_ART_50[condition], Outcome.MATCHED, f"Transparency duty: {reason}{stacked}", *facts)

    def decide_class(self) -> None:
        """Risk class precedence: high > limited (Art. 50) > minimal; then the Art. 2(12) open-source exclusion."""
        if self.high:
            self.risk_class = RiskClass.HIGH
            self.step("Art. 6", Outcome.DECIDED, "Risk class: high.")
        elif self.transparency:
            self.risk_class = RiskClass.LIMITED
            self.step("Art. 50", Outcome.DECIDED, "Risk class: limited (transparency duties only).")
        else:
            self.risk_class = RiskClass.MINIMAL
            self.step(
                "Art. 6, Art. 50",
                Outcome.DECIDED,
                "Risk class: minimal on the answers given - no Art. 5 practice, no Annex I product route, no Annex "
                "III use case (or the Art. 6(3) derogation) and no Art. 50 situation; only Art. 4 AI literacy "
                "applies, and voluntary codes of conduct (Art. 95) are open.",
            )
        if self.facts.scope.free_open_source_licence:
            if self.risk_class is RiskClass.MINIMAL:
                self.risk_class = RiskClass.OUT_OF_SCOPE
                self.step(
                    "Art. 2(12)",
                    Outcome.MATCHED,
                    "Out of scope: free and open-source system that is not high-risk and not under Art. 5 or Art. 50.",
                    "scope.free_open_source_licence",
                )
            else:
                self.step(
                    "Art. 2(12)",
                    Outcome.NOT_APPLICABLE,
                    "The open-source exclusion does not cover high-risk systems or systems under Art. 50.",
                    "scope.free_open_source_licence",
                )

    def decide_fria(self) -> None:
        """Art. 27(1): FRIA for Annex III high-risk systems (not point 2) deployed by public bodies, private entities
        providing public services, or any deployer of Annex III 5(b)/5(c) systems."""
        if not self.annex_iii_high or Role.DEPLOYER not in self.effective_roles:
            return
        points = [p for p in self.annex_iii_points if p is not AnnexIIIPoint.CRITICAL_INFRASTRUCTURE]
        dep = self.facts.deployer
        if not points:
            self.step("Art. 27(1)", Outcome.NOT_APPLICABLE, "No FRIA for Annex III point 2 (critical infrastructure).")
            return
        credit = [p for p in points if p in (AnnexIIIPoint.CREDITWORTHINESS, AnnexIIIPoint.LIFE_HEALTH_INSURANCE)]
        if dep.public_body or dep.private_entity_providing_public_services:
            self.fria_required = True
            who, path = (
                ("a body governed by public law", "deployer.public_body")
                if dep.public_body
                else ("a private entity providing public services", "deployer.private_entity_providing_public_services")
            )
            self.step("Art. 27(1)", Outcome.MATCHED, f"FRIA required: the deployer is {who}.", path)
        elif credit:
            self.fria_required = True
            labels = ", ".join(annex_iii_label(p) for p in credit)
            self.step("Art. 27(1)", Outcome.MATCHED, f"FRIA required for any deployer of {labels}.", "annex_iii.points")
        elif dep.public_body is None or dep.private_entity_providing_public_services is None:
            self.step(
                "Art. 27(1)",
                Outcome.OPEN,
                "FRIA required if the deployer is a body governed by public law or a private entity providing public "
                "services: not yet answered.",
                "deployer.public_body",
                "deployer.private_entity_providing_public_services",
            )
        else:
            self.step(
                "Art. 27(1)",
                Outcome.NOT_APPLICABLE,
                "No FRIA: private deployer not providing public services, and no Annex III 5(b)/5(c) use.",
                "deployer.public_body",
                "deployer.private_entity_providing_public_services",
            )

    def legacy_cutoff(self) -> date:
        """Art. 111(2): systems on the market before this date are grandfathered (2024 text: 2 Aug 2026; as amended:
        the Chapter III application date of the route that made the system high-risk)."""
        if self.law.legacy_cutoff_follows_application_date:
            return self.high_risk_date()[0]
        return self.law.milestone_date(Milestone.HIGH_RISK_LEGACY_CUTOFF).applies_from

    def transitional(self) -> None:
        """Art. 111(1)-(2): high-risk systems already on the market or in service before the application dates."""
        t = self.facts.transition
        placed = t.placed_on_market_on
        chapter_iii = self.annex_iii_high or (self.annex_i_high and not self.annex_i_section_b_only)
        if not chapter_iii or placed is None:
            return
        fact = "transition.placed_on_market_on"
        if t.annex_x_large_scale_it_component and placed < self.law.annex_x_cutoff:
            self.annex_x_from = self.law.milestone_date(Milestone.LARGE_SCALE_IT_LEGACY).applies_from
            self.step(
                "Art. 111(1)",
                Outcome.MATCHED,
                f"Component of an Annex X large-scale IT system placed on the market before "
                f"{self.law.annex_x_cutoff.isoformat()}: brought into compliance by {self.annex_x_from.isoformat()}.",
                fact,
                "transition.annex_x_large_scale_it_component",
            )
            return
        cutoff = self.legacy_cutoff()
        amended = " (cut-off as amended in 2026)" if self.law.legacy_cutoff_follows_application_date else ""
        if placed >= cutoff:
            return
        if t.significant_design_change:
            self.step(
                "Art. 111(2)",
                Outcome.NOT_APPLICABLE,
                f"On the market before {cutoff.isoformat()}{amended}, but significantly changed in design since: the "
                "high-risk rules apply as to a new system.",
                fact,
                "transition.significant_design_change",
            )
            return
        if t.intended_for_public_authorities:
            self.legacy_high_risk_from = self.law.milestone_date(Milestone.PUBLIC_AUTHORITY_LEGACY).applies_from
            self.step(
                "Art. 111(2)",
                Outcome.MATCHED,
                f"On the market before {cutoff.isoformat()}{amended} and intended for public authorities: the "
                f"high-risk duties apply from {self.legacy_high_risk_from.isoformat()} (or from a significant design "
                "change).",
                fact,
                "transition.intended_for_public_authorities",
            )
            return
        self.legacy_high_risk_exempt = True
        self.step(
            "Art. 111(2)",
            Outcome.MATCHED,
            f"On the market or in service before {cutoff.isoformat()}{amended} and not significantly changed in "
            "design since: the high-risk duties apply only from a significant design change (the class stays high).",
            fact,
            "transition.significant_design_change",
        )

    # ----------------------------------------------------------------------------------------------- GPAI track

    def gpai_track(self) -> None:
        """Arts. 51-53, 55: GPAI model, systemic risk by compute (> threshold FLOP) or Commission designation."""
        g = self.facts.gpai
        if not g.is_gpai_model:
            return
        self.is_gpai = True
        self.step("Art. 3(63), Art. 53", Outcome.MATCHED, "General-purpose AI model.", "gpai.is_gpai_model")
        threshold = self.law.gpai_systemic_flop_threshold
        flop = g.training_compute_flop
        if flop is not None and flop > threshold:
            self.compute_threshold_met = True
            self.step(
                "Art. 51(2)",
                Outcome.MATCHED,
                f"Systemic risk presumed: training compute {flop:.3g} FLOP > {threshold:.0e} FLOP.",
                "gpai.training_compute_flop",
            )
        if g.commission_designated_systemic_risk:
            self.step(
                "Art. 51(1)(b)",
                Outcome.MATCHED,
                "Designated by the Commission as a model with systemic risk.",
                "gpai.commission_designated_systemic_risk",
            )
        self.systemic = self.compute_threshold_met or bool(g.commission_designated_systemic_risk)
        if g.free_open_source_model:
            outcome, reason = (
                (Outcome.NOT_APPLICABLE, "Open-source exemption unavailable for models with systemic risk.")
                if self.systemic
                else (Outcome.EXCEPTED, "Open-source model: exempt from Art. 53(1)(a)-(b).")
            )
            self.step("Art. 53(2)", outcome, reason, "gpai.free_open_source_model")
        placed = self.facts.transition.placed_on_market_on
        gpai_from = self.law.milestone_date(Milestone.GPAI).applies_from
        if placed is not None and placed < gpai_from:
            self.gpai_legacy_from = self.law.milestone_date(Milestone.GPAI_LEGACY_MODELS).applies_from
            self.step(
                "Art. 111(3)",
                Outcome.MATCHED,
                f"GPAI model placed on the market before {gpai_from.isoformat()}: its duties are due by "
                f"{self.gpai_legacy_from.isoformat()}.",
                "transition.placed_on_market_on",
            )
        if Role.PROVIDER not in self.effective_roles:
            self.notes.append("GPAI model obligations (Arts. 53-55) fall on the model provider, not a declared role.")

    # ------------------------------------------------------------------------------------------------ obligations

    def condition_holds(self, condition: Condition) -> bool:
        hr_duties = self.high and not (self.annex_i_section_b_only and not self.annex_iii_high)
        checks: dict[Condition, Callable[[], bool]] = {
            Condition.ANY_AI_SYSTEM: lambda: self.risk_class is not RiskClass.OUT_OF_SCOPE,
            Condition.HIGH_RISK: lambda: hr_duties,
            Condition.HIGH_RISK_ANNEX_III: lambda: self.annex_iii_high,
            Condition.HIGH_RISK_ANNEX_III_NOT_POINT_2: lambda: (
                self.annex_iii_high
                and any(p is not AnnexIIIPoint.CRITICAL_INFRASTRUCTURE for p in self.annex_iii_points)
            ),
            Condition.HIGH_RISK_WORKPLACE: lambda: hr_duties and bool(self.facts.deployer.used_at_workplace),
            Condition.HIGH_RISK_ANNEX_III_PUBLIC_BODY: lambda: (
                self.annex_iii_high and bool(self.facts.deployer.public_body)
            ),
            Condition.HIGH_RISK_ANNEX_III_PUBLIC_BODY_NOT_POINT_2: lambda: (
                self.condition_holds(Condition.HIGH_RISK_ANNEX_III_NOT_POINT_2)
                and bool(self.facts.deployer.public_body)
            ),
            Condition.HIGH_RISK_ANNEX_III_RESTRICTED_SECTION: lambda: (
                self.annex_iii_high and any(p.value[0] in _RESTRICTED_SECTION_AREAS for p in self.annex_iii_points)
            ),
            Condition.HIGH_RISK_ANNEX_III_POINT_2: lambda: (
                self.annex_iii_high and AnnexIIIPoint.CRITICAL_INFRASTRUCTURE in self.annex_iii_points
            ),
            Condition.FRIA: lambda: self.fria_required,
            Condition.ART_6_3_DEROGATION: lambda: self.derogation_applied and not self.high,
            Condition.GPAI: lambda: self.is_gpai,
            Condition.GPAI_NOT_OPEN_SOURCE_EXEMPT: lambda: (
                self.is_gpai and (self.systemic or not self.facts.gpai.free_open_source_model)
            ),
            Condition.GPAI_COMPUTE_THRESHOLD: lambda: self.compute_threshold_met,
            Condition.GPAI_SYSTEMIC: lambda: self.systemic,
        }
        if condition in _ART_50:
            return condition in self.transparency
        return checks[condition]()

    def high_risk_date(self) -> tuple[date, bool, str]:
        """Earliest application date among the routes that made the system high-risk (with verified flag, note)."""
        routes = []
        if self.annex_iii_high:
            routes.append(self.law.milestone_date(Milestone.HIGH_RISK_ANNEX_III))
        if self.annex_i_high and not self.annex_i_section_b_only:
            routes.append(self.law.milestone_date(Milestone.HIGH_RISK_ANNEX_I))
        first = min(routes, key=lambda r: r.applies_from)
        return first.applies_from, first.verified, first.note

    def resolve(self, rule: ObligationRule) -> ApplicableObligation | None:
        held = rule.roles & self.effective_roles
        if not held or not self.condition_holds(rule.condition):
            return None
        roles = _ordered_roles(held)
        high_risk_duty = rule.condition in _HIGH_RISK_CONDITIONS
        if high_risk_duty and self.legacy_high_risk_exempt:
            return None
        if rule.milestone is Milestone.HIGH_RISK_ROUTE:
            applies_from, verified, note = self.high_risk_date()
        else:
            dated = self.law.milestone_date(rule.milestone)
            applies_from, verified, note = dated.applies_from, dated.verified, dated.note
        placed = self.facts.transition.placed_on_market_on
        marking_grace = self.law.milestones.get(Milestone.MARKING_LEGACY)
        legacy = [
            d
            for d in (
                marking_grace.applies_from
                if rule.condition is Condition.ART_50_2
                and marking_grace is not None
                and placed is not None
                and placed < self.law.milestone_date(Milestone.TRANSPARENCY).applies_from
                else None,
                self.legacy_high_risk_from if high_risk_duty else None,
                self.annex_x_from if rule.condition not in _GPAI_CONDITIONS else None,
                self.gpai_legacy_from if rule.condition in _GPAI_CONDITIONS else None,
            )
            if d is not None and d > applies_from
        ]
        if legacy:
            applies_from = max(legacy)
            note = " ".join(n for n in (note, f"Deferred to {applies_from.isoformat()} by Art. 111.") if n)
        return ApplicableObligation(
            id=rule.id,
            article=rule.article,
            duty=rule.duty,
            roles=roles,
            applies_from=applies_from,
            in_force_on_as_of=self.as_of >= applies_from,
            periods=rule.periods,
            verified=rule.verified and verified,
            note=" ".join(n for n in (rule.note, note) if n),
        )

    def prohibition_obligations(self) -> tuple[ApplicableObligation, ...]:
        """The bans that matched (in force or not yet), as obligations of every declared role (Art. 5)."""
        roles = _ordered_roles(self.facts.roles)
        return tuple(
            ApplicableObligation(
                id="art-" + p.provision.removeprefix("Art. ").replace("(", "-").replace(")", "").replace(" ", ""),
                article=p.provision,
                duty=f"Prohibited practice ({p.summary}): do not place on the market, put into service or use.",
                roles=roles,
                applies_from=p.applies_from,
                in_force_on_as_of=self.as_of >= p.applies_from,
                verified=p.verified,
                note=p.note,
            )
            for p in (*self.prohibited, *self.pending_prohibited)
        )

    def result(self, obligations: tuple[ApplicableObligation, ...]) -> ClassificationResult:
        derogation_record = self.derogation_applied and not self.high and Role.PROVIDER in self.effective_roles
        if self.derogation_applied and not self.high and not derogation_record:
            self.notes.append("Art. 6(3) derogation: the provider must document and register it (Art. 6(4), 49(2)).")
        self.provider_side_transparency_notes()
        unverified = [o.article for o in obligations if not o.verified]
        if unverified:
            self.notes.append(f"Unverified law data ({self.law.id}) used for: {', '.join(unverified)}.")
        self.notes = list(dict.fromkeys(self.notes))
        return ClassificationResult(
            law_version=self.law.id,
            as_of=self.as_of,
            risk_class=self.risk_class,
            prohibited_practices=tuple(p.provision for p in self.prohibited),
            high_risk_routes=self._routes(),
            annex_iii_points=self.annex_iii_points,
            transparency_duties=tuple(dict.fromkeys(self.transparency.values())),
            is_gpai_model=bool(self.facts.gpai.is_gpai_model),
            gpai_systemic_risk=bool(self.facts.gpai.is_gpai_model)
            and (
                bool(self.facts.gpai.commission_designated_systemic_risk)
                or (self.facts.gpai.training_compute_flop or 0.0) > self.law.gpai_systemic_flop_threshold
            ),
            declared_roles=_ordered_roles(self.facts.roles),
            effective_roles=_ordered_roles(self.effective_roles),
            role_changes=tuple(self.role_changes),
            obligations=obligations,
            fria_required=self.fria_required,
            art_6_3_derogation_applied=self.derogation_applied and not self.high,
            art_6_3_derogation_record_required=derogation_record,
            rationale=tuple(self.steps),
            notes=(*self.law.notes, *self.notes),
            pending_prohibited_practices=tuple(p.provision for p in self.pending_prohibited),
        )

    def provider_side_transparency_notes(self) -> None:
        """Art. 50(1)-(2) are the provider's duties; a deployer that is not the provider is told what to check."""
        if Role.DEPLOYER not in self.effective_roles or Role.PROVIDER in self.effective_roles:
            return
        if Condition.ART_50_1 in self.transparency:
            self.notes.append(
                "Art. 50(1) is the provider's duty: the system must tell people they are interacting with an AI "
                "system. As deployer, check that it does (instructions for use, the first screen or message) and raise "
                "it with the provider before deploying if it does not."
            )
        if Condition.ART_50_2 in self.transparency:
            self.notes.append(
                "Art. 50(2) is the provider's duty: synthetic outputs must carry a machine-readable marking as "
                "AI-generated. As deployer, check the provider's marking (e.g. C2PA metadata or watermark) survives "
                "your publication pipeline; your own disclosure duties are Art. 50(3)-(4)."
            )
        if self.annex_iii_high and any(p.value[0] == "1" for p in self.annex_iii_points):
            self.notes.append(
                "Art. 49(4): an Annex III point 1 (biometrics) system used for law enforcement, migration, asylum or "
                "border control is registered in the secure non-public section of the EU database."
            )

    def _routes(self) -> tuple[str, ...]:
        routes = []
        if self.annex_i_high and self.facts.annex_i.act is not None:
            routes.append(f"Art. 6(1) + Annex I ({self.facts.annex_i.act.value})")
        if self.annex_iii_high:
            routes.extend(f"Art. 6(2) + {annex_iii_label(p)}" for p in self.annex_iii_points)
        return tuple(routes)


def _evaluate(facts: Facts, law: LawVersion, as_of: date) -> ClassificationResult:
    """One evaluation of ``facts`` with unknown answers read as "not claimed" (see the module docstring)."""
    ev = _Evaluation(facts=facts, law=law, as_of=as_of, effective_roles=set(facts.roles))
    if ev.scope_excluded():
        ev.risk_class = RiskClass.OUT_OF_SCOPE
        return ev.result(())
    if facts.scope.is_ai_system is False:
        ev.risk_class = RiskClass.OUT_OF_SCOPE
        ev.step(
            "Art. 3(1)",
            Outcome.NOT_APPLICABLE,
            "Not an AI system (no inference): the AI-system rules do not apply.",
            "scope.is_ai_system",
        )
    else:
        ev.screen_art_5()
        if ev.prohibited:
            ev.risk_class = RiskClass.PROHIBITED
            ev.step(
                "Art. 5",
                Outcome.DECIDED,
                "Risk class: prohibited; no other AI-system obligations are listed (GPAI model duties still apply).",
            )
            ev.gpai_track()
            gpai = (ev.resolve(rule) for rule in law.obligations if rule.condition in _GPAI_CONDITIONS)
            return ev.result((*ev.prohibition_obligations(), *(o for o in gpai if o is not None)))
        ev.route_annex_i()
        ev.route_annex_iii()
        ev.overlay_roles()
        ev.screen_art_50()
        ev.decide_class()
        ev.decide_fria()
        ev.transitional()
    ev.gpai_track()
    obligations = tuple(o for o in (ev.resolve(rule) for rule in law.obligations) if o is not None)
    return ev.result((*ev.prohibition_obligations(), *obligations))


#: The answer given to an unknown question to see whether it matters: the reading opposite to "not claimed".
_FLIP_DATE = date(2024, 8, 1)
_FLIP_POINT = AnnexIIIPoint.EMPLOYMENT_RECRUITMENT


@functools.cache
def _hints(cls: type[Any]) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _unknown_answers(facts: Facts, law: LawVersion) -> Iterator[tuple[str, str, str, Facts]]:
    """Each unknown answer as ``(path, title, answer, facts with that answer)``, the answer being the one that
    differs from how the engine reads an unknown (yes for a question, no for ``scope.is_ai_system``)."""
    for section_field in dataclasses.fields(Facts):
        section = getattr(facts, section_field.name)
        if not dataclasses.is_dataclass(section):
            continue
        hints = _hints(type(section))  # type: ignore[arg-type]
        for f in dataclasses.fields(section):
            if getattr(section, f.name) is not None:
                continue
            path = f"{section_field.name}.{f.name}"
            value: Any
            if hints[f.name] == (bool | None):
                value = path != "scope.is_ai_system"
                answer = "yes" if value else "no"
            elif path == "annex_iii.points":
                value, answer = (_FLIP_POINT,), f"an Annex III point (e.g. {_FLIP_POINT.value})"
            elif path == "transition.placed_on_market_on" and facts.transition.already_on_market is not False:
                value, answer = _FLIP_DATE, "already on the market (e.g. since 2024-08-01)"
            elif path == "gpai.training_compute_flop" and facts.gpai.is_gpai_model:
                value = law.gpai_systemic_flop_threshold * 10
                answer = f"above {law.gpai_systemic_flop_threshold:.0e} FLOP"
            else:
                continue
            changed = dataclasses.replace(section, **{f.name: value})  # type: ignore[type-var]
            yield path, f.metadata["title"], answer, dataclasses.replace(facts, **{section_field.name: changed})  # type: ignore[arg-type]
    if not facts.roles:
        yield "roles", "Organisation roles", "provider and deployer", dataclasses.replace(facts, roles=(P, D))


P, D = Role.PROVIDER, Role.DEPLOYER


def _outcome(result: ClassificationResult) -> tuple[Any, ...]:
    return (
        result.risk_class,
        frozenset((o.id, o.applies_from) for o in result.obligations),
        result.fria_required,
        result.gpai_systemic_risk,
    )


def _open_questions(facts: Facts, law: LawVersion, as_of: date, base: ClassificationResult) -> list[OpenQuestion]:
    key = _outcome(base)
    base_obs = {o.id: o.applies_from for o in base.obligations}
    questions = []
    for path, title, answer, variant in _unknown_answers(facts, law):
        if facts_contradictions(variant):
            continue
        other = _evaluate(variant, law, as_of)
        if _outcome(other) == key:
            continue
        other_obs = {o.id: o.applies_from for o in other.obligations}
        questions.append(
            OpenQuestion(
                question=path,
                title=title,
                answer=answer,
                risk_class=other.risk_class,
                obligations_added=tuple(o for o in other_obs if o not in base_obs),
                obligations_removed=tuple(o for o in base_obs if o not in other_obs),
                dates_changed=tuple(o for o in other_obs if o in base_obs and other_obs[o] != base_obs[o]),
            )
        )
    return questions


def classify(facts: Facts, *, law_version: str, as_of: date) -> ClassificationResult:
    """Classify an AI system under the EU AI Act (Regulation (EU) 2024/1689, Arts. 2-6, 25, 27, 50-55, 111).

    ``law_version`` selects the dated rules (see :func:`list_law_versions`); ``as_of`` decides each obligation's
    ``in_force_on_as_of``. Unknown answers are read as "not claimed"; each one that would change the class, the
    obligations or their dates is an open question, and the result is then ``incomplete`` with the lowest and
    highest class the open questions allow (each answered alone). Raises
    :class:`~governance.classification.law.UnknownLawVersion` for an unknown id.
    """
    law = get_law_version(law_version)
    base = _evaluate(facts, law, as_of)
    questions = _open_questions(facts, law, as_of, base)
    if not questions:
        return dataclasses.replace(base, risk_class_at_least=base.risk_class, risk_class_at_most=base.risk_class)
    classes = {base.risk_class, *(q.risk_class for q in questions)}
    ordered = sorted(classes, key=RISK_CLASS_ORDER.index)
    result = dataclasses.replace(
        base,
        status=ClassificationStatus.INCOMPLETE,
        open_questions=tuple(questions),
        risk_class_at_least=ordered[0],
        risk_class_at_most=ordered[-1],
    )
    step = RationaleStep(
        "Questionnaire",
        Outcome.OPEN,
        f"Incomplete: {len(questions)} unanswered question(s) would change this result ({result.summary}).",
        tuple(q.question for q in questions),
    )
    return dataclasses.replace(result, rationale=(*result.rationale, step))


# ------------------------------------------------------------------------------------------------------------------


def _ob_summary(o: ApplicableObligation) -> dict[str, Any]:
    return {"id": o.id, "article": o.article, "applies_from": o.applies_from.isoformat()}


def _periods(o: ApplicableObligation) -> list[str]:
    return [f"{p.label}: {p.text}" for p in o.periods]


def diff_results(old: ClassificationResult, new: ClassificationResult) -> dict[str, Any]:
    """Compare two classifications (e.g. under two law versions) for ``reclassify --dry-run``.

    Returns JSON-compatible data: ``changed`` (bool), ``law_version``/``as_of`` (old/new), ``risk_class`` (old/new
    or None), ``flags`` (only changed ones, ``status`` complete/incomplete included), ``effective_roles``
    (added/removed), ``obligations_added``, ``obligations_removed`` and ``obligations_changed`` (applies_from,
    in_force_on_as_of, verified, periods).
    """
    flag_names = ("is_gpai_model", "gpai_systemic_risk", "fria_required", "art_6_3_derogation_record_required")
    flags = {
        name: {"old": getattr(old, name), "new": getattr(new, name)}
        for name in flag_names
        if getattr(old, name) != getattr(new, name)
    }
    if old.status is not new.status:
        flags["status"] = {"old": old.status.value, "new": new.status.value}
    old_obs = {o.id: o for o in old.obligations}
    new_obs = {o.id: o for o in new.obligations}
    changed_obs = []
    for oid in (oid for oid in new_obs if oid in old_obs):
        a, b = old_obs[oid], new_obs[oid]
        changes: dict[str, Any] = {}
        if a.applies_from != b.applies_from:
            changes["applies_from"] = {"old": a.applies_from.isoformat(), "new": b.applies_from.isoformat()}
        if a.in_force_on_as_of != b.in_force_on_as_of:
            changes["in_force_on_as_of"] = {"old": a.in_force_on_as_of, "new": b.in_force_on_as_of}
        if a.verified != b.verified:
            changes["verified"] = {"old": a.verified, "new": b.verified}
        if a.periods != b.periods:
            changes["periods"] = {"old": _periods(a), "new": _periods(b)}
        if changes:
            changed_obs.append({"id": oid, "article": b.article, "changes": changes})
    old_roles, new_roles = set(old.effective_roles), set(new.effective_roles)
    diff: dict[str, Any] = {
        "law_version": {"old": old.law_version, "new": new.law_version},
        "as_of": {"old": old.as_of.isoformat(), "new": new.as_of.isoformat()},
        "risk_class": (
            {"old": old.risk_class.value, "new": new.risk_class.value} if old.risk_class != new.risk_class else None
        ),
        "flags": flags,
        "effective_roles": {
            "added": [r.value for r in _ordered_roles(new_roles - old_roles)],
            "removed": [r.value for r in _ordered_roles(old_roles - new_roles)],
        },
        "obligations_added": [_ob_summary(o) for oid, o in new_obs.items() if oid not in old_obs],
        "obligations_removed": [_ob_summary(o) for oid, o in old_obs.items() if oid not in new_obs],
        "obligations_changed": changed_obs,
    }
    diff["changed"] = bool(
        diff["risk_class"]
        or flags
        or diff["effective_roles"]["added"]
        or diff["effective_roles"]["removed"]
        or diff["obligations_added"]
        or diff["obligations_removed"]
        or changed_obs
    )
    return diff
