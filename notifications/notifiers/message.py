"""PROVISIONAL (replaced by the helper's version on merge): the one message every notifier renders."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Fact:
    label: str
    value: str
    key: str = ""


@dataclass(frozen=True, slots=True)
class Message:
    topic: str
    event_id: str
    signature: str
    name: str
    title: str
    severity: str
    summary: str
    occurred_at: datetime
    link: str
    facts: tuple[Fact, ...] = ()
    lines: tuple[str, ...] = ()
    data: Mapping[str, Any] = field(default_factory=dict)
    ecs: Mapping[str, Any] = field(default_factory=dict)
    cef: tuple[tuple[str, object], ...] = ()
    start: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
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
            "facts": [[f.label, f.value, f.key] for f in self.facts],
            "lines": list(self.lines),
            "data": dict(self.data),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Message:
        return cls(
            topic=str(data["topic"]),
            event_id=str(data["event_id"]),
            signature=str(data["signature"]),
            name=str(data["name"]),
            title=str(data["title"]),
            severity=str(data["severity"]),
            summary=str(data["summary"]),
            occurred_at=datetime.fromisoformat(str(data["occurred_at"])),
            link=str(data["link"]),
            facts=tuple(Fact(*f) for f in data.get("facts") or ()),
            lines=tuple(data.get("lines") or ()),
            data=dict(data.get("data") or {}),
        )
