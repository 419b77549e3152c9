"""Slack incoming webhook (``hooks.slack.com/services/...``): ``text`` fallback plus Block Kit blocks.

Slack allows about one message per second per webhook and answers 429 with ``Retry-After`` beyond that; the
outbox honours it.
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

#: metric verdicts listed in a finding's message (a section's text is limited to 3000 characters)
MAX_METRIC_LINES = 10


def _mrkdwn(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_message(payload: Payload) -> dict[str, Any]:
    """The webhook body for an alert or an audit finding."""
    if isinstance(payload, AuditFindingPayload):
        return slack_finding_message(payload)
    return slack_alert_message(payload)


def slack_alert_message(payload: AlertPayload) -> dict[str, Any]:
    title = f"[{payload.severity.upper()}] {payload.rule_name}: {payload.service_name}"
    fields = [
        f"*User (pseudonym)*\n`{payload.subject[:16] or 'organisation'}`",
        f"*Service*\n{_mrkdwn(payload.service_name)} ({_mrkdwn(payload.domain)})",
        f"*Count*\n{payload.count}",
        f"*Last seen*\n{payload.last_seen:%Y-%m-%d %H:%M} UTC",
    ]
    return {
        "text": f"{title} - {payload.summary}",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": _mrkdwn(payload.summary)}},
            {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]},
            {
                "type": "actions",
                "elements": [
                    {"type": "button", "text": {"type": "plain_text", "text": "Open in AIGov"}, "url": payload.link}
                ],
            },
        ],
    }


def slack_finding_message(payload: AuditFindingPayload) -> dict[str, Any]:
    title = f"[{payload.severity.upper()}] {payload.title}"
    fields = [
        f"*AI system*\n{_mrkdwn(payload.system_name)}",
        f"*Audit*\n{_mrkdwn(payload.definition_name)}"
        + (f" (model {_mrkdwn(payload.model_version)})" if payload.model_version else ""),
        f"*Verdict*\n{payload.verdict or 'could not run'}",
        f"*Legal basis*\n{_mrkdwn(payload.legal_basis)}"
        + (f" ({_mrkdwn(payload.obligation)})" if payload.obligation else ""),
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]},
    ]
    judged = [m for m in payload.metrics if m.verdict in ("fail", "warn")]
    if judged:
        lines = [f"• `{_mrkdwn(m.line())}`" for m in judged[:MAX_METRIC_LINES]]
        if len(judged) > MAX_METRIC_LINES:
            lines.append(f"… and {len(judged) - MAX_METRIC_LINES} more on the run page")
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "*Metric verdicts*\n" + "\n".join(lines)}})
    if payload.error:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*Error*\n{_mrkdwn(payload.error[:2900])}"}}
        )
    buttons = [{"type": "button", "text": {"type": "plain_text", "text": "Open the run in AIGov"}, "url": payload.link}]
    if payload.finding_link:
        buttons.append(
            {"type": "button", "text": {"type": "plain_text", "text": "Open the finding"}, "url": payload.finding_link}
        )
    blocks.append({"type": "actions", "elements": buttons})
    return {"text": f"{title} - {payload.finding_kind_label}", "blocks": blocks}


class SlackNotifier(Notifier):
    """``config``: ``url`` (the incoming-webhook URL)."""

    kind: ClassVar[str] = "slack"
    required = ("url",)
    secret_keys = ("url",)  # an incoming-webhook URL embeds its credential: whoever holds it can post

    def send(self, payload: Payload) -> None:
        http_post(
            str(self.config["url"]),
            json_bytes(slack_message(payload)),
            timeout=float(self.config.get("timeout", DEFAULT_TIMEOUT)),
        )
