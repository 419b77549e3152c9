"""Splunk HTTP Event Collector: ``POST /services/collector/event`` with ``Authorization: Splunk <token>``.

The event is the ECS-shaped JSON of the webhook; the indexed ``fields`` carry ``kind`` (``shadow_ai_alert`` or
``audit_finding``) so searches can split the two without parsing the event.
"""

from __future__ import annotations

import socket
from typing import Any, ClassVar

from notifications.notifiers.base import (
    DEFAULT_TIMEOUT,
    AuditFindingPayload,
    Notifier,
    Payload,
    http_post,
    json_bytes,
)


def hec_event(payload: Payload, *, index: str = "", source: str = "aigov", host: str = "") -> dict[str, Any]:
    fields: dict[str, Any]
    if isinstance(payload, AuditFindingPayload):
        at = payload.occurred_at
        fields = {
            "kind": payload.kind,
            "rule_id": payload.signature,
            "severity": payload.severity,
            "finding_id": payload.finding_id,
            "ai_system_id": payload.system_id,
            "audit_run_id": payload.run_id,
        }
    else:
        at = payload.last_seen
        fields = {
            "kind": payload.kind,
            "rule_id": payload.rule_id,
            "severity": payload.severity,
            "alert_id": payload.alert_id,
        }
    event: dict[str, Any] = {
        "time": round(at.timestamp(), 3),
        "host": host or socket.gethostname(),
        "source": source,
        "sourcetype": "_json",
        "event": payload.to_ecs(),
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

    def send(self, payload: Payload) -> None:
        body = hec_event(
            payload, index=str(self.config.get("index", "")), source=str(self.config.get("source") or "aigov")
        )
        http_post(
            str(self.config["url"]),
            json_bytes(body),
            headers={"Authorization": f"Splunk {self.config['token']}"},
            timeout=float(self.config.get("timeout", DEFAULT_TIMEOUT)),
        )
