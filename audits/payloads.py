"""What the notification channels (and the direct e-mail to compliance officers) receive about a fairness-audit
finding: the system, the audit, the legal basis, the judged metric values and links, as one
:class:`~notifications.notifiers.message.Message`. No personal data. Plain Python."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, ClassVar

from notifications.notifiers.message import SEVERITY_SCORE, Fact, Link, Message

#: the notification topic of audit findings (registered by ``AuditsConfig.ready``)
FINDING_TOPIC = "audit_finding"


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
