"""Classification facts: the factual questionnaire the EU AI Act engine classifies from.

Implements the "record facts, derive the class" rule of the reference: a compliance officer answers plain factual
questions (Regulation (EU) 2024/1689, Arts. 2, 3(1), 5, 6, 25, 27, 50, 51) and the engine derives the risk class,
roles, obligations and deadlines. Every question carries a title and a description in its dataclass field metadata;
the same metadata drives :func:`facts_from_dict` validation and :func:`facts_json_schema`, so the published schema
and the validator cannot drift apart.

Answers are three-valued: yes (``true``), no (``false``) and unknown (``null``, the default for an unanswered
question). The engine reads an unknown answer as "not claimed" (no trigger, no exception) and reports every unknown
answer that would change its outcome, so a result never states a negative nobody gave. Contradictory answers are
rejected (:data:`CONTRADICTIONS`). Pure Python: no Django imports.
"""

# _q()/_section() return dataclasses.field(...) carrying schema metadata, which RUF009 cannot see through.
# ruff: noqa: RUF009
from __future__ import annotations

import dataclasses
import enum
import types
import typing
from dataclasses import dataclass, field
from datetime import date
from typing import Any

__all__ = [
    "ANNEX_III_CARVE_OUT_POINT",
    "CONTRADICTIONS",
    "ENUM_DESCRIPTIONS",
    "AnnexIAct",
    "AnnexIFacts",
    "AnnexIIICarveOut",
    "AnnexIIIFacts",
    "AnnexIIIPoint",
    "Answer",
    "Art5Facts",
    "Art6_3Facts",
    "Art25Facts",
    "Art50Facts",
    "DeployerFacts",
    "Facts",
    "FactsValidationError",
    "GPAIFacts",
    "RbiObjective",
    "Role",
    "ScopeFacts",
    "TransitionFacts",
    "annex_iii_label",
    "facts_contradictions",
    "facts_from_dict",
    "facts_json_schema",
    "facts_to_dict",
]


# --------------------------------------------------------------------------------------------------------------------
# Enumerations
# --------------------------------------------------------------------------------------------------------------------


class Role(enum.StrEnum):
    """Operator roles defined in Art. 3(3)-(8) (provider, deployer, importer, distributor, product manufacturer,
    authorised representative). An organisation may hold several roles for the same system."""

    PROVIDER = "provider"
    DEPLOYER = "deployer"
    IMPORTER = "importer"
    DISTRIBUTOR = "distributor"
    PRODUCT_MANUFACTURER = "product_manufacturer"
    AUTHORISED_REPRESENTATIVE = "authorised_representative"


class AnnexIIIPoint(enum.StrEnum):
    """The 25 points of Annex III (high-risk areas, Art. 6(2)). Values are ``<area><letter>``; area 2 has no letter."""

    BIOMETRIC_REMOTE_IDENTIFICATION = "1a"
    BIOMETRIC_CATEGORISATION = "1b"
    EMOTION_RECOGNITION = "1c"
    CRITICAL_INFRASTRUCTURE = "2"
    EDUCATION_ADMISSION = "3a"
    EDUCATION_LEARNING_OUTCOMES = "3b"
    EDUCATION_LEVEL_ASSESSMENT = "3c"
    EDUCATION_TEST_MONITORING = "3d"
    EMPLOYMENT_RECRUITMENT = "4a"
    EMPLOYMENT_WORK_DECISIONS = "4b"
    PUBLIC_ASSISTANCE_BENEFITS = "5a"
    CREDITWORTHINESS = "5b"
    LIFE_HEALTH_INSURANCE = "5c"
    EMERGENCY_TRIAGE = "5d"
    LAW_ENFORCEMENT_VICTIM_RISK = "6a"
    LAW_ENFORCEMENT_POLYGRAPH = "6b"
    LAW_ENFORCEMENT_EVIDENCE_RELIABILITY = "6c"
    LAW_ENFORCEMENT_OFFENDING_RISK = "6d"
    LAW_ENFORCEMENT_PROFILING = "6e"
    MIGRATION_POLYGRAPH = "7a"
    MIGRATION_RISK_ASSESSMENT = "7b"
    MIGRATION_APPLICATION_EXAMINATION = "7c"
    MIGRATION_PERSON_DETECTION = "7d"
    JUSTICE_ADMINISTRATION = "8a"
    ELECTION_INFLUENCE = "8b"


class AnnexIIICarveOut(enum.StrEnum):
    """Purposes that Annex III itself carves out of a point (the system is then not listed under that point)."""

    BIOMETRIC_VERIFICATION = "biometric_verification"
    FINANCIAL_FRAUD_DETECTION = "financial_fraud_detection"
    TRAVEL_DOCUMENT_VERIFICATION = "travel_document_verification"
    CAMPAIGN_LOGISTICS = "campaign_logistics"


#: Which Annex III point each carve-out removes.
ANNEX_III_CARVE_OUT_POINT: dict[AnnexIIICarveOut, AnnexIIIPoint] = {
    AnnexIIICarveOut.BIOMETRIC_VERIFICATION: AnnexIIIPoint.BIOMETRIC_REMOTE_IDENTIFICATION,
    AnnexIIICarveOut.FINANCIAL_FRAUD_DETECTION: AnnexIIIPoint.CREDITWORTHINESS,
    AnnexIIICarveOut.TRAVEL_DOCUMENT_VERIFICATION: AnnexIIIPoint.MIGRATION_PERSON_DETECTION,
    AnnexIIICarveOut.CAMPAIGN_LOGISTICS: AnnexIIIPoint.ELECTION_INFLUENCE,
}


class AnnexIAct(enum.StrEnum):
    """Union harmonisation legislation listed in Annex I (Art. 6(1)). Its section (A or B) is law-version data."""

    MACHINERY_DIRECTIVE = "machinery_2006_42_ec"
    MACHINERY_REGULATION = "machinery_2023_1230"
    TOYS = "toys_2009_48_ec"
    RECREATIONAL_CRAFT = "recreational_craft_2013_53_eu"
    LIFTS = "lifts_2014_33_eu"
    ATEX = "atex_2014_34_eu"
    RADIO_EQUIPMENT = "radio_equipment_2014_53_eu"
    PRESSURE_EQUIPMENT = "pressure_equipment_2014_68_eu"
    CABLEWAYS = "cableways_2016_424"
    PPE = "ppe_2016_425"
    GAS_APPLIANCES = "gas_appliances_2016_426"
    MEDICAL_DEVICES = "medical_devices_2017_745"
    IN_VITRO_DIAGNOSTICS = "in_vitro_diagnostics_2017_746"
    CIVIL_AVIATION_SECURITY = "civil_aviation_security_300_2008"
    TWO_THREE_WHEEL_VEHICLES = "two_three_wheel_vehicles_168_2013"
    AGRICULTURAL_VEHICLES = "agricultural_vehicles_167_2013"
    MARINE_EQUIPMENT = "marine_equipment_2014_90_eu"
    RAIL_INTEROPERABILITY = "rail_interoperability_2016_797"
    MOTOR_VEHICLES = "motor_vehicles_2018_858"
    VEHICLE_GENERAL_SAFETY = "vehicle_general_safety_2019_2144"
    CIVIL_AVIATION = "civil_aviation_2018_1139"


class RbiObjective(enum.StrEnum):
    """The three objectives for which Art. 5(1)(h)(i)-(iii) allows real-time remote biometric identification."""

    VICTIM_SEARCH = "targeted_victim_or_missing_person_search"
    IMMINENT_THREAT = "imminent_threat_to_life_or_terrorist_attack"
    SERIOUS_CRIME_SUSPECT = "serious_crime_suspect_localisation"


#: Human-readable description of every enum value; used by the JSON schema (``oneOf`` + ``const`` + ``title``).
ENUM_DESCRIPTIONS: dict[type[enum.StrEnum], dict[str, str]] = {
    Role: {
        "provider": "Develops the system (or has it developed) and places it on the market under its name (Art. 3(3)).",
        "deployer": "Uses the system under its authority in a professional activity (Art. 3(4)).",
        "importer": "EU-established, places on the market a system of a third-country provider (Art. 3(6)).",
        "distributor": "Makes the system available on the EU market, other than provider or importer (Art. 3(7)).",
        "product_manufacturer": "Places the system on the market with its product under its name (Art. 25(3)).",
        "authorised_representative": "EU-established, mandated by a third-country provider (Art. 3(5), Art. 22).",
    },
    AnnexIIIPoint: {
        "1a": "Remote biometric identification (1:1 verification excluded).",
        "1b": "Biometric categorisation according to sensitive or protected attributes.",
        "1c": "Emotion recognition (emotions or intentions; not physical states such as pain or fatigue, Recital 18).",
        "2": "Safety component in critical digital infrastructure, road traffic, water/gas/heating/electricity supply.",
        "3a": "Education: determining access, admission or assignment to institutions.",
        "3b": "Education: evaluating learning outcomes.",
        "3c": "Education: assessing the level of education a person will receive or access.",
        "3d": "Education: monitoring and detecting prohibited behaviour of students during tests.",
        "4a": "Employment: recruitment or selection (targeted job ads, filtering applications, evaluating candidates).",
        "4b": "Employment: decisions on terms, promotion, termination, task allocation, monitoring performance.",
        "5a": "Eligibility for essential public assistance benefits and services, including healthcare.",
        "5b": "Creditworthiness evaluation or credit scoring of natural persons (financial fraud detection excluded).",
        "5c": "Risk assessment and pricing for natural persons in life and health insurance.",
        "5d": "Evaluating and classifying emergency calls, dispatching emergency services, emergency triage.",
        "6a": "Law enforcement: assessing the risk of a natural person becoming a victim of crime.",
        "6b": "Law enforcement: polygraphs and similar tools.",
        "6c": "Law enforcement: evaluating the reliability of evidence.",
        "6d": "Law enforcement: assessing the risk of (re-)offending not solely on the basis of profiling.",
        "6e": "Law enforcement: profiling in the detection, investigation or prosecution of criminal offences.",
        "7a": "Migration, asylum, border control: polygraphs and similar tools.",
        "7b": "Migration: assessing a security, irregular-migration or health risk posed by a person.",
        "7c": "Migration: examining applications for asylum, visa or residence permits and related complaints.",
        "7d": "Migration: detecting, recognising or identifying persons (travel-document verification excluded).",
        "8a": "Assisting judicial authorities or ADR in researching and interpreting facts and law and applying it.",
        "8b": "Influencing the outcome of an election or referendum or voting behaviour (campaign logistics excluded).",
    },
    AnnexIIICarveOut: {
        "biometric_verification": "Biometric verification whose sole purpose is confirming a person is who they claim "
        "(removes Annex III 1(a)).",
        "financial_fraud_detection": "Used to detect financial fraud (removes Annex III 5(b)).",
        "travel_document_verification": "Verification of travel documents (removes Annex III 7(d)).",
        "campaign_logistics": "Tool to organise, optimise or structure political campaigns, not exposed to natural "
        "persons directly (removes Annex III 8(b)).",
    },
    AnnexIAct: {
        "machinery_2006_42_ec": "Machinery Directive 2006/42/EC.",
        "machinery_2023_1230": "Machinery Regulation (EU) 2023/1230 (replaces Directive 2006/42/EC).",
        "toys_2009_48_ec": "Toy Safety Directive 2009/48/EC.",
        "recreational_craft_2013_53_eu": "Recreational craft and personal watercraft Directive 2013/53/EU.",
        "lifts_2014_33_eu": "Lifts Directive 2014/33/EU.",
        "atex_2014_34_eu": "Equipment for potentially explosive atmospheres (ATEX) Directive 2014/34/EU.",
        "radio_equipment_2014_53_eu": "Radio Equipment Directive 2014/53/EU.",
        "pressure_equipment_2014_68_eu": "Pressure Equipment Directive 2014/68/EU.",
        "cableways_2016_424": "Cableway installations Regulation (EU) 2016/424.",
        "ppe_2016_425": "Personal protective equipment Regulation (EU) 2016/425.",
        "gas_appliances_2016_426": "Appliances burning gaseous fuels Regulation (EU) 2016/426.",
        "medical_devices_2017_745": "Medical Devices Regulation (EU) 2017/745.",
        "in_vitro_diagnostics_2017_746": "In vitro diagnostic medical devices Regulation (EU) 2017/746.",
        "civil_aviation_security_300_2008": "Civil aviation security Regulation (EC) No 300/2008.",
        "two_three_wheel_vehicles_168_2013": "Two- or three-wheel vehicles and quadricycles Regulation (EU) 168/2013.",
        "agricultural_vehicles_167_2013": "Agricultural and forestry vehicles Regulation (EU) 167/2013.",
        "marine_equipment_2014_90_eu": "Marine Equipment Directive 2014/90/EU.",
        "rail_interoperability_2016_797": "Rail system interoperability Directive (EU) 2016/797.",
        "motor_vehicles_2018_858": "Motor vehicle type-approval Regulation (EU) 2018/858.",
        "vehicle_general_safety_2019_2144": "Vehicle general safety Regulation (EU) 2019/2144.",
        "civil_aviation_2018_1139": "Civil aviation / EASA basic Regulation (EU) 2018/1139.",
    },
    RbiObjective: {
        "targeted_victim_or_missing_person_search": "Targeted search for specific victims of abduction, trafficking, "
        "sexual exploitation, or missing persons (Art. 5(1)(h)(i)).",
        "imminent_threat_to_life_or_terrorist_attack": "Preventing a specific, substantial and imminent threat to life "
        "or physical safety, or a genuine threat of a terrorist attack (Art. 5(1)(h)(ii)).",
        "serious_crime_suspect_localisation": "Localising or identifying a suspect of a serious criminal offence "
        "punishable by at least four years (Art. 5(1)(h)(iii), Annex II).",
    },
}


def annex_iii_label(point: AnnexIIIPoint) -> str:
    """Return the citation of an Annex III point, e.g. ``"Annex III 4(a)"`` or ``"Annex III 2"``."""
    value = point.value
    if len(value) == 1:
        return f"Annex III {value}"
    return f"Annex III {value[0]}({value[1]})"


# --------------------------------------------------------------------------------------------------------------------
# The questionnaire
# --------------------------------------------------------------------------------------------------------------------


#: A yes/no question's answer: ``True`` (yes), ``False`` (no) or ``None`` (unknown, the default when unanswered).
Answer = bool | None


def _q(title: str, description: str, default: Any = None) -> Any:
    """Declare one question: a dataclass field whose metadata carries the schema title and description.

    Yes/no questions default to ``None``: an unanswered question is *unknown*, never a silent "no".
    """
    return field(default=default, metadata={"title": title, "description": description})


def _section(cls: type[Any], title: str, description: str) -> Any:
    """Declare a nested section of questions."""
    return field(default_factory=cls, metadata={"title": title, "description": description})


@dataclass(frozen=True)
class ScopeFacts:
    """Scope questions: Art. 2 exclusions and the Art. 3(1) definition of an AI system."""

    is_ai_system: Answer = _q(
        "Is it an AI system?",
        "Art. 3(1): a machine-based system that infers from its input how to generate outputs (predictions, content, "
        "recommendations, decisions) with some autonomy. Fixed rules written wholly by humans are not AI systems.",
    )
    military_defence_national_security: Answer = _q(
        "Exclusively military, defence or national security?",
        "Art. 2(3): placed on the market, put into service or used exclusively for military, defence or national "
        "security purposes.",
    )
    scientific_research_sole_purpose: Answer = _q(
        "Sole purpose scientific research and development?",
        "Art. 2(6): specifically developed and put into service for the sole purpose of scientific research and "
        "development.",
    )
    pre_market_research_testing: Answer = _q(
        "Research, testing or development before market placement?",
        "Art. 2(8): research, testing or development activity before the system or model is placed on the market or "
        "put into service (testing in real-world conditions is not covered by this exclusion).",
    )
    personal_non_professional_use: Answer = _q(
        "Purely personal, non-professional use?",
        "Art. 2(10): used by a natural person in the course of a purely personal non-professional activity. The "
        "exclusion covers only the obligations of deployers who are natural persons (see deployer.natural_person): "
        "a provider of a consumer product still has its provider obligations.",
    )
    free_open_source_licence: Answer = _q(
        "Released under a free and open-source licence?",
        "Art. 2(12): free and open-source AI systems are out of scope unless they are high-risk or fall under Art. 5 "
        "or Art. 50.",
    )


@dataclass(frozen=True)
class Art5Facts:
    """Art. 5 prohibited-practice questions, each with the exception the Act provides for it."""

    manipulative_or_deceptive_techniques: Answer = _q(
        "Subliminal, manipulative or deceptive techniques?",
        "Art. 5(1)(a): deploys subliminal, purposefully manipulative or deceptive techniques that materially distort "
        "behaviour and cause or are reasonably likely to cause significant harm.",
    )
    exploits_vulnerabilities: Answer = _q(
        "Exploits vulnerabilities?",
        "Art. 5(1)(b): exploits vulnerabilities due to age, disability or a specific social or economic situation, "
        "materially distorting behaviour with (likely) significant harm.",
    )
    non_consensual_intimate_imagery: Answer = _q(
        "Generates non-consensual intimate imagery?",
        "Art. 5(1)(ba), added by the 2026 Digital Omnibus (unverified): generates realistic intimate or sexual "
        "images, video or audio of an identifiable person without consent.",
    )
    child_sexual_abuse_material: Answer = _q(
        "Generates child sexual abuse material?",
        "Art. 5(1)(bb), added by the 2026 Digital Omnibus (unverified): generates child sexual abuse material.",
    )
    social_scoring: Answer = _q(
        "Social scoring with detrimental treatment?",
        "Art. 5(1)(c): evaluates or classifies persons by social behaviour or personal characteristics, leading to "
        "detrimental treatment in unrelated contexts or disproportionate to the behaviour (any operator, not only "
        "public authorities).",
    )
    crime_prediction_solely_profiling: Answer = _q(
        "Predicts crime risk solely from profiling?",
        "Art. 5(1)(d): assesses or predicts the risk of a person committing a criminal offence based solely on "
        "profiling or personality traits.",
    )
    crime_prediction_supports_human_assessment: Answer = _q(
        "Only supports a human assessment based on objective facts?",
        "Art. 5(1)(d) exception: supports a human assessment of involvement in a criminal activity that is already "
        "based on objective and verifiable facts directly linked to it.",
    )
    untargeted_facial_image_scraping: Answer = _q(
        "Untargeted scraping of facial images?",
        "Art. 5(1)(e): creates or expands facial recognition databases through untargeted scraping of facial images "
        "from the internet or CCTV footage.",
    )
    emotion_recognition_workplace_or_education: Answer = _q(
        "Emotion recognition in the workplace or education?",
        "Art. 5(1)(f): infers emotions or intentions of natural persons in the areas of workplace or education "
        "institutions. Physical states such as pain or fatigue are not emotions (Art. 3(39), Recital 18): a system "
        "detecting a driver's or pilot's fatigue is not emotion recognition.",
    )
    emotion_recognition_medical_or_safety: Answer = _q(
        "Emotion recognition for medical or safety reasons?",
        "Art. 5(1)(f) exception: the workplace/education emotion recognition is intended for medical or safety "
        "reasons. The system then remains high-risk under Annex III 1(c).",
    )
    biometric_categorisation_sensitive_attributes: Answer = _q(
        "Biometric categorisation inferring sensitive attributes?",
        "Art. 5(1)(g): categorises persons from biometric data to infer race, political opinions, trade-union "
        "membership, religious or philosophical beliefs, sex life or sexual orientation.",
    )
    biometric_categorisation_labelling_or_law_enforcement: Answer = _q(
        "Only labelling/filtering lawful datasets or law-enforcement categorisation?",
        "Art. 5(1)(g) exception: labelling or filtering of lawfully acquired biometric datasets, or categorisation of "
        "biometric data in the area of law enforcement. The system then remains high-risk under Annex III 1(b).",
    )
    realtime_remote_biometric_identification: Answer = _q(
        "Real-time remote biometric identification for law enforcement in public spaces?",
        "Art. 5(1)(h): use of real-time remote biometric identification systems in publicly accessible spaces for "
        "the purposes of law enforcement.",
    )
    realtime_rbi_objective: RbiObjective | None = _q(
        "Objective of the real-time remote biometric identification",
        "Art. 5(1)(h)(i)-(iii): the objective for which the use is strictly necessary, if any.",
        default=None,
    )
    realtime_rbi_authorised: Answer = _q(
        "Prior authorisation obtained?",
        "Art. 5(3): each use is authorised in advance by a judicial or independent administrative authority (or, in "
        "duly justified urgency, authorisation is requested within 24 hours).",
    )


@dataclass(frozen=True)
class AnnexIFacts:
    """Art. 6(1) questions: product safety legislation listed in Annex I."""

    act: AnnexIAct | None = _q(
        "Annex I Union harmonisation act",
        "The Annex I act covering the product of which the system is a safety component, or which the system itself "
        "is. Null if none.",
        default=None,
    )
    safety_component_or_product: Answer = _q(
        "Safety component or the product itself?",
        "Art. 6(1)(a): the system is intended to be used as a safety component of a product covered by that act, or "
        "is itself such a product.",
    )
    third_party_conformity_assessment: Answer = _q(
        "Third-party conformity assessment required?",
        "Art. 6(1)(b): that act requires the product to undergo a third-party conformity assessment before it is "
        "placed on the market or put into service.",
    )


@dataclass(frozen=True)
class AnnexIIIFacts:
    """Art. 6(2) questions: the Annex III area(s) and point(s) matching the intended purpose."""

    points: tuple[AnnexIIIPoint, ...] | None = _q(
        "Annex III points",
        "Art. 6(2): every Annex III point the intended purpose falls under (e.g. '4a' for recruitment). An empty list "
        "if none applies; null (the default) if not yet answered.",
    )
    carve_outs: tuple[AnnexIIICarveOut, ...] = _q(
        "Annex III carve-outs",
        "Purposes Annex III expressly excludes from a point (e.g. financial fraud detection is not credit scoring).",
        default=(),
    )


@dataclass(frozen=True)
class Art6_3Facts:
    """Art. 6(3) derogation questions for Annex III systems."""

    narrow_procedural_task: Answer = _q(
        "Narrow procedural task?",
        "Art. 6(3)(a): the system is intended to perform a narrow procedural task.",
    )
    improves_completed_human_activity: Answer = _q(
        "Improves the result of a completed human activity?",
        "Art. 6(3)(b): the system is intended to improve the result of a previously completed human activity.",
    )
    detects_decision_patterns_without_replacing_assessment: Answer = _q(
        "Detects decision patterns without replacing human assessment?",
        "Art. 6(3)(c): detects decision-making patterns or deviations from prior patterns and is not meant to replace "
        "or influence the completed human assessment without proper human review.",
    )
    preparatory_task: Answer = _q(
        "Preparatory task?",
        "Art. 6(3)(d): performs a preparatory task to an assessment relevant for an Annex III use case.",
    )
    profiles_natural_persons: Answer = _q(
        "Profiles natural persons?",
        "Art. 6(3), last subparagraph: an Annex III system that performs profiling of natural persons (Art. 4(4) GDPR) "
        "is always high-risk; the derogation is then unavailable.",
    )


@dataclass(frozen=True)
class Art50Facts:
    """Art. 50 transparency questions (cumulative with high-risk duties)."""

    interacts_with_natural_persons: Answer = _q(
        "Interacts directly with natural persons?",
        "Art. 50(1): the system is intended to interact directly with natural persons (e.g. a chatbot).",
    )
    ai_interaction_obvious: Answer = _q(
        "Obvious that it is an AI?",
        "Art. 50(1) exception: it is obvious to a reasonably well-informed person from the circumstances that they "
        "interact with an AI system.",
    )
    generates_synthetic_content: Answer = _q(
        "Generates synthetic audio, image, video or text?",
        "Art. 50(2): the system generates synthetic audio, image, video or text content.",
    )
    assistive_editing_only: Answer = _q(
        "Only assistive standard editing, input not substantially altered?",
        "Art. 50(2) exception: the system performs an assistive function for standard editing, or does not "
        "substantially alter the input data provided by the deployer or its semantics (e.g. spelling correction, "
        "colour correction). The marking duty then does not apply.",
    )
    emotion_recognition_or_biometric_categorisation: Answer = _q(
        "Emotion recognition or biometric categorisation?",
        "Art. 50(3): the system is an emotion recognition or biometric categorisation system (derived automatically "
        "from Annex III 1(b)/1(c) as well). Detecting pain or fatigue is not emotion recognition (Art. 3(39), "
        "Recital 18).",
    )
    generates_deep_fake: Answer = _q(
        "Generates or manipulates deep fakes?",
        "Art. 50(4) first subparagraph: generates or manipulates image, audio or video content constituting a deep "
        "fake.",
    )
    evidently_artistic_creative_satirical_fictional: Answer = _q(
        "Part of an evidently artistic, creative, satirical or fictional work?",
        "Art. 50(4) first subparagraph, second sentence: where the deep fake forms part of an evidently artistic, "
        "creative, satirical, fictional or analogous work or programme, the disclosure is limited to the existence "
        "of generated or manipulated content, in a manner that does not hamper the display or enjoyment of the work.",
    )
    publishes_public_interest_text: Answer = _q(
        "Publishes text informing the public on matters of public interest?",
        "Art. 50(4) second subparagraph: generates or manipulates text published to inform the public on matters of "
        "public interest.",
    )
    text_under_human_editorial_review: Answer = _q(
        "Text under human editorial review?",
        "Art. 50(4) exception: the generated text has undergone human review or editorial control and a person holds "
        "editorial responsibility.",
    )


@dataclass(frozen=True)
class GPAIFacts:
    """General-purpose AI model questions (Arts. 51-55)."""

    is_gpai_model: Answer = _q(
        "Is it a general-purpose AI model?",
        "Art. 3(63): an AI model displaying significant generality, capable of competently performing a wide range "
        "of distinct tasks, that can be integrated into downstream systems.",
    )
    training_compute_flop: float | None = _q(
        "Cumulative training compute (FLOP)",
        "Art. 51(2): cumulative amount of computation used for training, in floating-point operations. Above 10^25 "
        "the model is presumed to have high-impact capabilities (systemic risk). Null if unknown.",
        default=None,
    )
    commission_designated_systemic_risk: Answer = _q(
        "Designated by the Commission as systemic-risk?",
        "Art. 51(1)(b), Art. 52(4): the Commission has designated the model as a GPAI model with systemic risk.",
    )
    free_open_source_model: Answer = _q(
        "Released under a free and open-source licence with public weights?",
        "Art. 53(2): open-source GPAI models are exempt from Art. 53(1)(a)-(b) unless they have systemic risk.",
    )


@dataclass(frozen=True)
class DeployerFacts:
    """Questions about the deploying organisation (Arts. 26, 27)."""

    public_body: Answer = _q(
        "Body governed by public law?",
        "Art. 27(1): the deployer is a public authority or a body governed by public law.",
    )
    private_entity_providing_public_services: Answer = _q(
        "Private entity providing public services?",
        "Art. 27(1): the deployer is a private entity providing public services (e.g. education, healthcare, housing).",
    )
    used_at_workplace: Answer = _q(
        "Used at the workplace?",
        "Art. 26(7): the deployer, as an employer, puts the system into service or uses it at the workplace.",
    )
    natural_person: Answer = _q(
        "Is the deployer a natural person (a private individual)?",
        "Art. 2(10): the exclusion for purely personal non-professional use covers only deployers who are natural "
        "persons. An organisation (company, association, public body) is not a natural person.",
    )


@dataclass(frozen=True)
class TransitionFacts:
    """Art. 111 transitional questions: systems and models already on the market before the application dates."""

    already_on_market: Answer = _q(
        "Already placed on the market or put into service?",
        "Art. 111: whether the system or model is already on the market or in service (then give the date below). "
        "'No' means the rules apply to it as to a new system.",
    )
    placed_on_market_on: date | None = _q(
        "First placed on the market or put into service on",
        "Art. 111(1)-(3) (and Art. 111(4) as amended in 2026): the date (YYYY-MM-DD) the system or model was first "
        "placed on the market or put into service. A high-risk system on the market before the high-risk rules apply "
        "(2 August 2026 in the 2024 text; the Chapter III date as amended) falls under them only after a significant "
        "design change, or by 2 August 2030 if intended for public authorities; a GPAI model placed before 2 August "
        "2025 complies by 2 August 2027. Null if not yet on the market or not known.",
    )
    significant_design_change: Answer = _q(
        "Significant change in design since the high-risk rules apply?",
        "Art. 111(2): the system has been subject to a significant change in its design since the date the "
        "high-risk rules apply; the Regulation then applies to it like to a new system.",
    )
    intended_for_public_authorities: Answer = _q(
        "Intended to be used by public authorities?",
        "Art. 111(2), second sentence: providers and deployers of high-risk systems intended to be used by public "
        "authorities bring them into compliance by 2 August 2030 even without a design change.",
    )
    annex_x_large_scale_it_component: Answer = _q(
        "Component of an Annex X large-scale IT system?",
        "Art. 111(1): components of the large-scale IT systems listed in Annex X (SIS, VIS, Eurodac, EES, ETIAS, "
        "ECRIS-TCN, interoperability) placed on the market or put into service before 2 August 2027 are brought into "
        "compliance by 31 December 2030.",
    )


@dataclass(frozen=True)
class Art25Facts:
    """Art. 25 questions: when another operator becomes the provider of a high-risk system."""

    puts_name_or_trademark_on_high_risk_system: Answer = _q(
        "Puts its name or trademark on the system?",
        "Art. 25(1)(a): the organisation puts its name or trademark on a high-risk system already on the market.",
    )
    substantial_modification: Answer = _q(
        "Makes a substantial modification?",
        "Art. 25(1)(b): the organisation makes a substantial modification (Art. 3(23)) to a high-risk system and it "
        "remains high-risk.",
    )
    changes_intended_purpose_to_high_risk: Answer = _q(
        "Changes the intended purpose so it becomes high-risk?",
        "Art. 25(1)(c): the organisation modifies the intended purpose of a system (including a general-purpose "
        "system) that was not high-risk, so that it becomes high-risk. Answer the other questions for the new purpose.",
    )
    placed_with_product_under_own_name: Answer = _q(
        "Placed on the market with the product under the manufacturer's name?",
        "Art. 25(3): as product manufacturer, the organisation places the high-risk system (Annex I section A safety "
        "component) on the market together with its product under its own name or trademark.",
    )


@dataclass(frozen=True)
class Facts:
    """The complete classification questionnaire for one AI system (or GPAI model) and one organisation.

    Implements the fact side of the EU AI Act classification (Arts. 2, 3, 5, 6, 25, 27, 50, 51).
    """

    roles: tuple[Role, ...] = _q(
        "Organisation roles",
        "The roles the organisation holds for this system (Art. 3(3)-(8)); several are allowed.",
        default=(),
    )
    scope: ScopeFacts = _section(ScopeFacts, "Scope", "Art. 2 exclusions and the Art. 3(1) definition.")
    art_5: Art5Facts = _section(Art5Facts, "Prohibited practices", "Art. 5 practices and their exceptions.")
    annex_i: AnnexIFacts = _section(AnnexIFacts, "Annex I products", "Art. 6(1): Union harmonisation legislation.")
    annex_iii: AnnexIIIFacts = _section(AnnexIIIFacts, "Annex III use cases", "Art. 6(2): high-risk areas.")
    art_6_3: Art6_3Facts = _section(Art6_3Facts, "Art. 6(3) derogation", "Conditions and the profiling override.")
    art_50: Art50Facts = _section(Art50Facts, "Transparency", "Art. 50 situations (cumulative with high risk).")
    gpai: GPAIFacts = _section(GPAIFacts, "General-purpose AI model", "Arts. 51-55: GPAI model and systemic risk.")
    deployer: DeployerFacts = _section(DeployerFacts, "Deployer", "Arts. 26-27: the deploying organisation.")
    art_25: Art25Facts = _section(Art25Facts, "Role change", "Art. 25: becoming the provider of a high-risk system.")
    transition: TransitionFacts = _section(
        TransitionFacts, "Transitional rules", "Art. 111: systems and models already on the market."
    )


# --------------------------------------------------------------------------------------------------------------------
# (De)serialisation driven by the dataclass metadata
# --------------------------------------------------------------------------------------------------------------------


class FactsValidationError(ValueError):
    """Raised by :func:`facts_from_dict` with every problem found (``errors``: one message per bad key/value)."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("invalid classification facts: " + "; ".join(errors))


def _strip_none(tp: Any) -> tuple[Any, bool]:
    """Return ``(inner_type, nullable)`` for ``X | None``."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return args[0], True
    return tp, False


def _bad_date() -> date:
    raise ValueError("not a YYYY-MM-DD string")


def _parse_value(tp: Any, value: Any, path: str, errors: list[str]) -> Any:
    """Validate and convert one JSON value to the dataclass field type ``tp``."""
    inner, nullable = _strip_none(tp)
    if value is None:
        if not nullable:
            errors.append(f"{path}: null is not allowed")
        return None
    if dataclasses.is_dataclass(inner):
        return _parse_dataclass(inner, value, path, errors)  # type: ignore[arg-type]
    if inner is bool:
        if not isinstance(value, bool):
            errors.append(f"{path}: expected true/false (or null for unknown), got {value!r}")
        return value
    if inner is date:
        try:
            return date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else _bad_date()
        except ValueError:
            errors.append(f"{path}: expected a date YYYY-MM-DD, got {value!r}")
            return None
    if inner is float:
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            errors.append(f"{path}: expected a non-negative number, got {value!r}")
            return None
        return float(value)
    if isinstance(inner, type) and issubclass(inner, enum.StrEnum):
        allowed = [m.value for m in inner]
        if value not in allowed:
            errors.append(f"{path}: {value!r} is not one of {allowed}")
            return None
        return inner(value)
    # The only remaining shape is tuple[SomeEnum, ...].
    (item_type, _ellipsis) = typing.get_args(inner)
    if not isinstance(value, list | tuple):
        errors.append(f"{path}: expected a list, got {value!r}")
        return ()
    items = [_parse_value(item_type, item, f"{path}[{i}]", errors) for i, item in enumerate(value)]
    if len(set(items)) != len(items):
        errors.append(f"{path}: duplicate values")
    return tuple(item for item in items if item is not None)


def _parse_dataclass(cls: type[Any], data: Any, path: str, errors: list[str]) -> Any:
    """Build dataclass ``cls`` from a mapping, collecting errors; missing keys take their defaults."""
    prefix = f"{path}." if path else ""
    if not isinstance(data, dict):
        errors.append(f"{path or '<root>'}: expected an object, got {data!r}")
        return cls()
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(str(k) for k in data if k not in known)
    if unknown:
        errors.append("unknown key(s): " + ", ".join(prefix + k for k in unknown))
    kwargs = {name: _parse_value(hints[name], data[name], prefix + name, errors) for name in known if name in data}
    return cls(**kwargs)


def _answer(facts: Facts, path: str) -> Any:
    section, _, name = path.partition(".")
    return getattr(getattr(facts, section), name)


def _says(facts: Facts, path: str, value: Any) -> bool:
    """True when the answer at ``path`` is ``value`` (for a list question: when the list holds ``value``; for
    ``"a date"``: when a date is given)."""
    answer = _answer(facts, path)
    if value == "a date":
        return isinstance(answer, date)
    if isinstance(answer, tuple):
        return value in answer
    return answer is value


def _show(value: Any) -> str:
    if value == "a date":
        return "a date"
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return f"includes {value}"


#: Pairs of answers that cannot both be true, with the reason (EU AI Act definitions). Each entry is
#: ``(path_a, value_a, path_b, value_b, reason)``; a list question matches when it contains the value.
CONTRADICTIONS: tuple[tuple[str, Any, str, Any, str], ...] = (
    *(
        ("scope.is_ai_system", False, path, value, f"{what} is an AI system by definition ({article})")
        for path, value, what, article in (
            ("art_5.emotion_recognition_workplace_or_education", True, "an emotion recognition system", "Art. 3(39)"),
            (
                "art_5.biometric_categorisation_sensitive_attributes",
                True,
                "a biometric categorisation system",
                "Art. 3(40)",
            ),
            (
                "art_5.realtime_remote_biometric_identification",
                True,
                "a remote biometric identification system",
                "Art. 3(41)",
            ),
            (
                "art_50.emotion_recognition_or_biometric_categorisation",
                True,
                "an emotion recognition or biometric categorisation system",
                "Art. 3(39)-(40)",
            ),
            (
                "annex_iii.points",
                AnnexIIIPoint.BIOMETRIC_REMOTE_IDENTIFICATION,
                "a remote biometric identification system",
                "Art. 3(41)",
            ),
            (
                "annex_iii.points",
                AnnexIIIPoint.BIOMETRIC_CATEGORISATION,
                "a biometric categorisation system",
                "Art. 3(40)",
            ),
            ("annex_iii.points", AnnexIIIPoint.EMOTION_RECOGNITION, "an emotion recognition system", "Art. 3(39)"),
        )
    ),
    (
        "deployer.natural_person",
        True,
        "deployer.public_body",
        True,
        "a natural person is not a body governed by public law",
    ),
    (
        "deployer.natural_person",
        True,
        "deployer.private_entity_providing_public_services",
        True,
        "a natural person is not a private entity providing public services",
    ),
    (
        "transition.already_on_market",
        False,
        "transition.placed_on_market_on",
        "a date",
        "a system not yet on the market has no placing date (Art. 111)",
    ),
    (
        "scope.personal_non_professional_use",
        True,
        "deployer.used_at_workplace",
        True,
        "use at the workplace is a professional activity (Art. 2(10), Art. 26(7))",
    ),
)


def facts_contradictions(facts: Facts) -> list[str]:
    """Every contradiction in ``facts``, one message naming both answers (see :data:`CONTRADICTIONS`)."""
    return [
        f"{a} is '{_show(va)}' but {b} is '{_show(vb)}': {reason}"
        for a, va, b, vb, reason in CONTRADICTIONS
        if _says(facts, a, va) and _says(facts, b, vb)
    ]


def facts_from_dict(data: dict[str, Any]) -> Facts:
    """Validate a JSON-like mapping and return :class:`Facts`.

    Unknown keys are rejected, values are type-checked strictly (no string-to-bool coercion; ``null`` means
    unknown), enum values must be one of the allowed values, and contradictory answers are rejected with both
    answers named; all problems are reported together in :class:`FactsValidationError`.
    """
    errors: list[str] = []
    facts = typing.cast(Facts, _parse_dataclass(Facts, data, "", errors))
    if not errors:
        errors.extend(facts_contradictions(facts))
    if errors:
        raise FactsValidationError(errors)
    return facts


def _dump(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _dump(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple):
        return [_dump(v) for v in value]
    if isinstance(value, enum.StrEnum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return value


def facts_to_dict(facts: Facts) -> dict[str, Any]:
    """Serialise :class:`Facts` to a JSON-compatible dict (the inverse of :func:`facts_from_dict`)."""
    return typing.cast(dict[str, Any], _dump(facts))


def _enum_schema(enum_cls: type[enum.StrEnum]) -> dict[str, Any]:
    descriptions = ENUM_DESCRIPTIONS[enum_cls]
    return {"oneOf": [{"const": m.value, "title": m.name, "description": descriptions[m.value]} for m in enum_cls]}


def _type_schema(tp: Any) -> dict[str, Any]:
    inner, nullable = _strip_none(tp)
    schema: dict[str, Any]
    if dataclasses.is_dataclass(inner):
        return _dataclass_schema(inner)  # type: ignore[arg-type]
    if inner is bool:
        schema = {"type": "boolean"}
    elif inner is float:
        schema = {"type": "number", "minimum": 0}
    elif inner is date:
        schema = {"type": "string", "format": "date"}
    elif isinstance(inner, type) and issubclass(inner, enum.StrEnum):
        schema = _enum_schema(inner)
    else:
        (item_type, _ellipsis) = typing.get_args(inner)
        schema = {"type": "array", "items": _enum_schema(item_type), "uniqueItems": True}
    if nullable:
        schema = {"anyOf": [schema, {"type": "null"}]}
    return schema


def _dataclass_schema(cls: type[Any]) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    properties: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        prop = {"title": f.metadata["title"], "description": f.metadata["description"], **_type_schema(hints[f.name])}
        if f.default is not dataclasses.MISSING:
            prop["default"] = _dump(f.default)
        properties[f.name] = prop
    return {"type": "object", "additionalProperties": False, "properties": properties}


def facts_json_schema() -> dict[str, Any]:
    """Return the JSON Schema (draft 2020-12) of the classification facts, with a title and description for every
    question, so the API can publish it and machines can drive the engine (EU AI Act Arts. 2-6, 25-27, 50-51)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:aigov:eu-ai-act:classification-facts",
        "title": "EU AI Act classification facts",
        "description": "Factual questionnaire from which the engine derives the risk class, roles and obligations "
        "under Regulation (EU) 2024/1689. Yes/no questions are three-valued: true, false or null "
        "(unknown); an omitted question is unknown, and the engine reports the unknown answers that would change "
        "its result.",
        **_dataclass_schema(Facts),
    }
