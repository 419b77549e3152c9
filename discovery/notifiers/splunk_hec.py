"""Splunk HTTP Event Collector: ``POST /services/collector/event`` with ``Authorization: Splunk <token>``."""

from __future__ import annotations

import socket
from typing import Any, ClassVar

from discovery.notifiers.base import DEFAULT_TIMEOUT, AlertPayload, Notifier, http_post, json_bytes


def hec_event(payload: AlertPayload, *, index: str = "", source: str = "aigov", host: str = "") -> dict[str, Any]:
    event: dict[str, Any] = {
        "time": round(payload.last_seen.timestamp(), 3),
        "host": host or socket.gethostname(),
        "source": source,
        "sourcetype": "_json",
        "event": payload.to_ecs(),
        "fields": {"rule_id": payload.rule_id, "severity": payload.severity, "alert_id": payload.alert_id},
    }
    if index:
        event["index"] = index
    return event


class SplunkHECNotifier(Notifier):
    """``config``: ``url`` (``https://splunk:8088/services/collector/event``), ``token``, optional ``index``,
    ``source``."""

    kind: ClassVar[str] = "splunk_hec"
    required = ("url", "token")

    def send(self, alert_payload: AlertPayload) -> None:
        body = hec_event(
            alert_payload, index=str(self.config.get("index", "")), source=str(self.config.get("source") or "aigov")
        )
        http_post(
            str(self.config["url"]),
            json_bytes(body),
            headers={"Authorization": f"Splunk {self.config['token']}"},
            timeout=float(self.config.get("timeout", DEFAULT_TIMEOUT)),
        )
