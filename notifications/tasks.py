"""Celery entry points of the outbox (queue ``alerts``): thin, take ids, idempotent.

The names of the tasks from before the outbox left the discovery app (``discovery.tasks.send_alert_delivery_task``,
``discovery.tasks.dispatch_alert_deliveries_task``) stay registered as aliases, so messages already queued under
them when a deployment upgrades are still consumed.
"""

from __future__ import annotations

from celery import shared_task


def _send(delivery_id: int) -> None:
    from notifications.services import delivery_send

    outcome = delivery_send(delivery_id=delivery_id)
    if outcome.status == "retry" and outcome.delay is not None:
        send_delivery_task.apply_async((delivery_id,), countdown=outcome.delay)


def _dispatch() -> None:
    from notifications.services import deliveries_due

    for delivery_id in deliveries_due():
        send_delivery_task.delay(delivery_id)


@shared_task(name="notifications.tasks.send_delivery_task", acks_late=True)
def send_delivery_task(delivery_id: int) -> None:
    """Send one outbox row (claimed by a conditional UPDATE, so a duplicate task does nothing); on a transient
    failure, schedule itself again after the backoff the service chose (the dispatcher is the safety net)."""
    _send(delivery_id)


@shared_task(name="notifications.tasks.dispatch_deliveries_task")
def dispatch_deliveries_task() -> None:
    """Beat: fan out every due outbox row (retries, and rows whose task was lost)."""
    _dispatch()


@shared_task(name="discovery.tasks.send_alert_delivery_task", acks_late=True)
def send_alert_delivery_task(delivery_id: int) -> None:
    """Alias of :func:`send_delivery_task` under its name from before the move (messages queued by an older
    release)."""
    _send(delivery_id)


@shared_task(name="discovery.tasks.dispatch_alert_deliveries_task")
def dispatch_alert_deliveries_task() -> None:
    """Alias of :func:`dispatch_deliveries_task` under its name from before the move (an old beat entry)."""
    _dispatch()
