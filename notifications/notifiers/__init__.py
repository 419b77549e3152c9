"""Delivery channels, one module each behind :class:`~notifications.notifiers.base.Notifier`: each renders a
:class:`~notifications.notifiers.message.Message` and knows nothing about its topic (shadow-AI alerts and fairness-audit
findings, obligation reminders, evidence packs ready; the producing apps build the messages)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from notifications.notifiers.base import Notifier, NotifierError
from notifications.notifiers.email import EmailNotifier
from notifications.notifiers.message import Fact, Link, Message
from notifications.notifiers.slack import SlackNotifier
from notifications.notifiers.splunk_hec import SplunkHECNotifier
from notifications.notifiers.syslog_cef import SyslogCEFNotifier
from notifications.notifiers.teams import TeamsNotifier
from notifications.notifiers.webhook import WebhookNotifier

NOTIFIERS: dict[str, type[Notifier]] = {
    cls.kind: cls
    for cls in (EmailNotifier, WebhookNotifier, SlackNotifier, TeamsNotifier, SyslogCEFNotifier, SplunkHECNotifier)
}


def notifier_for(kind: str, config: Mapping[str, Any]) -> Notifier:
    """The notifier of a channel kind, configured; unknown kinds are a permanent delivery error."""
    try:
        cls = NOTIFIERS[kind]
    except KeyError:
        raise NotifierError(f"unknown channel kind {kind!r}", permanent=True) from None
    return cls(config)


__all__ = [
    "NOTIFIERS",
    "Fact",
    "Link",
    "Message",
    "Notifier",
    "NotifierError",
    "notifier_for",
]
