"""Delivery channels for shadow-AI alerts and fairness-audit findings, one module each behind
:class:`~notifications.notifiers.base.Notifier`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from notifications.notifiers.base import (
    AlertPayload,
    AuditFindingPayload,
    MetricVerdictItem,
    Notifier,
    NotifierError,
    Payload,
)
from notifications.notifiers.email import EmailNotifier
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
    "AlertPayload",
    "AuditFindingPayload",
    "MetricVerdictItem",
    "Notifier",
    "NotifierError",
    "Payload",
    "notifier_for",
]
