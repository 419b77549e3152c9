"""Microsoft Teams through the Workflows app ("When a Teams webhook request is received"): an Adaptive Card.

The classic Office 365 connectors (MessageCard) are retired; Workflows accepts only Adaptive Cards, wrapped in a
``message`` with ``attachments``. One layout for every message: the title (coloured by severity), the summary, the
facts as a FactSet, the detail lines, the footer, then the link buttons.
"""

from __future__ import annotations

from typing import Any, ClassVar

from notifications.notifiers.base import DEFAULT_TIMEOUT, Notifier, http_post, json_bytes
from notifications.notifiers.message import Message, capped, shorten

_COLOUR = {"low": "Default", "medium": "Warning", "high": "Attention", "critical": "Attention"}
#: detail lines listed on a card (the topic's page has all of them)
MAX_LINES = 10
#: characters of the summary shown (a card's payload is limited to about 28 kB)
SUMMARY_LIMIT = 2000


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "wrap": True, **style, "text": text}


def adaptive_card(message: Message) -> dict[str, Any]:
    """The Workflows message (an Adaptive Card attachment) for one message."""
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card(message)}
        ],
    }


def card(message: Message) -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        _text(
            f"[{message.severity.upper()}] {message.title}",
            size="Medium",
            weight="Bolder",
            color=_COLOUR.get(message.severity, "Default"),
        )
    ]
    if message.summary:
        body.append(_text(shorten(message.summary, SUMMARY_LIMIT)))
    if message.facts:
        body.append({"type": "FactSet", "facts": [{"title": f.label, "value": f.value} for f in message.facts]})
    if message.lines:
        lines = capped((f"- {line}" for line in message.lines), MAX_LINES, more="- ... and {n} more in AIGov")
        body.append(_text("\n".join(lines)))
    if message.footer:
        body.append(_text(message.footer, size="Small", isSubtle=True))
    actions = [{"type": "Action.OpenUrl", "title": message.link_label, "url": message.link}] if message.link else []
    actions += [{"type": "Action.OpenUrl", "title": link.label, "url": link.url} for link in message.links if link.url]
    return {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "actions": actions,
    }


class TeamsNotifier(Notifier):
    """``config``: ``url`` (the Workflows trigger URL)."""

    kind: ClassVar[str] = "teams"
    required = ("url",)
    secret_keys = ("url",)  # a Workflows trigger URL carries its signature (sig=...) in the query string

    def send(self, message: Message) -> None:
        http_post(
            str(self.config["url"]),
            json_bytes(adaptive_card(message)),
            timeout=float(self.config.get("timeout", DEFAULT_TIMEOUT)),
        )
