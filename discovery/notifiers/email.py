"""E-mail through Django's mail backend (``EMAIL_URL``): for people, a fallback to the SIEM and chat channels."""

from __future__ import annotations

import smtplib
from typing import ClassVar

from django.core.mail import EmailMessage

from discovery.notifiers.base import AlertPayload, Notifier, NotifierError


def email_subject(payload: AlertPayload) -> str:
    return f"[AIGov {payload.severity.upper()}] {payload.rule_name}: {payload.service_name}"[:200]


def email_body(payload: AlertPayload) -> str:
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


class EmailNotifier(Notifier):
    """``config``: ``to`` (a list of addresses or a comma-separated string)."""

    kind: ClassVar[str] = "email"
    required = ("to",)

    def recipients(self) -> list[str]:
        to = self.config.get("to") or []
        if isinstance(to, str):
            to = to.split(",")
        return [address.strip() for address in to if address and address.strip()]

    def send(self, alert_payload: AlertPayload) -> None:
        recipients = self.recipients()
        if not recipients:
            raise NotifierError("no recipients configured", permanent=True)
        message = EmailMessage(email_subject(alert_payload), email_body(alert_payload), to=recipients)
        try:
            message.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as exc:
            raise NotifierError(f"recipients refused: {exc}", permanent=True) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise NotifierError(f"mail server error: {exc}") from exc
