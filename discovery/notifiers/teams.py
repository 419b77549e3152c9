"""Microsoft Teams through the Workflows app ("When a Teams webhook request is received"): an Adaptive Card.

The classic Office 365 connectors (MessageCard) are retired; Workflows accepts only Adaptive Cards, wrapped in a
``message`` with ``attachments``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from discovery.notifiers.base import DEFAULT_TIMEOUT, AlertPayload, Notifier, http_post, json_bytes

_COLOUR = {"low": "Default", "medium": "Warning", "high": "Attention", "critical": "Attention"}


def adaptive_card(payload: AlertPayload) -> dict[str, Any]:
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {
                "type": "TextBlock",
                "size": "Medium",
                "weight": "Bolder",
                "wrap": True,
                "color": _COLOUR.get(payload.severity, "Default"),
                "text": f"[{payload.severity.upper()}] {payload.rule_name}: {payload.service_name}",
            },
            {"type": "TextBlock", "wrap": True, "text": payload.summary},
            {
                "type": "FactSet",
                "facts": [
                    {"title": "User (pseudonym)", "value": payload.subject[:16] or "organisation"},
                    {"title": "Service", "value": f"{payload.service_name} ({payload.domain})"},
                    {"title": "Count", "value": str(payload.count)},
                    {"title": "Last seen", "value": f"{payload.last_seen:%Y-%m-%d %H:%M} UTC"},
                    {"title": "Alert", "value": payload.alert_id},
                ],
            },
        ],
        "actions": [{"type": "Action.OpenUrl", "title": "Open in AIGov", "url": payload.link}],
    }
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


class TeamsNotifier(Notifier):
    """``config``: ``url`` (the Workflows trigger URL)."""

    kind: ClassVar[str] = "teams"
    required = ("url",)

    def send(self, alert_payload: AlertPayload) -> None:
        http_post(
            str(self.config["url"]),
            json_bytes(adaptive_card(alert_payload)),
            timeout=float(self.config.get("timeout", DEFAULT_TIMEOUT)),
        )
