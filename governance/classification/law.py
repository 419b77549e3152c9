"""The EU AI Act as versioned data: application dates, prohibited practices, Annex I sections, obligations.

The law changes (reference section 0), so nothing date- or article-specific is hard-coded in the engine: each
:class:`LawVersion` carries its own milestone dates, Art. 5 practices, Annex I section table and obligation
catalogue. Items resting on secondary sources only carry ``verified=False`` and a ``note``; a compliance officer
can correct them here without touching the engine.

Versions:

* ``eu-ai-act-2024`` - Regulation (EU) 2024/1689 as adopted (dates per Art. 113, Art. 111).
* ``eu-ai-act-2026`` - as amended by the 2026 "Digital Omnibus on AI" (COM(2025) 836; Parliament 16 Jun 2026,
  Council 29 Jun 2026; reported as Regulation (EU) 2026/1744, in force 27 Jul 2026). The Official Journal text was
  not at hand: every amended or carried-over item is ``verified=False`` and its note says which change comes from
  the amendment and on what source (docs/eu-ai-act-2026.md lists them).
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from governance.classification.facts import AnnexIAct, Role

__all__ = [
    "AnnexIEntry",
    "Condition",
    "DatedProvision",
    "LawVersion",
    "Milestone",
    "ObligationRule",
    "Period",
    "ProhibitedPractice",
    "UnknownLawVersion",
    "get_law_version",
    "list_law_versions",
]

_UNVERIFIED_OMNIBUS = (
    "Omnibus text (reported as Regulation (EU) 2026/1744) not verified against the Official Journal; per secondary "
    "sources (see docs/eu-ai-act-2026.md)."
)
_AMENDED = "Amended by the 2026 Digital Omnibus: "


class Milestone(enum.StrEnum):
    """Named application dates (Art. 113 and the transitional Art. 111)."""

    AI_LITERACY = "ai_literacy"
    PROHIBITIONS = "prohibitions"
    GPAI = "gpai"
    TRANSPARENCY = "transparency"
    HIGH_RISK_ANNEX_III = "high_risk_annex_iii"
    HIGH_RISK_ANNEX_I = "high_risk_annex_i"
    GPAI_LEGACY_MODELS = "gpai_legacy_models"
    PUBLIC_AUTHORITY_LEGACY = "public_authority_legacy"
    #: Art. 111(2): high-risk systems placed on the market or put into service before this date are grandfathered.
    HIGH_RISK_LEGACY_CUTOFF = "high_risk_legacy_cutoff"
    #: Art. 111(1): Annex X large-scale IT components placed before 2 Aug 2027 comply by this date.
    LARGE_SCALE_IT_LEGACY = "large_scale_it_legacy"
    #: Art. 111(4), added in 2026: Art. 50(2) marking for generative systems on the market before the transparency
    #: date applies from this date (only in versions that have the grace period).
    MARKING_LEGACY = "marking_legacy"
    #: Not a date of its own: the engine resolves it to the earliest high-risk milestone of the route(s) that made
    #: the system high-risk (Annex III and/or Annex I).
    HIGH_RISK_ROUTE = "high_risk_route"


class Condition(enum.StrEnum):
    """When an obligation rule applies; each value is evaluated by the engine against the derived classification."""

    ANY_AI_SYSTEM = "any_ai_system"
    HIGH_RISK = "high_risk"
    HIGH_RISK_ANNEX_III = "high_risk_annex_iii"
    HIGH_RISK_ANNEX_III_NOT_POINT_2 = "high_risk_annex_iii_not_point_2"
    HIGH_RISK_WORKPLACE = "high_risk_workplace"
    HIGH_RISK_ANNEX_III_PUBLIC_BODY = "high_risk_annex_iii_public_body"
    #: Art. 26(8) / 49(3): public-authority deployers register their use, except for Annex III point 2.
    HIGH_RISK_ANNEX_III_PUBLIC_BODY_NOT_POINT_2 = "high_risk_annex_iii_public_body_not_point_2"
    #: Art. 49(4): Annex III points 6 and 7 (law enforcement, migration, asylum, border control) register in the
    #: secure non-public section of the EU database.
    HIGH_RISK_ANNEX_III_RESTRICTED_SECTION = "high_risk_annex_iii_restricted_section"
    #: Art. 49(5): Annex III point 2 (critical infrastructure) registers at national level.
    HIGH_RISK_ANNEX_III_POINT_2 = "high_risk_annex_iii_point_2"
    FRIA = "fria"
    ART_6_3_DEROGATION = "art_6_3_derogation"
    ART_50_1 = "art_50_1"
    ART_50_2 = "art_50_2"
    ART_50_3 = "art_50_3"
    ART_50_4_DEEP_FAKE = "art_50_4_deep_fake"
    ART_50_4_DEEP_FAKE_ARTISTIC = "art_50_4_deep_fake_artistic"
    ART_50_4_TEXT = "art_50_4_text"
    GPAI = "gpai"
    GPAI_NOT_OPEN_SOURCE_EXEMPT = "gpai_not_open_source_exempt"
    GPAI_COMPUTE_THRESHOLD = "gpai_compute_threshold"
    GPAI_SYSTEMIC = "gpai_systemic"


@dataclass(frozen=True)
class Period:
    """A deadline or retention period, as text and structured (Art. 73 days, Art. 19 months, Art. 18 years...)."""

    label: str
    text: str
    days: int | None = None
    months: int | None = None
    years: int | None = None


@dataclass(frozen=True)
class DatedProvision:
    """The date from which a group of provisions applies in a law version."""

    applies_from: date
    description: str
    verified: bool = True
    note: str = ""


@dataclass(frozen=True)
class ProhibitedPractice:
    """One Art. 5 practice: the :class:`~governance.classification.facts.Art5Facts` field that triggers it."""

    fact: str
    provision: str
    summary: str
    applies_from: date
    verified: bool = True
    note: str = ""


@dataclass(frozen=True)
class AnnexIEntry:
    """Annex I section of one harmonisation act (section B: only Art. 6(1), 102-109, 112 apply, Art. 2(2))."""

    section: str
    verified: bool = True
    note: str = ""


@dataclass(frozen=True)
class ObligationRule:
    """One catalogue entry: article, one-line duty, roles, condition, milestone and periods."""

    id: str
    article: str
    duty: str
    roles: frozenset[Role]
    condition: Condition
    milestone: Milestone
    periods: tuple[Period, ...] = ()
    verified: bool = True
    note: str = ""


@dataclass(frozen=True, eq=False)
class LawVersion:
    """One version of the law: identity, dates and the data the engine applies (Regulation (EU) 2024/1689)."""

    id: str
    title: str
    reference: str
    adopted: date | None
    published: date | None
    entry_into_force: date
    verified: bool
    notes: tuple[str, ...]
    milestones: Mapping[Milestone, DatedProvision]
    prohibited_practices: tuple[ProhibitedPractice, ...]
    annex_i: Mapping[AnnexIAct, AnnexIEntry]
    obligations: tuple[ObligationRule, ...]
    gpai_systemic_flop_threshold: float = 1e25
    #: Art. 111(2) as amended in 2026: the legacy cut-off is the Chapter III application date of the system's route,
    #: not the fixed HIGH_RISK_LEGACY_CUTOFF milestone.
    legacy_cutoff_follows_application_date: bool = False
    #: Art. 111(1): Annex X components placed on the market before this date get the LARGE_SCALE_IT_LEGACY date.
    annex_x_cutoff: date = date(2027, 8, 2)

    def milestone_date(self, milestone: Milestone) -> DatedProvision:
        """Return the dated provision for ``milestone`` (not :attr:`Milestone.HIGH_RISK_ROUTE`)."""
        return self.milestones[milestone]


class UnknownLawVersion(ValueError):
    """Raised for a law-version id that is not in the catalogue."""


# --------------------------------------------------------------------------------------------------------------------
# Shared catalogue
# --------------------------------------------------------------------------------------------------------------------

P = Role.PROVIDER
D = Role.DEPLOYER

_TEN_YEARS = Period(
    "retention", "keep for 10 years after the system is placed on the market or put into service", years=10
)
_SIX_MONTHS = Period("retention", "keep automatically generated logs for at least six months", months=6)


def _catalogue() -> tuple[ObligationRule, ...]:
    """The obligation catalogue of Regulation (EU) 2024/1689 (reference section 7)."""
    hr = Condition.HIGH_RISK
    route = Milestone.HIGH_RISK_ROUTE
    annex_iii = Milestone.HIGH_RISK_ANNEX_III

    def provider(oid: str, article: str, duty: str, *periods: Period) -> ObligationRule:
        return ObligationRule(oid, article, duty, frozenset({P}), hr, route, periods)

    return (
        ObligationRule(
            "art-4",
            "Art. 4",
            "Take measures to ensure a sufficient level of AI literacy of staff dealing with AI systems.",
            frozenset({P, D}),
            Condition.ANY_AI_SYSTEM,
            Milestone.AI_LITERACY,
        ),
        # High-risk: providers (Arts. 9-20, 43, 47-49, 72, 73)
        provider("art-9", "Art. 9", "Establish and maintain a risk management system over the lifecycle."),
        provider(
            "art-10",
            "Art. 10",
            "Data governance for training, validation and test data, incl. bias examination and mitigation "
            "(Art. 10(2)(f)-(g)).",
        ),
        provider("art-11", "Art. 11", "Draw up and keep up to date technical documentation per Annex IV."),
        provider("art-12", "Art. 12", "Enable automatic recording of events (logs) over the system's lifetime."),
        provider("art-13", "Art. 13", "Design for transparency and provide instructions for use to deployers."),
        provider("art-14", "Art. 14", "Design for effective human oversight."),
        provider("art-15", "Art. 15", "Achieve appropriate accuracy, robustness and cybersecurity."),
        provider("art-16", "Art. 16", "Meet the provider duties: name and contact on the system, compliance, etc."),
        provider("art-17", "Art. 17", "Put a quality management system in place."),
        provider(
            "art-18", "Art. 18", "Keep the technical documentation, QMS documentation and declaration.", _TEN_YEARS
        ),
        provider(
            "art-19", "Art. 19", "Keep the automatically generated logs under the provider's control.", _SIX_MONTHS
        ),
        provider(
            "art-20",
            "Art. 20",
            "Take corrective action on non-conformity and inform distributors, deployers and authorities.",
            Period("deadline", "immediately"),
        ),
        provider(
            "art-43",
            "Art. 43",
            "Undergo conformity assessment (Annex III points 2-8: internal control; point 1: notified body unless "
            "harmonised standards fully applied; Annex I: the sectoral procedure).",
        ),
        provider(
            "art-47",
            "Art. 47",
            "Draw up the EU declaration of conformity and keep it at the authorities' disposal.",
            _TEN_YEARS,
        ),
        provider("art-48", "Art. 48", "Affix the CE marking."),
        ObligationRule(
            "art-49-1",
            "Art. 49(1)",
            "Register the provider and the system in the EU database before placing on the market.",
            frozenset({P}),
            Condition.HIGH_RISK_ANNEX_III_NOT_POINT_2,
            annex_iii,
        ),
        provider("art-72", "Art. 72", "Establish and document a post-market monitoring system and plan."),
        provider(
            "art-73",
            "Art. 73",
            "Report serious incidents to the market surveillance authority.",
            Period("serious incident", "not later than 15 days after becoming aware", days=15),
            Period("death of a person", "not later than 10 days after becoming aware", days=10),
            Period(
                "widespread infringement or critical infrastructure disruption",
                "not later than 2 days after becoming aware",
                days=2,
            ),
        ),
        # High-risk: other operators (Arts. 22-24)
        ObligationRule(
            "art-22",
            "Art. 22",
            "As authorised representative, perform the mandate: verify documentation, keep it, cooperate.",
            frozenset({Role.AUTHORISED_REPRESENTATIVE}),
            hr,
            route,
            (_TEN_YEARS,),
        ),
        ObligationRule(
            "art-23",
            "Art. 23",
            "As importer, verify conformity assessment, documentation, CE marking and representative before import.",
            frozenset({Role.IMPORTER}),
            hr,
            route,
            (_TEN_YEARS,),
        ),
        ObligationRule(
            "art-24",
            "Art. 24",
            "As distributor, verify CE marking, declaration and instructions; do not supply non-conforming systems.",
            frozenset({Role.DISTRIBUTOR}),
            hr,
            route,
        ),
        # High-risk: deployers (Arts. 26, 27, 86)
        ObligationRule(
            "art-26",
            "Art. 26",
            "Use per instructions, assign competent human oversight, ensure relevant input data, monitor, suspend and "
            "inform the provider/authorities of risks and serious incidents.",
            frozenset({D}),
            hr,
            route,
        ),
        ObligationRule(
            "art-26-6",
            "Art. 26(6)",
            "Keep the automatically generated logs under the deployer's control.",
            frozenset({D}),
            hr,
            route,
            (_SIX_MONTHS,),
        ),
        ObligationRule(
            "art-26-7",
            "Art. 26(7)",
            "Inform workers' representatives and affected workers before putting the system into use at work.",
            frozenset({D}),
            Condition.HIGH_RISK_WORKPLACE,
            route,
            (Period("deadline", "before putting into service or use at the workplace"),),
        ),
        ObligationRule(
            "art-26-8",
            "Art. 26(8)",
            "As a public authority deployer, register the use in the EU database (Art. 49(3)); not for Annex III "
            "point 2, which Art. 49(3) excludes.",
            frozenset({D}),
            Condition.HIGH_RISK_ANNEX_III_PUBLIC_BODY_NOT_POINT_2,
            annex_iii,
            (Period("deadline", "before putting into service or using the system"),),
        ),
        ObligationRule(
            "art-49-4",
            "Art. 49(4)",
            "Make the Art. 49(1)/(3) registration in the secure non-public section of the EU database (law "
            "enforcement, migration, asylum and border control: Annex III points 6 and 7; point 1 when used in those "
            "areas), with only the Annex VIII data that section holds.",
            frozenset({P, D}),
            Condition.HIGH_RISK_ANNEX_III_RESTRICTED_SECTION,
            annex_iii,
        ),
        ObligationRule(
            "art-49-5",
            "Art. 49(5)",
            "Register the Annex III point 2 (critical infrastructure) system at national level, not in the EU "
            "database.",
            frozenset({P}),
            Condition.HIGH_RISK_ANNEX_III_POINT_2,
            annex_iii,
            (Period("deadline", "before placing on the market or putting into service"),),
        ),
        ObligationRule(
            "art-26-11",
            "Art. 26(11)",
            "Inform natural persons that they are subject to the use of an Annex III high-risk system.",
            frozenset({D}),
            Condition.HIGH_RISK_ANNEX_III,
            annex_iii,
        ),
        ObligationRule(
            "art-27",
            "Art. 27",
            "Perform a fundamental rights impact assessment and notify its results to the market surveillance "
            "authority.",
            frozenset({D}),
            Condition.FRIA,
            annex_iii,
            (Period("deadline", "before first use of the system"),),
        ),
        ObligationRule(
            "art-86",
            "Art. 86",
            "Give affected persons a clear and meaningful explanation of decisions on request.",
            frozenset({D}),
            Condition.HIGH_RISK_ANNEX_III_NOT_POINT_2,
            annex_iii,
        ),
        # Art. 6(3) derogation (Art. 6(4), Art. 49(2))
        ObligationRule(
            "art-6-4",
            "Art. 6(4)",
            "Document the assessment that the Annex III system is not high-risk and provide it to authorities on "
            "request.",
            frozenset({P}),
            Condition.ART_6_3_DEROGATION,
            annex_iii,
            (Period("deadline", "before placing on the market or putting into service"),),
        ),
        ObligationRule(
            "art-49-2",
            "Art. 49(2)",
            "Register the system in the EU database as an Annex III system assessed as not high-risk.",
            frozenset({P}),
            Condition.ART_6_3_DEROGATION,
            annex_iii,
            (Period("deadline", "before placing on the market or putting into service"),),
        ),
        # Art. 50 transparency (cumulative)
        ObligationRule(
            "art-50-1",
            "Art. 50(1)",
            "Design the system so that people are informed they are interacting with an AI system.",
            frozenset({P}),
            Condition.ART_50_1,
            Milestone.TRANSPARENCY,
            (Period("deadline", "at the latest at the time of the first interaction"),),
        ),
        ObligationRule(
            "art-50-2",
            "Art. 50(2)",
            "Mark synthetic audio, image, video or text outputs machine-readably and detectably as AI-generated.",
            frozenset({P}),
            Condition.ART_50_2,
            Milestone.TRANSPARENCY,
        ),
        ObligationRule(
            "art-50-3",
            "Art. 50(3)",
            "Inform exposed persons of the operation of the emotion recognition or biometric categorisation system.",
            frozenset({D}),
            Condition.ART_50_3,
            Milestone.TRANSPARENCY,
            (Period("deadline", "at the latest at the time of first exposure"),),
        ),
        ObligationRule(
            "art-50-4-deep-fake",
            "Art. 50(4)",
            "Disclose that deep-fake image, audio or video content has been artificially generated or manipulated.",
            frozenset({D}),
            Condition.ART_50_4_DEEP_FAKE,
            Milestone.TRANSPARENCY,
        ),
        ObligationRule(
            "art-50-4-deep-fake-artistic",
            "Art. 50(4)",
            "Disclose the existence of generated or manipulated content in the evidently artistic, creative, "
            "satirical or fictional work, in a manner that does not hamper its display or enjoyment.",
            frozenset({D}),
            Condition.ART_50_4_DEEP_FAKE_ARTISTIC,
            Milestone.TRANSPARENCY,
        ),
        ObligationRule(
            "art-50-4-text",
            "Art. 50(4)",
            "Disclose that text published to inform the public on matters of public interest is AI-generated.",
            frozenset({D}),
            Condition.ART_50_4_TEXT,
            Milestone.TRANSPARENCY,
        ),
        # GPAI model providers (Arts. 52-55)
        ObligationRule(
            "art-53-1-a",
            "Art. 53(1)(a)",
            "Draw up and keep up to date the model's technical documentation (Annex XI).",
            frozenset({P}),
            Condition.GPAI_NOT_OPEN_SOURCE_EXEMPT,
            Milestone.GPAI,
        ),
        ObligationRule(
            "art-53-1-b",
            "Art. 53(1)(b)",
            "Provide information and documentation to downstream providers (Annex XII).",
            frozenset({P}),
            Condition.GPAI_NOT_OPEN_SOURCE_EXEMPT,
            Milestone.GPAI,
        ),
        ObligationRule(
            "art-53-1-c",
            "Art. 53(1)(c)",
            "Put in place a policy to comply with Union copyright law, incl. text-and-data-mining opt-outs.",
            frozenset({P}),
            Condition.GPAI,
            Milestone.GPAI,
        ),
        ObligationRule(
            "art-53-1-d",
            "Art. 53(1)(d)",
            "Publish a sufficiently detailed summary of the content used for training.",
            frozenset({P}),
            Condition.GPAI,
            Milestone.GPAI,
        ),
        ObligationRule(
            "art-52-1",
            "Art. 52(1)",
            "Notify the Commission that the model meets the systemic-risk compute threshold.",
            frozenset({P}),
            Condition.GPAI_COMPUTE_THRESHOLD,
            Milestone.GPAI,
            (Period("deadline", "without delay and in any event within two weeks", days=14),),
        ),
        ObligationRule(
            "art-55-1-a",
            "Art. 55(1)(a)",
            "Perform model evaluation, including adversarial testing.",
            frozenset({P}),
            Condition.GPAI_SYSTEMIC,
            Milestone.GPAI,
        ),
        ObligationRule(
            "art-55-1-b",
            "Art. 55(1)(b)",
            "Assess and mitigate possible systemic risks at Union level.",
            frozenset({P}),
            Condition.GPAI_SYSTEMIC,
            Milestone.GPAI,
        ),
        ObligationRule(
            "art-55-1-c",
            "Art. 55(1)(c)",
            "Track, document and report serious incidents and corrective measures to the AI Office.",
            frozenset({P}),
            Condition.GPAI_SYSTEMIC,
            Milestone.GPAI,
            (Period("deadline", "without undue delay"),),
        ),
        ObligationRule(
            "art-55-1-d",
            "Art. 55(1)(d)",
            "Ensure an adequate level of cybersecurity protection for the model and its infrastructure.",
            frozenset({P}),
            Condition.GPAI_SYSTEMIC,
            Milestone.GPAI,
        ),
    )


def _practices(prohibitions_from: date) -> tuple[ProhibitedPractice, ...]:
    return (
        ProhibitedPractice(
            "manipulative_or_deceptive_techniques",
            "Art. 5(1)(a)",
            "subliminal, manipulative or deceptive techniques causing significant harm",
            prohibitions_from,
        ),
        ProhibitedPractice(
            "exploits_vulnerabilities",
            "Art. 5(1)(b)",
            "exploitation of vulnerabilities due to age, disability or social/economic situation",
            prohibitions_from,
        ),
        ProhibitedPractice(
            "social_scoring",
            "Art. 5(1)(c)",
            "social scoring leading to detrimental or disproportionate treatment",
            prohibitions_from,
        ),
        ProhibitedPractice(
            "crime_prediction_solely_profiling",
            "Art. 5(1)(d)",
            "predicting criminal offences solely from profiling or personality traits",
            prohibitions_from,
        ),
        ProhibitedPractice(
            "untargeted_facial_image_scraping",
            "Art. 5(1)(e)",
            "untargeted scraping of facial images to build face-recognition databases",
            prohibitions_from,
        ),
        ProhibitedPractice(
            "emotion_recognition_workplace_or_education",
            "Art. 5(1)(f)",
            "emotion recognition in the workplace or education",
            prohibitions_from,
        ),
        ProhibitedPractice(
            "biometric_categorisation_sensitive_attributes",
            "Art. 5(1)(g)",
            "biometric categorisation inferring sensitive attributes",
            prohibitions_from,
        ),
        ProhibitedPractice(
            "realtime_remote_biometric_identification",
            "Art. 5(1)(h)",
            "real-time remote biometric identification in public spaces for law enforcement",
            prohibitions_from,
        ),
    )


_ANNEX_I_SECTION_B = {
    AnnexIAct.CIVIL_AVIATION_SECURITY,
    AnnexIAct.TWO_THREE_WHEEL_VEHICLES,
    AnnexIAct.AGRICULTURAL_VEHICLES,
    AnnexIAct.MARINE_EQUIPMENT,
    AnnexIAct.RAIL_INTEROPERABILITY,
    AnnexIAct.MOTOR_VEHICLES,
    AnnexIAct.VEHICLE_GENERAL_SAFETY,
    AnnexIAct.CIVIL_AVIATION,
}


def _annex_i_2024() -> dict[AnnexIAct, AnnexIEntry]:
    table = {act: AnnexIEntry("B" if act in _ANNEX_I_SECTION_B else "A") for act in AnnexIAct}
    table[AnnexIAct.MACHINERY_REGULATION] = AnnexIEntry(
        "A",
        note="Annex I lists Directive 2006/42/EC; references to it are read as references to Regulation (EU) "
        "2023/1230, which replaces it.",
    )
    return table


def _build_2024() -> LawVersion:
    milestones = {
        Milestone.AI_LITERACY: DatedProvision(date(2025, 2, 2), "Chapters I-II: Art. 4 AI literacy (Art. 113(a))."),
        Milestone.PROHIBITIONS: DatedProvision(date(2025, 2, 2), "Chapter II: Art. 5 prohibitions (Art. 113(a))."),
        Milestone.GPAI: DatedProvision(date(2025, 8, 2), "Chapter V GPAI models, governance, penalties (Art. 113(b))."),
        Milestone.TRANSPARENCY: DatedProvision(date(2026, 8, 2), "Art. 50 transparency (general date, Art. 113)."),
        Milestone.HIGH_RISK_ANNEX_III: DatedProvision(
            date(2026, 8, 2), "Annex III high-risk regime (Arts. 6(2)-49, 26, 27, 72, 73; Art. 113)."
        ),
        Milestone.HIGH_RISK_ANNEX_I: DatedProvision(
            date(2027, 8, 2), "Art. 6(1) / Annex I high-risk and its obligations (Art. 113(c))."
        ),
        Milestone.GPAI_LEGACY_MODELS: DatedProvision(
            date(2027, 8, 2), "GPAI models placed on the market before 2 Aug 2025 (Art. 111(3))."
        ),
        Milestone.PUBLIC_AUTHORITY_LEGACY: DatedProvision(
            date(2030, 8, 2), "High-risk systems for public authorities already on the market (Art. 111(2))."
        ),
        Milestone.HIGH_RISK_LEGACY_CUTOFF: DatedProvision(
            date(2026, 8, 2), "High-risk systems on the market before this date are grandfathered (Art. 111(2))."
        ),
        Milestone.LARGE_SCALE_IT_LEGACY: DatedProvision(
            date(2030, 12, 31), "Annex X large-scale IT components placed before 2 Aug 2027 (Art. 111(1))."
        ),
    }
    return LawVersion(
        id="eu-ai-act-2024",
        title="Regulation (EU) 2024/1689 (Artificial Intelligence Act), as adopted",
        reference="OJ L, 2024/1689, 12.7.2024; CELEX 32024R1689",
        adopted=date(2024, 6, 13),
        published=date(2024, 7, 12),
        entry_into_force=date(2024, 8, 1),
        verified=True,
        notes=(),
        milestones=milestones,
        prohibited_practices=_practices(date(2025, 2, 2)),
        annex_i=_annex_i_2024(),
        obligations=_catalogue(),
    )


def _build_2026(base: LawVersion) -> LawVersion:
    def unverified(provision: DatedProvision, new_date: date | None = None, note: str = "") -> DatedProvision:
        return dataclasses.replace(
            provision,
            applies_from=new_date or provision.applies_from,
            verified=False,
            note=note or "Date unchanged by the 2026 amendment (secondary sources).",
        )

    m = base.milestones
    milestones = {
        **{key: unverified(value) for key, value in m.items()},
        Milestone.TRANSPARENCY: unverified(
            m[Milestone.TRANSPARENCY],
            note="Art. 50 unchanged (2 Aug 2026); Art. 50(2) marking for systems already on the market: see Art. "
            "111(4). " + _UNVERIFIED_OMNIBUS,
        ),
        Milestone.HIGH_RISK_ANNEX_III: unverified(
            m[Milestone.HIGH_RISK_ANNEX_III],
            date(2027, 12, 2),
            _AMENDED + "Annex III high-risk rules from 2 Dec 2027 (was 2 Aug 2026), a fixed date (Art. 113(3)(c) as "
            "amended; the proposal's standards-linked trigger was not kept). " + _UNVERIFIED_OMNIBUS,
        ),
        Milestone.HIGH_RISK_ANNEX_I: unverified(
            m[Milestone.HIGH_RISK_ANNEX_I],
            date(2028, 8, 2),
            _AMENDED + "Annex I / Art. 6(1) high-risk rules from 2 Aug 2028 (was 2 Aug 2027). " + _UNVERIFIED_OMNIBUS,
        ),
        Milestone.HIGH_RISK_LEGACY_CUTOFF: unverified(
            m[Milestone.HIGH_RISK_LEGACY_CUTOFF],
            note=_AMENDED + "Art. 111(2) cut-off is the Chapter III application date of the system's route (one "
            "secondary source). " + _UNVERIFIED_OMNIBUS,
        ),
        Milestone.MARKING_LEGACY: DatedProvision(
            date(2026, 12, 2),
            "Art. 50(2) marking for generative systems placed on the market before 2 Aug 2026 (Art. 111(4)).",
            verified=False,
            note=_AMENDED
            + "new Art. 111(4): four-month grace period for Art. 50(2) marking only. "
            + _UNVERIFIED_OMNIBUS,
        ),
    }
    practices = (
        *base.prohibited_practices,
        ProhibitedPractice(
            "non_consensual_intimate_imagery",
            "Art. 5(1)(ba)",
            "non-consensual realistic intimate or sexual imagery, video or audio of an identifiable person",
            date(2026, 12, 2),
            verified=False,
            note=_AMENDED + "new ban (added by Parliament and Council, not in the proposal), from 2 Dec 2026; Art. "
            "5(1a) limits it to systems whose intended purpose or reasonably foreseeable outcome it is, without "
            "adequate safeguards. " + _UNVERIFIED_OMNIBUS,
        ),
        ProhibitedPractice(
            "child_sexual_abuse_material",
            "Art. 5(1)(bb)",
            "generation of child sexual abuse material",
            date(2026, 12, 2),
            verified=False,
            note=_AMENDED
            + "new ban on generating CSAM (Directive 2011/93/EU, Art. 2(c), (e)), from 2 Dec 2026. "
            + _UNVERIFIED_OMNIBUS,
        ),
    )
    annex_i = dict(base.annex_i)
    for act in (AnnexIAct.MACHINERY_DIRECTIVE, AnnexIAct.MACHINERY_REGULATION):
        annex_i[act] = AnnexIEntry(
            "B",
            verified=False,
            note=_AMENDED + "machinery moved to section B as Regulation 2023/1230. " + _UNVERIFIED_OMNIBUS,
        )

    def amend(rule: ObligationRule) -> ObligationRule:
        if rule.id == "art-4":
            return dataclasses.replace(
                rule,
                duty="Take measures to support the development of AI literacy of staff and others dealing with AI "
                "systems on the organisation's behalf (no guaranteed level for any individual).",
                verified=False,
                note=_AMENDED
                + "Art. 4 softened from 'ensure a sufficient level' to an effort duty; still on providers "
                "and deployers (the proposal's shift to Member States was not kept). " + _UNVERIFIED_OMNIBUS,
            )
        if rule.id == "art-49-2":
            return dataclasses.replace(
                rule,
                verified=False,
                note="Kept by the 2026 amendment: the Commission proposal dropped this registration (keeping only the "
                "assessment for the authorities), but Parliament reinstated it and the adopted text, as reported, "
                "keeps it (possibly simplified). " + _UNVERIFIED_OMNIBUS,
            )
        return rule

    return LawVersion(
        id="eu-ai-act-2026",
        title="Regulation (EU) 2024/1689 as amended by the 2026 Digital Omnibus on AI",
        reference="Reported as Regulation (EU) 2026/1744 of 8 July 2026, OJ L 24.7.2026 (unverified)",
        adopted=date(2026, 6, 29),
        published=None,
        entry_into_force=date(2026, 7, 27),
        verified=False,
        notes=(
            "Amendment voted by Parliament on 16 Jun 2026 and adopted by the Council on 29 Jun 2026; its number "
            "(2026/1744), publication (24 Jul 2026) and entry into force (27 Jul 2026) are from secondary sources.",
            "Penalties as amended: SMEs and small mid-caps (under 750 staff, up to EUR 150m turnover) pay the lower "
            "of the two fine caps (Art. 99(6), (6a)); the amounts are unchanged (secondary source).",
        ),
        milestones=milestones,
        prohibited_practices=practices,
        annex_i=annex_i,
        obligations=tuple(amend(rule) for rule in base.obligations),
        legacy_cutoff_follows_application_date=True,
    )


_V2024 = _build_2024()
_V2026 = _build_2026(_V2024)
_VERSIONS: dict[str, LawVersion] = {v.id: v for v in (_V2024, _V2026)}


def list_law_versions() -> tuple[LawVersion, ...]:
    """Return every known law version, oldest first (EU AI Act 2024/1689 and its amendments)."""
    return tuple(_VERSIONS.values())


def get_law_version(law_version: str) -> LawVersion:
    """Return the law version with id ``law_version`` or raise :class:`UnknownLawVersion` naming the known ids."""
    try:
        return _VERSIONS[law_version]
    except KeyError:
        raise UnknownLawVersion(f"unknown law version {law_version!r}; known: {', '.join(sorted(_VERSIONS))}") from None
