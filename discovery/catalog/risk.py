"""The catalog's risk score: a pure function of a service's :class:`RiskAttributes` and category.

**Higher means riskier** (0 = lowest risk, 10 = highest). This is the opposite direction to Microsoft
Defender for Cloud Apps, whose 0-10 score is a *trust* score (its "risky app" alert fires below 6).

The score is the sum of the points below, capped at 10. Every dimension contributes exactly one
:class:`RiskFactor` (also when it scores 0), so the factor list always explains the whole score:

=====================  ======================================================================  ======
code                   condition                                                               points
=====================  ======================================================================  ======
``training``           trains on user content by default, no opt-out (``yes``)                 +3
                       trains by default, user can opt out (``opt-out``)                       +2
                       no public statement (``unknown``)                                       +2
                       does not train by default (``no``)                                       0
``enterprise``         no enterprise/business tier with contractual data terms                 +2
``region``             data stored in mainland China                                            +3
                       US, another non-EU region, or unknown                                   +2
                       outside the EU by default, EU residency available                       +1
                       EU/EEA by default                                                        0
``retention``          no retention period stated (empty ``data_retention``)                   +1
``jurisdiction``       headquarters outside the EU/EEA and outside the countries with an EU    +1
                       adequacy decision (GDPR art. 45), or unknown
``category``           code assistant or agent (source code, secrets, autonomous actions)      +1
=====================  ======================================================================  ======

The maximum raw sum is 11; the cap keeps the score in 0..10. Weights are deliberately few and coarse:
they rank services for triage and are meant to be overridden per organisation in the database.
"""

from __future__ import annotations

from dataclasses import dataclass

from discovery.catalog.model import Category, Region, RiskAttributes, Training

MAX_SCORE = 10

# EU/EEA members plus the countries/territories with an EU adequacy decision (US: Data Privacy Framework).
ADEQUATE_JURISDICTIONS = frozenset(
    {
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
        "IS",
        "LI",
        "NO",
        "AD",
        "AR",
        "CA",
        "FO",
        "GG",
        "IL",
        "IM",
        "JP",
        "JE",
        "NZ",
        "KR",
        "CH",
        "GB",
        "UY",
        "US",
    }
)

_TRAINING_POINTS = {
    Training.YES: (3, "trains on user content by default with no opt-out"),
    Training.OPT_OUT: (2, "trains on user content by default unless the user opts out"),
    Training.UNKNOWN: (2, "no public statement on training with user content"),
    Training.NO: (0, "does not train on user content by default"),
}

_REGION_POINTS = {
    Region.CN: (3, "data stored in mainland China"),
    Region.US: (2, "data stored in the US"),
    Region.OTHER: (2, "data stored outside the EU"),
    Region.UNKNOWN: (2, "data region unknown"),
    Region.EU_AVAILABLE: (1, "data stored outside the EU by default; EU residency available"),
    Region.EU: (0, "data stored in the EU/EEA"),
}

_SENSITIVE_CATEGORIES = frozenset({Category.CODE, Category.AGENT})


@dataclass(frozen=True, slots=True)
class RiskFactor:
    """One scored dimension: a stable ``code``, the points it adds and a human-readable reason."""

    code: str
    points: int
    reason: str


@dataclass(frozen=True, slots=True)
class RiskAssessment:
    """A risk score in 0..10 and the factors that produced it (one per dimension, in table order)."""

    score: int
    factors: tuple[RiskFactor, ...]

    @property
    def raw_points(self) -> int:
        """Sum of factor points before capping at :data:`MAX_SCORE`."""
        return sum(factor.points for factor in self.factors)


def score_risk(attributes: RiskAttributes, category: Category) -> RiskAssessment:
    """Compute the risk score of a service from its attributes; see the module docstring for the table."""
    factors = [RiskFactor("training", *_TRAINING_POINTS[attributes.trains_on_user_data])]
    if attributes.enterprise_tier_available:
        factors.append(RiskFactor("enterprise", 0, "enterprise tier with contractual data terms available"))
    else:
        factors.append(RiskFactor("enterprise", 2, "no enterprise tier with contractual data terms"))
    factors.append(RiskFactor("region", *_REGION_POINTS[attributes.data_region]))
    if attributes.data_retention.strip():
        factors.append(RiskFactor("retention", 0, f"retention stated: {attributes.data_retention}"))
    else:
        factors.append(RiskFactor("retention", 1, "no retention period stated"))
    hq = attributes.hq_country or "unknown"
    if hq in ADEQUATE_JURISDICTIONS:
        factors.append(RiskFactor("jurisdiction", 0, f"headquartered in {hq} (EU/EEA or EU adequacy decision)"))
    else:
        factors.append(RiskFactor("jurisdiction", 1, f"headquartered in {hq} (no EU adequacy decision)"))
    if category in _SENSITIVE_CATEGORIES:
        factors.append(RiskFactor("category", 1, f"{category} tools see source code/secrets or act autonomously"))
    else:
        factors.append(RiskFactor("category", 0, f"category {category}"))
    raw = sum(factor.points for factor in factors)
    return RiskAssessment(min(raw, MAX_SCORE), tuple(factors))
