"""Microsoft Teams through the Workflows app ("When a Teams webhook request is received"): an Adaptive Card.

The classic Office 365 connectors (MessageCard) are retired; Workflows accepts only Adaptive Cards, wrapped in a
``message`` with ``attachments``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from notifications.notifiers.base import (
    DEFAULT_TIMEOUT,
    AlertPayload,
    AuditFindingPayload,
    Notifier,
    Payload,
    http_post,
    json_bytes,
)

_COLOUR = {"low": "Default", "medium": "Warning", "high": "Attention", "critical": "Attention"}
#: metric verdicts listed on a finding's card
MAX_METRIC_LINES = 10


def adaptive_card(payload: Payload) -> dict[str, Any]:
    """The Workflows message (an Adaptive Card attachment) for an alert or an audit finding."""
    card = finding_card(payload) if isinstance(payload, AuditFindingPayload) else alert_card(payload)
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


def _card(body: list[dict[str, Any]], actions: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "actions": actions,
    }


def _title(text: str, severity: str) -> dict[str, Any]:
    return {
        "type": "TextBlock",
        "size": "Medium",
        "weight": "Bolder",
        "wrap": True,
        "color": _COLOUR.get(severity, "Default"),
        "text": text,
    }


def alert_card(payload: AlertPayload) -> dict[str, Any]:
    return _card(
        [
            _title(f"[{payload.severity.upper()}] {payload.rule_name}: {payload.service_name}", payload.severity),
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
        [{"type": "Action.OpenUrl", "title": "Open in AIGov", "url": payload.link}],
    )


def finding_card(payload: AuditFindingPayload) -> dict[str, Any]:
    facts = [
        {"title": "AI system", "value": payload.system_name},
        {"title": "Audit", "value": payload.definition_name},
        {"title": "Model version", "value": payload.model_version or "not recorded"},
        {"title": "Verdict", "value": payload.verdict or "could not run"},
        {"title": "Legal basis", "value": payload.legal_basis},
        {"title": "Obligation", "value": payload.obligation or "none linked in the registry"},
        {"title": "Run", "value": f"#{payload.run_id}, slot {payload.run_slot:%Y-%m-%d %H:%M} UTC"},
    ]
    body: list[dict[str, Any]] = [
        _title(f"[{payload.severity.upper()}] {payload.title}", payload.severity),
        {"type": "FactSet", "facts": facts},
    ]
    judged = [m for m in payload.metrics if m.verdict in ("fail", "warn")]
    if judged:
        lines = [f"- {m.line()}" for m in judged[:MAX_METRIC_LINES]]
        if len(judged) > MAX_METRIC_LINES:
            lines.append(f"- ... and {len(judged) - MAX_METRIC_LINES} more on the run page")
        body.append({"type": "TextBlock", "wrap": True, "weight": "Bolder", "text": "Metric verdicts"})
        body.append({"type": "TextBlock", "wrap": True, "text": "\n".join(lines)})
    if payload.error:
        body.append({"type": "TextBlock", "wrap": True, "text": payload.error[:2000]})
    actions = [{"type": "Action.OpenUrl", "title": "Open the run in AIGov", "url": payload.link}]
    if payload.finding_link:
        actions.append({"type": "Action.OpenUrl", "title": "Open the finding", "url": payload.finding_link})
    return _card(body, actions)


class TeamsNotifier(Notifier):
    """``config``: ``url`` (the Workflows trigger URL)."""

    kind: ClassVar[str] = "teams"
    required = ("url",)
    secret_keys = ("url",)  # a Workflows trigger URL carries its signature (sig=...) in the query string

    def send(self, payload: Payload) -> None:
        http_post(
            str(self.config["url"]),
            json_bytes(adaptive_card(payload)),
            timeout=float(self.config.get("timeout", DEFAULT_TIMEOUT)),
        )
