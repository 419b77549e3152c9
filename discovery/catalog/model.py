"""Data model of the AI-service catalog. Pure Python: no Django imports.

An :class:`AIService` is one generative-AI product (ChatGPT, Claude, Cursor ...) with the
:class:`DomainRule` s that identify its traffic and the :class:`RiskAttributes` that feed the
risk score (see :mod:`discovery.catalog.risk`).

Rules are written in the seed data (``data/catalog.json``) as one compact string each, in a syntax close to the v2fly
``domain-list-community`` lists the catalog is partly derived from::

    <type>:<value> [@attr ...]

``type`` is one of

* ``exact`` -- the host equals ``value`` (v2fly ``full:``);
* ``suffix`` -- the host equals ``value`` or ends with ``"." + value`` (dot boundary; v2fly ``domain:``).
  ``suffix:openai.com`` matches ``openai.com`` and ``chat.openai.com`` but not ``notopenai.com``;
* ``regex`` -- the host matches the anchored Python regular expression ``value`` (v2fly ``regexp:``).
  Used only where a pattern cannot be turned into exact/suffix rules without over-matching a shared
  platform (``*.webpubsub.azure.com``). The value must not contain spaces (write ``\\s``);
* ``url`` -- a URL prefix ``host/path``: the host part matches like ``suffix``, the path is a prefix of
  the request path, and a ``*`` path segment matches exactly one non-empty segment
  (``claude.ai/api/organizations/*/upload``). Checked only when a URL/path is known.

and the attributes are

* ``@telemetry`` -- telemetry/analytics endpoint (v2fly ``@ads``): evidence that the software runs,
  not that someone used it; detectors must not count it as usage;
* ``@upload`` -- the endpoint receives files or prompts (a hit is a data-egress signal);
* ``@weak`` -- shared infrastructure or a mostly non-AI site: a hit is weak evidence only;
* ``@v2fly:<list>`` -- provenance: the rule comes from that v2fly list (MIT licence, see ``NOTICE``).
  Rules without it are curated by this project.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from discovery.catalog.risk import RiskAssessment


class CatalogError(ValueError):
    """The catalog data is inconsistent (bad rule syntax, duplicate slug, conflicting rules ...)."""


class Category(enum.StrEnum):
    """What the service is mainly used for. One per service; the value is stored in the database."""

    CHAT = "chat"
    CODE = "code"
    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    SEARCH = "search"
    WRITING = "writing"
    API = "api"  # model inference API / gateway for developers
    AGENT = "agent"  # autonomous agents and agent-building platforms
    PRODUCTIVITY = "productivity"  # assistants embedded in documents, browsers extensions, notes
    MODEL_HUB = "model-hub"  # model/dataset hosting and sharing
    MEETING = "meeting"  # meeting recorders and transcribers
    PRESENTATION = "presentation"
    COMPANION = "companion"  # character / role-play chat
    LOCAL = "local"  # desktop apps running models locally (downloads, registries, update checks)
    THREE_D = "3d"
    VENDOR_SITE = "vendor-site"  # an AI vendor's informational site: interest, not use of a model


class RuleType(enum.StrEnum):
    """How a :class:`DomainRule` value is compared with a host (see the module docstring)."""

    EXACT = "exact"
    SUFFIX = "suffix"
    REGEX = "regex"
    URL_PREFIX = "url"


class Training(enum.StrEnum):
    """Whether the service trains its models on what users submit, on the default (free/consumer) tier."""

    YES = "yes"  # trains by default and offers no opt-out
    OPT_OUT = "opt-out"  # trains by default; the user can switch it off
    NO = "no"  # does not train on user content by default (opt-in or never)
    UNKNOWN = "unknown"  # no clear public statement found


class Region(enum.StrEnum):
    """Where user content is stored/processed by default."""

    EU = "EU"  # EU/EEA by default
    EU_AVAILABLE = "EU-available"  # elsewhere by default, EU residency offered (usually enterprise plans)
    US = "US"
    CN = "CN"  # mainland China
    OTHER = "other"  # a named region outside the EU (UK, CA, SG, IL ...): see the data_retention text
    UNKNOWN = "unknown"


_ATTRS = frozenset({"telemetry", "upload", "weak"})


@dataclass(frozen=True, slots=True)
class DomainRule:
    """One way of recognising a service's traffic.

    ``value`` is lower-case for host rules; for ``url`` rules only the host part is lower-cased (paths are
    case-sensitive). ``source`` is ``"curated"`` or ``"v2fly:<list>"``.
    """

    rule_type: RuleType
    value: str
    telemetry: bool = False
    upload: bool = False
    weak: bool = False
    source: str = "curated"

    @classmethod
    def parse(cls, text: str) -> DomainRule:
        """Parse the compact ``<type>:<value> [@attr ...]`` syntax; raise :class:`CatalogError` if invalid."""
        head, *attrs = text.split()
        kind, sep, value = head.partition(":")
        if not sep or not value or kind not in RuleType:
            raise CatalogError(f"bad rule {text!r}: expected '<exact|suffix|regex|url>:<value> [@attr ...]'")
        rule_type = RuleType(kind)
        flags: dict[str, bool] = {}
        source = "curated"
        for attr in attrs:
            name = attr.removeprefix("@")
            if attr.startswith("@v2fly:") and len(attr) > len("@v2fly:"):
                source = name
            elif attr.startswith("@") and name in _ATTRS:
                flags[name] = True
            else:
                raise CatalogError(f"bad rule {text!r}: unknown attribute {attr!r}")
        if rule_type is RuleType.URL_PREFIX:
            host, slash, path = value.partition("/")
            if not host or not slash:
                raise CatalogError(f"bad rule {text!r}: a url rule is 'host/path'")
            value = f"{host.lower()}/{path}"
        elif rule_type is not RuleType.REGEX:
            value = value.lower()
        return cls(rule_type, value, source=source, **flags)

    def __str__(self) -> str:
        """Render back to the compact syntax (round-trips with :meth:`parse`)."""
        attrs = [f"@{name}" for name in ("telemetry", "upload", "weak") if getattr(self, name)]
        if self.source != "curated":
            attrs.append(f"@{self.source}")
        return " ".join([f"{self.rule_type}:{self.value}", *attrs])


@dataclass(frozen=True, slots=True)
class RiskAttributes:
    """The facts the risk score is computed from. They describe the default (free/consumer) tier.

    ``data_retention`` is free text; an empty string means unknown. ``hq_country`` is an ISO 3166-1
    alpha-2 code, or ``""`` when unknown.
    """

    trains_on_user_data: Training
    data_retention: str
    data_region: Region
    enterprise_tier_available: bool
    hq_country: str


@dataclass(frozen=True, slots=True)
class AIService:
    """A generative-AI service as seeded into the catalog."""

    slug: str
    name: str
    vendor: str
    category: Category
    rules: tuple[DomainRule, ...]
    risk_attributes: RiskAttributes
    notes: str = ""

    @property
    def domains(self) -> tuple[DomainRule, ...]:
        """Host rules (exact, suffix, regex): what DNS, SNI and CONNECT logs can be matched against."""
        return tuple(rule for rule in self.rules if rule.rule_type is not RuleType.URL_PREFIX)

    @property
    def upload_endpoints(self) -> tuple[DomainRule, ...]:
        """Rules whose hits mean files or prompts were sent (``@upload``)."""
        return tuple(rule for rule in self.rules if rule.upload)

    @property
    def risk(self) -> RiskAssessment:
        """The 0..10 risk score and its factors (computed, never stored in the seed data)."""
        from discovery.catalog.risk import score_risk  # local import: risk.py imports this module

        return score_risk(self.risk_attributes, self.category)
