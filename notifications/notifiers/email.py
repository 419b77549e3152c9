"""E-mail through Django's mail backend (``EMAIL_URL``): for people, a fallback to the SIEM and chat channels.

One layout for every message: the subject ``[AIGov SEVERITY] title``; the body has the title, the summary, the
severity and the facts aligned in two columns, the detail lines, the links, then the footer.
"""

from __future__ import annotations

import smtplib
from typing import ClassVar

from django.core.mail import EmailMessage

from notifications.notifiers.base import Notifier, NotifierError
from notifications.notifiers.message import Message, capped

#: detail lines listed in an e-mail (the topic's page has all of them)
MAX_LINES = 30
#: labels are padded to at least this width, so values line up
LABEL_WIDTH = 16


def email_subject(message: Message) -> str:
    return f"[AIGov {message.severity.upper()}] {message.title}"[:200].replace("\r", " ").replace("\n", " ")


def email_body(message: Message) -> str:
    rows = [("Severity", message.severity), *((f.label, f.value) for f in message.facts)]
    width = max(LABEL_WIDTH, *(len(label) + 1 for label, _ in rows))
    lines = [message.title, ""]
    if message.summary:
        lines += [message.summary, ""]
    lines += [f"{label + ':':<{width}} {value}" for label, value in rows]
    if message.lines:
        lines += ["", *capped((f"  - {line}" for line in message.lines), MAX_LINES, more="  ... and {n} more in AIGov")]
    links = [(message.link_label, message.link), *((link.label, link.url) for link in message.links)]
    lines += ["", *(f"{label}: {url}" for label, url in links if url)]
    if message.footer:
        lines += ["", message.footer]
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

    def send(self, message: Message) -> None:
        recipients = self.recipients()
        if not recipients:
            raise NotifierError("no recipients configured", permanent=True)
        mail = EmailMessage(email_subject(message), email_body(message), to=recipients)
        try:
            mail.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as exc:
            raise NotifierError(f"recipients refused: {exc}", permanent=True) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise NotifierError(f"mail server error: {exc}") from exc
