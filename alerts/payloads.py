"""What the notification channels receive about a shadow-AI alert (pseudonym only, never an identity)."""

from __future__ import annotations

from notifications.notifiers.base import AlertPayload

__all__ = ["AlertPayload"]
