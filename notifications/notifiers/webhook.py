"""Generic JSON webhook: ECS-shaped body, signed with HMAC-SHA256 over ``<timestamp>.<body>``.

Headers: ``X-AIGov-Timestamp`` (Unix seconds) and ``X-AIGov-Signature: sha256=<hex>``. A receiver recomputes the
HMAC with the shared secret and rejects timestamps older than a few minutes (replay protection). The body is
:meth:`Message.to_ecs <notifications.notifiers.message.Message.to_ecs>`: its top-level ``kind`` is the message's topic
(``shadow_ai_alert``, ``audit_finding``, ...) and ``aigov`` the topic's own fields.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import ClassVar

from notifications.notifiers.base import DEFAULT_TIMEOUT, Notifier, http_post, json_bytes
from notifications.notifiers.message import Message

TIMESTAMP_HEADER = "X-AIGov-Timestamp"
SIGNATURE_HEADER = "X-AIGov-Signature"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


class WebhookNotifier(Notifier):
    """``config``: ``url``, ``secret`` (HMAC key), optional ``timeout``."""

    kind: ClassVar[str] = "webhook"
    required = ("url", "secret")
    secret_keys = ("secret",)  # the HMAC key: whoever holds it can forge signed alerts

    def send(self, message: Message) -> None:
        body = json_bytes(message.to_ecs())
        timestamp = str(int(time.time()))
        headers = {
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(str(self.config["secret"]), timestamp, body),
            "User-Agent": "aigov-alerts/1",
        }
        http_post(
            str(self.config["url"]), body, headers=headers, timeout=float(self.config.get("timeout", DEFAULT_TIMEOUT))
        )
