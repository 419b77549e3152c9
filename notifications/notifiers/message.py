"""The one thing every notifier renders: a :class:`Message`, whatever the topic.

A topic (shadow-AI alert, audit finding, obligation reminder, evidence pack ready, ...) turns its event into a
``Message`` once; each channel renders that ``Message`` once, knowing nothing about topics. People-facing channels
(e-mail, Slack, Teams) show :attr:`~Message.title`, :attr:`~Message.severity`, :attr:`~Message.summary`, the
:attr:`~Message.facts`, the detail :attr:`~Message.lines` and the links. Machine-facing channels (webhook, Splunk,
syslog CEF) send the identifiers (:attr:`~Message.event_id`, :attr:`~Message.signature`, :attr:`~Message.name`), the
topic's machine-readable :attr:`~Message.data` and the format-specific extras (:attr:`~Message.ecs`,
:attr:`~Message.cef`, :attr:`~Message.refs`).

A ``Message`` is plain data: :meth:`Message.to_dict` is a JSON-safe snapshot and :meth:`Message.from_dict` reads it
back exactly, so a delivery can store what was true when the event happened. Pure Python, no Django.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

#: what a CEF extension value or an indexed field may hold (JSON scalars: they survive the snapshot unchanged)
type Scalar = str | int | float | bool | None

#: the severities a message may have, lowest first
SEVERITIES = ("low", "medium", "high", "critical")
#: CEF severity (0-10) per severity label; ECS ``event.severity`` uses the same number
SEVERITY_SCORE = {"low": 3, "medium": 5, "high": 8, "critical": 10}
#: the label of the main link when the topic names none
DEFAULT_LINK_LABEL = "Open in AIGov"


@dataclass(frozen=True, slots=True)
class Fact:
    """One labelled value shown to people (``Service: DeepSeek (chat.deepseek.com)``).

    ``key`` is an optional machine name (``"user.id"``, ``"ai_system.name"``) so a receiver or a test can pick the
    fact without matching its label."""

    label: str
    value: str
    key: str = ""


@dataclass(frozen=True, slots=True)
class Link:
    """A further link, shown as a button after the message's main link."""

    label: str
    url: str


@dataclass(frozen=True, slots=True)
class Message:
    """One notification, as every channel receives it. Carries no raw identities (topics pass pseudonyms only)."""

    topic: str  # "shadow_ai_alert", "audit_finding", "obligation_reminder", "evidence_pack_ready", ...
    event_id: str  # stable id of the event (an alert's uuid, "audits.run.41.1")
    signature: str  # event class id for SIEM correlation (CEF signature id, ECS rule.id unless ``ecs`` says else)
    name: str  # event class name (CEF name, ECS rule.name)
    title: str  # one line for people
    severity: str  # low | medium | high | critical
    summary: str  # a few sentences for people (also ECS ``message`` and CEF ``msg``)
    occurred_at: datetime  # when the event happened (or was last seen): ECS @timestamp, CEF rt, syslog timestamp
    link: str  # where to act on it (ECS event.url, CEF request, the main button)
    facts: tuple[Fact, ...] = ()
    lines: tuple[str, ...] = ()  # detail lines after the facts (e.g. failing metric values)
    link_label: str = DEFAULT_LINK_LABEL
    links: tuple[Link, ...] = ()  # further buttons after the main link
    footer: str = ""  # a closing note for people (e.g. how a pseudonym is re-identified)
    category: str = ""  # short event family, e.g. "shadow-ai": CEF cat and the syslog MSGID (the topic if empty)
    data: Mapping[str, Any] = field(default_factory=dict)  # the topic's machine-readable body (JSON receivers)
    ecs: Mapping[str, Any] = field(default_factory=dict)  # ECS fields deep-merged into the JSON event (user.id ...)
    cef: tuple[tuple[str, Scalar], ...] = ()  # CEF extension pairs (suser, dhost, cs1 ...); they win over generic ones
    refs: Mapping[str, Scalar] = field(default_factory=dict)  # ids of the objects involved: Splunk indexed fields
    start: datetime | None = None  # when the event began, if it has a span (ECS event.start, CEF start)

    def __post_init__(self) -> None:
        if self.severity not in SEVERITY_SCORE:
            raise ValueError(f"unknown severity {self.severity!r} (one of {', '.join(SEVERITIES)})")
        # own copies: a caller mutating its dicts afterwards must not change a message already handed out
        object.__setattr__(self, "facts", tuple(self.facts))
        object.__setattr__(self, "lines", tuple(self.lines))
        object.__setattr__(self, "links", tuple(self.links))
        object.__setattr__(self, "cef", tuple((str(k), v) for k, v in self.cef))
        object.__setattr__(self, "data", copy.deepcopy(dict(self.data)))
        object.__setattr__(self, "ecs", copy.deepcopy(dict(self.ecs)))
        object.__setattr__(self, "refs", dict(self.refs))

    @property
    def severity_score(self) -> int:
        """CEF severity (0-10)."""
        return SEVERITY_SCORE[self.severity]

    def to_ecs(self) -> dict[str, Any]:
        """An Elastic Common Schema shaped event for JSON receivers (webhook, Splunk).

        Top-level ``kind`` is the topic, ``aigov`` the topic's :attr:`data` plus ``kind``; :attr:`ecs` is merged in
        last, so a topic can add fields (``user.id``) or override defaults (``event.kind``, ``rule.id``)."""
        event: dict[str, Any] = {
            "kind": "alert",
            "type": ["info"],
            "dataset": f"aigov.{self.topic}",
            "severity": self.severity_score,
            "id": self.event_id,
            "url": self.link,
        }
        if self.start is not None:
            event["start"] = self.start.isoformat()
            event["end"] = self.occurred_at.isoformat()
        document: dict[str, Any] = {
            "@timestamp": self.occurred_at.isoformat(),
            "kind": self.topic,
            "event": event,
            "rule": {"id": self.signature, "name": self.name},
            "message": self.summary,
            "aigov": {**copy.deepcopy(dict(self.data)), "kind": self.topic},
        }
        return deep_merge(document, self.ecs)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe snapshot; :meth:`from_dict` reads it back to an equal message."""
        return {
            "topic": self.topic,
            "event_id": self.event_id,
            "signature": self.signature,
            "name": self.name,
            "title": self.title,
            "severity": self.severity,
            "summary": self.summary,
            "occurred_at": self.occurred_at.isoformat(),
            "link": self.link,
            "facts": [{"label": f.label, "value": f.value, "key": f.key} for f in self.facts],
            "lines": list(self.lines),
            "link_label": self.link_label,
            "links": [{"label": link.label, "url": link.url} for link in self.links],
            "footer": self.footer,
            "category": self.category,
            "data": copy.deepcopy(dict(self.data)),
            "ecs": copy.deepcopy(dict(self.ecs)),
            "cef": [[key, value] for key, value in self.cef],
            "refs": dict(self.refs),
            "start": None if self.start is None else self.start.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Message:
        """The message back from :meth:`to_dict` (also after a JSON round trip); unknown keys are ignored."""
        start = data.get("start")
        return cls(
            topic=str(data["topic"]),
            event_id=str(data["event_id"]),
            signature=str(data["signature"]),
            name=str(data["name"]),
            title=str(data["title"]),
            severity=str(data["severity"]),
            summary=str(data.get("summary") or ""),
            occurred_at=datetime.fromisoformat(str(data["occurred_at"])),
            link=str(data.get("link") or ""),
            facts=tuple(
                Fact(label=str(f["label"]), value=str(f["value"]), key=str(f.get("key") or ""))
                for f in data.get("facts") or ()
            ),
            lines=tuple(str(line) for line in data.get("lines") or ()),
            link_label=str(data.get("link_label") or DEFAULT_LINK_LABEL),
            links=tuple(Link(label=str(x["label"]), url=str(x["url"])) for x in data.get("links") or ()),
            footer=str(data.get("footer") or ""),
            category=str(data.get("category") or ""),
            data=dict(data.get("data") or {}),
            ecs=dict(data.get("ecs") or {}),
            cef=tuple((str(key), value) for key, value in data.get("cef") or ()),
            refs=dict(data.get("refs") or {}),
            start=None if start is None else datetime.fromisoformat(str(start)),
        )


def deep_merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``extra`` merged in: nested mappings merge key by key, anything else in ``extra`` wins."""
    merged = dict(base)
    for key, value in extra.items():
        current = merged.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            merged[key] = deep_merge(current, value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def capped(lines: Iterable[str], limit: int, *, more: str = "... and {n} more") -> list[str]:
    """The first ``limit`` lines, then ``more`` (``{n}``: how many were left out) when there were more."""
    items = list(lines)
    if len(items) <= limit:
        return items
    return [*items[:limit], more.format(n=len(items) - limit)]


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending in ``...`` when cut."""
    return text if len(text) <= limit else text[: max(0, limit - 3)] + "..."
