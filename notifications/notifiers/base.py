"""The notifier contract: one small class per delivery channel (Healthchecks ``hc/integrations/<kind>``).

A notifier renders one :class:`~notifications.notifiers.message.Message` on its channel and knows nothing about what
the message is about. The topics turn their events into a ``Message``: here, for now, a shadow-AI
:class:`AlertPayload` and a fairness-audit :class:`AuditFindingPayload` (``to_message``; they move to their owning
apps). A notifier raises :class:`NotifierError` when delivery failed; ``permanent`` tells the outbox not to retry
(bad URL, 4xx), ``retry_after`` carries a server's ``Retry-After`` (429) so the next attempt waits at least that
long. Notifiers never see raw identities: a message holds the pseudonym only.
"""

from __future__ import annotations

import abc
import email.utils
import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from notifications.notifiers.message import SEVERITY_SCORE, Fact, Link, Message

#: seconds before an HTTP or socket delivery gives up (short: a slow receiver must not hold the alerts queue)
DEFAULT_TIMEOUT = 10.0


class NotifierError(Exception):
    """Delivery failed. ``permanent``: do not retry. ``retry_after``: the receiver asked us to wait (seconds)."""

    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.retry_after = retry_after


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
            title=f"{self.rule_name}: {self.service_name}",
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


@dataclass(frozen=True, slots=True)
class MetricVerdictItem:
    """One judged value of an audit run: an aggregate (``group`` empty) or a group's impact ratio."""

    analysis: str  # the sensitive feature(s) analysed, e.g. "sex" or "sex x race"
    metric: str
    verdict: str  # pass, warn, fail, insufficient_data
    value: float | None = None
    group: str = ""
    control: str = ""
    fail: float | None = None  # the failing threshold
    higher_is_better: bool = True

    def line(self) -> str:
        """``impact_ratio F (sex) = 0.62: fail (threshold 0.8)`` for people."""
        where = " ".join(p for p in (self.group, f"({self.analysis})" if self.analysis else "") if p)
        if self.control:
            where += f" [control {self.control}]"
        value = "n/a" if self.value is None else f"{self.value:.3g}"
        threshold = "" if self.fail is None else f" (threshold {'<' if self.higher_is_better else '>'} {self.fail:g})"
        return f"{self.metric} {where} = {value}: {self.verdict}{threshold}".replace("  ", " ")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MetricVerdictItem:
        return cls(
            analysis=str(data.get("analysis") or ""),
            metric=str(data["metric"]),
            verdict=str(data["verdict"]),
            value=None if data.get("value") is None else float(data["value"]),
            group=str(data.get("group") or ""),
            control=str(data.get("control") or ""),
            fail=None if data.get("fail") is None else float(data["fail"]),
            higher_is_better=bool(data.get("higher_is_better", True)),
        )


@dataclass(frozen=True, slots=True)
class AuditFindingPayload:
    """A fairness-audit finding (EU AI Act Art. 10(2)(f)-(g) bias examination) as channels receive it.

    Built by the audits app when a run fails or its verdict turns to failing, stored as a snapshot on the delivery
    (:meth:`to_dict` / :meth:`from_dict`), so the message says what was true when the event happened. Carries no
    personal data: the system, the audit, the run and the judged metric values.
    """

    kind: ClassVar[str] = "audit_finding"

    event_id: str  # stable per run attempt, e.g. "audits.run.12.1"
    finding_id: int
    finding_kind: str  # e.g. "failing" or "run_error"
    finding_kind_label: str  # e.g. "Audit verdict is failing"
    severity: str
    title: str
    summary: str
    system_id: int
    system_name: str
    definition_id: int
    definition_name: str
    legal_basis: str  # label of the legal basis the audit serves
    obligation: str  # registry obligation it is linked to (e.g. "Art. 10"), empty when the registry has none
    run_id: int
    run_slot: datetime
    occurred_at: datetime
    link: str  # the run in the admin
    finding_link: str
    verdict: str = ""  # overall verdict; empty when the run could not complete
    error: str = ""
    metrics: tuple[MetricVerdictItem, ...] = ()
    model_version: str = ""  # the registered model release the run audited, when the definition names one

    @property
    def severity_score(self) -> int:
        return SEVERITY_SCORE.get(self.severity, 5)

    @property
    def signature(self) -> str:
        """Stable event-class id for SIEM correlation (CEF signature id, ECS ``rule.id``)."""
        return f"audit.{self.finding_kind}"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["kind"] = self.kind
        data["run_slot"] = self.run_slot.isoformat()
        data["occurred_at"] = self.occurred_at.isoformat()
        data["severity_score"] = self.severity_score
        data["metrics"] = [asdict(m) for m in self.metrics]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AuditFindingPayload:
        """The payload back from :meth:`to_dict` (the delivery's stored snapshot); unknown keys are ignored."""
        return cls(
            event_id=str(data["event_id"]),
            finding_id=int(data["finding_id"]),
            finding_kind=str(data["finding_kind"]),
            finding_kind_label=str(data.get("finding_kind_label") or data["finding_kind"]),
            severity=str(data["severity"]),
            title=str(data["title"]),
            summary=str(data.get("summary") or ""),
            system_id=int(data["system_id"]),
            system_name=str(data["system_name"]),
            definition_id=int(data["definition_id"]),
            definition_name=str(data["definition_name"]),
            legal_basis=str(data.get("legal_basis") or ""),
            obligation=str(data.get("obligation") or ""),
            run_id=int(data["run_id"]),
            run_slot=datetime.fromisoformat(str(data["run_slot"])),
            occurred_at=datetime.fromisoformat(str(data["occurred_at"])),
            link=str(data["link"]),
            finding_link=str(data.get("finding_link") or ""),
            verdict=str(data.get("verdict") or ""),
            error=str(data.get("error") or ""),
            metrics=tuple(MetricVerdictItem.from_dict(m) for m in data.get("metrics") or ()),
            model_version=str(data.get("model_version") or ""),
        )

    def to_message(self) -> Message:
        """The finding as every channel renders it: system, audit, model version, legal basis, registry obligation,
        verdict and run as facts, the failing and warning metric values (and an error the summary does not already
        say) as lines, the run as the main link and the finding as a second one; for SIEMs the signature
        ``audit.<finding kind>`` and the CEF extension the channel has always sent (cs1-cs6, cn1-cn2)."""
        judged = [m.line() for m in self.metrics if m.verdict in ("fail", "warn")]
        summary = self.summary or self.error
        error = [f"Error: {self.error}"] if self.error and self.error.strip() != summary.strip() else []
        return Message(
            topic=self.kind,
            event_id=self.event_id,
            signature=self.signature,
            name=self.finding_kind_label,
            title=self.title,
            severity=self.severity,
            summary=summary,
            occurred_at=self.occurred_at,
            start=self.run_slot,
            link=self.link,
            link_label="Open the run in AIGov",
            links=(Link("Open the finding", self.finding_link),) if self.finding_link else (),
            category="fairness-audit",
            facts=(
                Fact("Finding", self.finding_kind_label, key="finding.kind"),
                Fact("AI system", f"{self.system_name} (#{self.system_id})", key="ai_system.name"),
                Fact("Audit", f"{self.definition_name} (#{self.definition_id})", key="audit.name"),
                Fact("Model version", self.model_version or "not recorded", key="model.version"),
                Fact("Verdict", self.verdict or "could not run", key="audit.verdict"),
                Fact("Legal basis", self.legal_basis, key="audit.legal_basis"),
                Fact("Obligation", self.obligation or "none linked in the registry", key="obligation"),
                Fact("Run", f"#{self.run_id}, slot {self.run_slot:%Y-%m-%d %H:%M} UTC", key="audit_run.id"),
            ),
            lines=(*error, *judged),
            data={k: v for k, v in self.to_dict().items() if k != "kind"},
            ecs={"event": {"outcome": "failure", "action": self.finding_kind}},
            cef=(
                ("act", self.finding_kind),
                ("outcome", "failure"),
                ("cs1Label", "auditId"),
                ("cs1", self.definition_id),
                ("cs2Label", "findingId"),
                ("cs2", self.finding_id),
                ("cs3Label", "aiSystem"),
                ("cs3", self.system_name),
                ("cs4Label", "link"),
                ("cs4", self.link),
                ("cs5Label", "verdict"),
                ("cs5", self.verdict or "error"),
                ("cs6Label", "legalBasis"),
                ("cs6", self.legal_basis),
                ("cn1Label", "auditRunId"),
                ("cn1", self.run_id),
                ("cn2Label", "aiSystemId"),
                ("cn2", self.system_id),
            ),
            refs={"finding_id": self.finding_id, "ai_system_id": self.system_id, "audit_run_id": self.run_id},
        )


#: the events the outbox delivers today (each turns into a :class:`Message` for the channels)
type Payload = AlertPayload | AuditFindingPayload


class Notifier(abc.ABC):
    """One channel. ``config`` is the channel's admin-edited settings; :meth:`validate_config` checks its shape."""

    kind: ClassVar[str]
    required: ClassVar[tuple[str, ...]] = ()
    #: config keys holding credentials (write-only: never shown by the API, admin or history); the first one is
    #: the channel's main secret, the one the admin's write-only field sets. See :mod:`notifications.secrets`.
    secret_keys: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = dict(config)

    @classmethod
    def validate_config(cls, config: Mapping[str, Any]) -> list[str]:
        """Problems with ``config`` (empty: fine)."""
        return [f"'{key}' is required" for key in cls.required if not config.get(key)]

    @abc.abstractmethod
    def send(self, message: Message) -> None:
        """Deliver one message, or raise :class:`NotifierError`."""


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds: delta-seconds or an HTTP date (RFC 9110 10.2.3); None when absent/invalid."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def http_post(
    url: str, body: bytes, *, headers: Mapping[str, str] | None = None, timeout: float = DEFAULT_TIMEOUT
) -> int:
    """POST ``body`` and map failures onto :class:`NotifierError`: 429 -> transient with ``retry_after``; 408 and
    5xx -> transient; other 4xx -> permanent; connection errors and timeouts -> transient."""
    if not url.startswith(("http://", "https://")):
        # never echo the URL itself into ``last_error``: a chat webhook URL is a credential
        scheme = url.partition(":")[0][:12] if ":" in url else "none"
        raise NotifierError(f"not an http(s) URL (scheme {scheme!r})", permanent=True)
    request = urllib.request.Request(url, data=body, method="POST")
    for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read(1024)
            return int(response.status)
    except urllib.error.HTTPError as exc:
        code = exc.code
        detail = exc.read(300).decode("utf-8", "replace") if exc.fp is not None else ""
        message = f"HTTP {code} from receiver: {detail}".strip()
        if code == 429:
            raise NotifierError(message, retry_after=parse_retry_after(exc.headers.get("Retry-After"))) from exc
        if code == 408 or code >= 500:
            raise NotifierError(message, retry_after=parse_retry_after(exc.headers.get("Retry-After"))) from exc
        raise NotifierError(message, permanent=True) from exc
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise NotifierError(f"connection failed: {reason}") from exc


def json_bytes(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":"), sort_keys=True, default=str).encode()
