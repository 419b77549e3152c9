"""Test helper: send everything due in the notification outbox now, as the alerts-queue worker would."""

from __future__ import annotations

from notifications.services import deliveries_due, delivery_send


def outbox_drain() -> list[str]:
    """Send every due delivery once; the outcome of each (``sent``, ``retry``, ``dead``)."""
    return [delivery_send(delivery_id=delivery_id).status for delivery_id in deliveries_due()]
