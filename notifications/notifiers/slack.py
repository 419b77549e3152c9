"""Slack incoming webhook (``hooks.slack.com/services/...``): ``text`` fallback plus Block Kit blocks.

One layout for every message: a header (``[SEVERITY] title``), the summary, the facts as section fields, the
detail lines as a bullet list, the footer as context, then the link buttons. Slack allows about one message per
second per webhook and answers 429 with ``Retry-After`` beyond that; the outbox honours it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from notifications.notifiers.base import DEFAULT_TIMEOUT, Notifier, http_post, json_bytes
from notifications.notifiers.message import Message, capped, shorten

#: detail lines listed (the topic's page has all of them)
MAX_LINES = 10
#: Block Kit limits: header text 150, section text 3000, a field 2000, fields per section 10, fallback text kept short
HEADER_LIMIT = 150
SECTION_LIMIT = 3000
FIELD_LIMIT = 2000
FIELDS_PER_SECTION = 10
TEXT_LIMIT = 500


def _mrkdwn(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": shorten(text, SECTION_LIMIT)}}


def _button(label: str, url: str) -> dict[str, Any]:
    return {"type": "button", "text": {"type": "plain_text", "text": label[:75]}, "url": url}


def slack_message(message: Message) -> dict[str, Any]:
    """The webhook body for one message."""
    title = f"[{message.severity.upper()}] {message.title}"
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": title[:HEADER_LIMIT]}}]
    if message.summary:
        blocks.append(_section(_mrkdwn(message.summary)))
    fields = [shorten(f"*{_mrkdwn(f.label)}*\n{_mrkdwn(f.value)}", FIELD_LIMIT) for f in message.facts]
    for start in range(0, len(fields), FIELDS_PER_SECTION):
        chunk = fields[start : start + FIELDS_PER_SECTION]
        blocks.append({"type": "section", "fields": [{"type": "mrkdwn", "text": text} for text in chunk]})
    if message.lines:
        bullets = [f"• {_mrkdwn(line)}" for line in message.lines]
        blocks.append(_section("\n".join(capped(bullets, MAX_LINES, more="… and {n} more in AIGov"))))
    if message.footer:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _mrkdwn(message.footer)}]})
    buttons = [_button(message.link_label, message.link)] if message.link else []
    buttons += [_button(link.label, link.url) for link in message.links if link.url]
    if buttons:
        blocks.append({"type": "actions", "elements": buttons})
    text = f"{title} - {message.summary}" if message.summary else title
    return {"text": shorten(text, TEXT_LIMIT), "blocks": blocks}


class SlackNotifier(Notifier):
    """``config``: ``url`` (the incoming-webhook URL)."""

    kind: ClassVar[str] = "slack"
    required = ("url",)
    secret_keys = ("url",)  # an incoming-webhook URL embeds its credential: whoever holds it can post

    def send(self, message: Message) -> None:
        http_post(
            str(self.config["url"]),
            json_bytes(slack_message(message)),
            timeout=float(self.config.get("timeout", DEFAULT_TIMEOUT)),
        )
