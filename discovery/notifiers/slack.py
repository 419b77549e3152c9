"""Slack incoming webhook (``hooks.slack.com/services/...``): ``text`` fallback plus Block Kit blocks.

Slack allows about one message per second per webhook and answers 429 with ``Retry-After`` beyond that; the
outbox honours it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from discovery.notifiers.base import DEFAULT_TIMEOUT, AlertPayload, Notifier, http_post, json_bytes


def _mrkdwn(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_message(payload: AlertPayload) -> dict[str, Any]:
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


class SlackNotifier(Notifier):
    """``config``: ``url`` (the incoming-webhook URL)."""

    kind: ClassVar[str] = "slack"
    required = ("url",)

    def send(self, alert_payload: AlertPayload) -> None:
        http_post(
            str(self.config["url"]),
            json_bytes(slack_message(alert_payload)),
            timeout=float(self.config.get("timeout", DEFAULT_TIMEOUT)),
        )
