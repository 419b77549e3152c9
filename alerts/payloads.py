"""What the notification channels receive about a shadow-AI alert (pseudonym only, never an identity): the
payload, and the one :class:`~notifications.notifiers.message.Message` every channel renders from it. Plain Python."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from notifications.notifiers.message import SEVERITY_SCORE, Fact, Message


def alert_title(rule_name: str, service_name: str) -> str:
    """The one-line title of an alert's message (also what the outbox lists before the message is built)."""
    return f"{rule_name}: {service_name}"


@dataclass(frozen=True, slots=True)
class AlertPayload:
    """A shadow-AI alert as the outbox delivers it: stable ids, rule, severity, counts, pseudonymous subject,
    service, link. Channels render its :meth:`to_message`."""

    #: the ``kind`` of JSON bodies (webhook, Splunk): receivers tell shadow-AI alerts and audit findings apart by it
    kind: ClassVar[str] = "shadow_ai_alert"

    alert_id: str
    fingerprint: str
    rule_id: str
    rule_name: str
    rule_kind: str
    severity: str
    status: str
    subject: str
    subject_kind: str
    service_slug: str
    service_name: str
    domain: str
    count: int
    first_seen: datetime
    last_seen: datetime
    summary: str
    link: str
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def severity_score(self) -> int:
        return SEVERITY_SCORE.get(self.severity, 5)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["kind"] = self.kind
        data["first_seen"] = self.first_seen.isoformat()
        data["last_seen"] = self.last_seen.isoformat()
        data["severity_score"] = self.severity_score
        data["details"] = dict(self.details)
        return data

    def to_message(self) -> Message:
        """The alert as every channel renders it: rule, pseudonymous user, service, domain, count, first/last seen;
        for SIEMs the signature ``shadow-ai.<rule kind>``, ECS ``rule.id`` = the rule's key, ``user.id`` and
        ``url.domain``, and the CEF extension the channel has always sent (``suser``, ``dhost``, ``cnt``, cs1-cs5)."""
        return Message(
            topic=self.kind,
            event_id=self.alert_id,
            signature=f"shadow-ai.{self.rule_kind}",
            name=self.rule_name,
            title=alert_title(self.rule_name, self.service_name),
            severity=self.severity,
            summary=self.summary,
            occurred_at=self.last_seen,
            start=self.first_seen,
            link=self.link,
            link_label="Open in AIGov",
            category="shadow-ai",
            facts=(
                Fact("Rule", f"{self.rule_name} ({self.rule_id})", key="rule.id"),
                Fact("User (pseudonym)", self.subject or "organisation-wide", key="user.id"),
                Fact("Service", f"{self.service_name} ({self.domain})", key="url.domain"),
                Fact("Occurrences", str(self.count), key="count"),
                Fact("First seen", f"{self.first_seen:%Y-%m-%d %H:%M} UTC", key="event.start"),
                Fact("Last seen", f"{self.last_seen:%Y-%m-%d %H:%M} UTC", key="event.end"),
                Fact("Alert", self.alert_id, key="event.id"),
            ),
            footer=(
                "The user is shown as a pseudonym; re-identification is possible in AIGov with permission and is"
                " audited."
            ),
            data={k: v for k, v in self.to_dict().items() if k != "kind"},
            ecs={
                "event": {"category": ["network", "web"], "action": self.rule_kind},
                "rule": {"id": self.rule_id},
                "user": {"id": self.subject},
                "url": {"domain": self.domain},
            },
            cef=(
                ("suser", self.subject),
                ("dhost", self.domain),
                ("app", self.service_name),
                ("act", "observed"),
                ("cnt", self.count),
                ("cs1Label", "ruleId"),
                ("cs1", self.rule_id),
                ("cs2Label", "alertId"),
                ("cs2", self.alert_id),
                ("cs3Label", "fingerprint"),
                ("cs3", self.fingerprint),
                ("cs4Label", "link"),
                ("cs4", self.link),
                ("cs5Label", "status"),
                ("cs5", self.status),
            ),
            refs={"alert_id": self.alert_id},
        )
