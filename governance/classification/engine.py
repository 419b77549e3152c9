"""The EU AI Act classification engine: facts + law version + as-of date -> risk class, roles, obligations.

Order of evaluation (reference section 1, Regulation (EU) 2024/1689):

1. Art. 2 scope exclusions (military, sole-purpose research, pre-market R&D, personal use): terminal, out of scope.
2. Art. 3(1): not an AI system -> out of scope for the AI-system regime (a GPAI model is still assessed).
3. Art. 5 screen with each practice's exception; a match is terminal (prohibited; only the ban is listed).
4. Art. 6(1) + Annex I (safety component/product and third-party conformity assessment).
5. Art. 6(2) + Annex III, carve-outs, then the Art. 6(3) derogation (never when profiling).
6. Art. 25 role overlay (the organisation becomes provider of a high-risk system).
7. Art. 50 transparency, cumulative with high risk; otherwise minimal (Art. 4 still applies).
8. Art. 2(12) free/open-source exclusion, which only bites when nothing above matched.
9. GPAI model track (Arts. 51-55), in parallel, for the model provider.
10. Obligations from the law version's catalogue, filtered by condition and the organisation's effective roles,
    dated from the law version's milestones (Art. 113 / amended dates).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from governance.classification.facts import (
    ANNEX_III_CARVE_OUT_POINT,
    AnnexIIIPoint,
    Facts,
    Role,
    annex_iii_label,
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
    ApplicableObligation,
    ClassificationResult,
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
    ("personal_non_professional_use", "Art. 2(10)", "used in a purely personal non-professional activity"),
)

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
    Condition.ART_50_4_TEXT: "Art. 50(4)",
}


def list_law_versions() -> tuple[str, ...]:
    """Return the ids of the known law versions, oldest first (e.g. ``eu-ai-act-2024``, ``eu-ai-act-2026``).

    Use :func:`governance.classification.law.get_law_version` for the full data (EU AI Act Art. 113 dates etc.).
    """
    return tuple(v.id for v in _list_law_versions())


def _ordered_roles(roles: Iterable[Role]) -> tuple[Role, ...]:
    wanted = set(roles)
    return tuple(r for r in Role if r in wanted)


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

    def step(self, provision: str, outcome: Outcome, reason: str, *facts: str) -> None:
        self.steps.append(RationaleStep(provision, outcome, reason, facts))

    @property
    def high(self) -> bool:
        return self.annex_i_high or self.annex_iii_high

    # ---------------------------------------------------------------------------------------------- system track

    def scope_excluded(self) -> bool:
        """Art. 2(3), (6), (8), (10): terminal exclusions."""
        excluded = False
        for name, provision, reason in _SCOPE_EXCLUSIONS:
            if getattr(self.facts.scope, name):
                self.step(provision, Outcome.MATCHED, f"Out of scope: {reason}.", f"scope.{name}")
                excluded = True
        return excluded

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
            if exception is None:
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
        for point in self.implied_points:
            if point not in a3.points:
                self.step(
                    annex_iii_label(point),
                    Outcome.MATCHED,
                    "Listed in Annex III because the Art. 5 exception above leaves the practice permitted.",
                )
        points = list(_ordered_points([*a3.points, *self.implied_points]))
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
            self.step(
                "Art. 6(3)",
                Outcome.DEROGATED,
                "Not high-risk under Annex III: " + "; ".join(text for _, text in met) + "; no profiling.",
                *(f"art_6_3.{name}" for name, _ in met),
            )
        else:
            self.annex_iii_high = True
            self.step(
                f"Art. 6(2) + {labels}",
                Outcome.MATCHED,
                "High-risk: Annex III use case and no Art. 6(3) condition applies.",
                "annex_iii.points",
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
        if t.generates_deep_fake:
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

    def _transparency(self, condition: Condition, reason: str, fact: str) -> None:
        self.transparency[condition] = _ART_50[condition]
        stacked = " Stacks on the high-risk duties." if self.high else ""
        self.step(_ART_50[condition], Outcome.MATCHED, f"Transparency duty: {reason}{stacked}", fact)

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
                "Risk class: minimal - no Art. 5, 6 or 50 provision matched; Art. 4 AI literacy still applies.",
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
        else:
            self.step(
                "Art. 27(1)",
                Outcome.NOT_APPLICABLE,
                "No FRIA: private deployer not providing public services, and no Annex III 5(b)/5(c) use.",
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
        self.systemic = self.compute_threshold_met or g.commission_designated_systemic_risk
        if g.free_open_source_model:
            outcome, reason = (
                (Outcome.NOT_APPLICABLE, "Open-source exemption unavailable for models with systemic risk.")
                if self.systemic
                else (Outcome.EXCEPTED, "Open-source model: exempt from Art. 53(1)(a)-(b).")
            )
            self.step("Art. 53(2)", outcome, reason, "gpai.free_open_source_model")
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
            Condition.HIGH_RISK_WORKPLACE: lambda: hr_duties and self.facts.deployer.used_at_workplace,
            Condition.HIGH_RISK_ANNEX_III_PUBLIC_BODY: lambda: self.annex_iii_high and self.facts.deployer.public_body,
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
        roles = _ordered_roles(rule.roles & self.effective_roles)
        if not roles or not self.condition_holds(rule.condition):
            return None
        if rule.milestone is Milestone.HIGH_RISK_ROUTE:
            applies_from, verified, note = self.high_risk_date()
        else:
            dated = self.law.milestone_date(rule.milestone)
            applies_from, verified, note = dated.applies_from, dated.verified, dated.note
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
            for p in self.prohibited
        )

    def result(self, obligations: tuple[ApplicableObligation, ...]) -> ClassificationResult:
        derogation_record = self.derogation_applied and not self.high and Role.PROVIDER in self.effective_roles
        if self.derogation_applied and not self.high and not derogation_record:
            self.notes.append("Art. 6(3) derogation: the provider must document and register it (Art. 6(4), 49(2)).")
        unverified = [o.article for o in obligations if not o.verified]
        if unverified:
            self.notes.append(f"Unverified law data ({self.law.id}) used for: {', '.join(unverified)}.")
        return ClassificationResult(
            law_version=self.law.id,
            as_of=self.as_of,
            risk_class=self.risk_class,
            prohibited_practices=tuple(p.provision for p in self.prohibited),
            high_risk_routes=self._routes(),
            annex_iii_points=self.annex_iii_points,
            transparency_duties=tuple(dict.fromkeys(self.transparency.values())),
            is_gpai_model=self.facts.gpai.is_gpai_model,
            gpai_systemic_risk=self.facts.gpai.is_gpai_model
            and (
                self.facts.gpai.commission_designated_systemic_risk
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
        )

    def _routes(self) -> tuple[str, ...]:
        routes = []
        if self.annex_i_high and self.facts.annex_i.act is not None:
            routes.append(f"Art. 6(1) + Annex I ({self.facts.annex_i.act.value})")
        if self.annex_iii_high:
            routes.extend(f"Art. 6(2) + {annex_iii_label(p)}" for p in self.annex_iii_points)
        return tuple(routes)


def classify(facts: Facts, *, law_version: str, as_of: date) -> ClassificationResult:
    """Classify an AI system under the EU AI Act (Regulation (EU) 2024/1689, Arts. 2-6, 25, 27, 50-55).

    ``law_version`` selects the dated rules (see :func:`list_law_versions`); ``as_of`` decides each obligation's
    ``in_force_on_as_of``. Raises :class:`~governance.classification.law.UnknownLawVersion` for an unknown id.
    """
    law = get_law_version(law_version)
    ev = _Evaluation(facts=facts, law=law, as_of=as_of, effective_roles=set(facts.roles))
    if ev.scope_excluded():
        ev.risk_class = RiskClass.OUT_OF_SCOPE
        return ev.result(())
    if not facts.scope.is_ai_system:
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
            ev.step("Art. 5", Outcome.DECIDED, "Risk class: prohibited; no other obligations are listed.")
            return ev.result(ev.prohibition_obligations())
        ev.route_annex_i()
        ev.route_annex_iii()
        ev.overlay_roles()
        ev.screen_art_50()
        ev.decide_class()
        ev.decide_fria()
        if ev.high and ev.facts.deployer.public_body:
            legacy = law.milestone_date(Milestone.PUBLIC_AUTHORITY_LEGACY).applies_from
            ev.notes.append(
                f"Art. 111(2): if already on the market before the high-risk date and intended for public authorities, "
                f"compliance is due by {legacy.isoformat()}."
            )
    ev.gpai_track()
    obligations = tuple(o for o in (ev.resolve(rule) for rule in law.obligations) if o is not None)
    return ev.result(obligations)


# ------------------------------------------------------------------------------------------------------------------


def _ob_summary(o: ApplicableObligation) -> dict[str, Any]:
    return {"id": o.id, "article": o.article, "applies_from": o.applies_from.isoformat()}


def _periods(o: ApplicableObligation) -> list[str]:
    return [f"{p.label}: {p.text}" for p in o.periods]


def diff_results(old: ClassificationResult, new: ClassificationResult) -> dict[str, Any]:
    """Compare two classifications (e.g. under two law versions) for ``reclassify --dry-run``.

    Returns JSON-compatible data: ``changed`` (bool), ``law_version``/``as_of`` (old/new), ``risk_class`` (old/new
    or None), ``flags`` (only changed ones), ``effective_roles`` (added/removed), ``obligations_added``,
    ``obligations_removed`` and ``obligations_changed`` (applies_from, in_force_on_as_of, verified, periods).
    """
    flag_names = ("is_gpai_model", "gpai_systemic_risk", "fria_required", "art_6_3_derogation_record_required")
    flags = {
        name: {"old": getattr(old, name), "new": getattr(new, name)}
        for name in flag_names
        if getattr(old, name) != getattr(new, name)
    }
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
