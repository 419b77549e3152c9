"""E-mail through Django's mail backend (``EMAIL_URL``): for people, a fallback to the SIEM and chat channels."""

from __future__ import annotations

import smtplib
from typing import ClassVar

from django.core.mail import EmailMessage

from notifications.notifiers.base import AlertPayload, AuditFindingPayload, Notifier, NotifierError, Payload

#: metric verdicts listed in a finding's e-mail (the run page has all of them)
MAX_METRIC_LINES = 30


def email_subject(payload: Payload) -> str:
    if isinstance(payload, AuditFindingPayload):
        return f"[AIGov {payload.severity.upper()}] {payload.title}"[:200]
    return f"[AIGov {payload.severity.upper()}] {payload.rule_name}: {payload.service_name}"[:200]


def email_body(payload: Payload) -> str:
    if isinstance(payload, AuditFindingPayload):
        return finding_email_body(payload)
    return alert_email_body(payload)


def alert_email_body(payload: AlertPayload) -> str:
    lines = [
        payload.summary,
        "",
        f"Rule:            {payload.rule_name} ({payload.rule_id})",
        f"Severity:        {payload.severity}",
        f"Service:         {payload.service_name} ({payload.domain})",
        f"User pseudonym:  {payload.subject or 'organisation-wide'}",
        f"Occurrences:     {payload.count}",
        f"First seen:      {payload.first_seen:%Y-%m-%d %H:%M} UTC",
        f"Last seen:       {payload.last_seen:%Y-%m-%d %H:%M} UTC",
        f"Alert id:        {payload.alert_id}",
        "",
        f"Triage: {payload.link}",
        "",
        "The user is shown as a pseudonym; re-identification is possible in AIGov with permission and is audited.",
    ]
    return "\n".join(lines)


def finding_email_body(payload: AuditFindingPayload) -> str:
    lines = [
        payload.title,
        "",
        f"Finding:         {payload.finding_kind_label}",
        f"Severity:        {payload.severity}",
        f"AI system:       {payload.system_name} (#{payload.system_id})",
        f"Audit:           {payload.definition_name} (#{payload.definition_id})",
        f"Model version:   {payload.model_version or 'not recorded'}",
        f"Legal basis:     {payload.legal_basis}",
        f"Obligation:      {payload.obligation or 'none linked in the registry'}",
        f"Run:             #{payload.run_id}, slot {payload.run_slot:%Y-%m-%d %H:%M} UTC",
        f"Verdict:         {payload.verdict or 'the run could not complete'}",
    ]
    if payload.error:
        lines += ["", "Error:", payload.error]
    judged = [m for m in payload.metrics if m.verdict in ("fail", "warn")]
    if judged:
        lines += ["", "Metric verdicts:"] + [f"  - {m.line()}" for m in judged[:MAX_METRIC_LINES]]
        if len(judged) > MAX_METRIC_LINES:
            lines.append(f"  ... and {len(judged) - MAX_METRIC_LINES} more on the run page")
    lines += ["", f"Run: {payload.link}"]
    if payload.finding_link:
        lines.append(f"Finding: {payload.finding_link}")
    return "\n".join(lines)


class EmailNotifier(Notifier):
    """``config``: ``to`` (a list of addresses or a comma-separated string)."""

    kind: ClassVar[str] = "email"
    required = ("to",)

    def recipients(self) -> list[str]:
        to = self.config.get("to") or []
        if isinstance(to, str):
            to = to.split(",")
        return [address.strip() for address in to if address and address.strip()]

    def send(self, payload: Payload) -> None:
        recipients = self.recipients()
        if not recipients:
            raise NotifierError("no recipients configured", permanent=True)
        message = EmailMessage(email_subject(payload), email_body(payload), to=recipients)
        try:
            message.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as exc:
            raise NotifierError(f"recipients refused: {exc}", permanent=True) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise NotifierError(f"mail server error: {exc}") from exc
