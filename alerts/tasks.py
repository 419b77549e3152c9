"""Celery entry points of alerting (queue ``alerts``): thin, take ids, idempotent.

``discovery.tasks.evaluate_alert_rules_task``, the name from before alerting left the discovery app, stays
registered as an alias so messages queued under it when a deployment upgrades are still consumed.
"""

from __future__ import annotations

from celery import shared_task


def _evaluate(batch_id: int | None) -> None:
    from alerts.services import alert_rules_evaluate, alert_rules_evaluate_for_batch

    if batch_id is None:
        alert_rules_evaluate()
    else:
        alert_rules_evaluate_for_batch(batch_id=batch_id)


@shared_task(name="alerts.tasks.evaluate_alert_rules_task", acks_late=True)
def evaluate_alert_rules_task(batch_id: int | None = None) -> None:
    """Run the alert rules: over a finished batch's days, or (beat, no id) over the last few days. Idempotent."""
    _evaluate(batch_id)


@shared_task(name="discovery.tasks.evaluate_alert_rules_task", acks_late=True)
def evaluate_alert_rules_legacy_task(batch_id: int | None = None) -> None:
    """Alias of :func:`evaluate_alert_rules_task` under its name from before the move."""
    _evaluate(batch_id)
