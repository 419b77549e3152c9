"""Splunk HTTP Event Collector: ``POST /services/collector/event`` with ``Authorization: Splunk <token>``.

The event is the ECS-shaped JSON of the webhook; the indexed ``fields`` carry ``kind`` (the topic:
``shadow_ai_alert``, ``audit_finding``, ...), ``rule_id``, ``severity`` and the message's ``refs`` (``alert_id``,
``finding_id``, ...) so searches can split and join events without parsing them.
"""

from __future__ import annotations

import socket
from typing import Any, ClassVar

from notifications.notifiers.base import DEFAULT_TIMEOUT, Notifier, http_post, json_bytes
from notifications.notifiers.message import Message


def hec_event(message: Message, *, index: str = "", source: str = "aigov", host: str = "") -> dict[str, Any]:
    """The HEC envelope of one message."""
    ecs = message.to_ecs()
    fields: dict[str, Any] = {
        **message.refs,
        "kind": message.topic,
        "rule_id": ecs.get("rule", {}).get("id", message.signature),
        "severity": message.severity,
    }
    event: dict[str, Any] = {
        "time": round(message.occurred_at.timestamp(), 3),
        "host": host or socket.gethostname(),
        "source": source,
        "sourcetype": "_json",
        "event": ecs,
        "fields": fields,
    }
    if index:
        event["index"] = index
    return event


class SplunkHECNotifier(Notifier):
    """``config``: ``url`` (``https://splunk:8088/services/collector/event``), ``token``, optional ``index``,
    ``source``."""

    kind: ClassVar[str] = "splunk_hec"
    required = ("url", "token")
    secret_keys = ("token",)  # the HEC token

    def send(self, message: Message) -> None:
        body = hec_event(
            message, index=str(self.config.get("index", "")), source=str(self.config.get("source") or "aigov")
        )
        http_post(
            str(self.config["url"]),
            json_bytes(body),
            headers={"Authorization": f"Splunk {self.config['token']}"},
            timeout=float(self.config.get("timeout", DEFAULT_TIMEOUT)),
        )
