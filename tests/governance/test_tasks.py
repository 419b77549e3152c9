"""Beat task: reminders to obligation owners, idempotent across runs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from config.celery_schedule import BEAT_SCHEDULE
from governance.models import ObligationReminder
from governance.services import ai_system_classify, obligation_update
from governance.tasks import send_obligation_reminders_task
from tests.governance.factories import LIMITED_FACTS, AISystemFactory
from tests.notifications.outbox import outbox_drain

pytestmark = pytest.mark.django_db


def test_reminder_task_is_idempotent(alice: Any) -> None:
    # given
    alice.email = "alice@example.com"
    alice.save()
    system = AISystemFactory(facts=LIMITED_FACTS, roles=["provider"])
    ai_system_classify(system=system, actor=alice)
    for obligation in system.obligations.all():
        obligation_update(
            obligation=obligation,
            actor=alice,
            data={"owner": alice, "due_date": timezone.localdate() + timedelta(days=3)},
        )
    expected = system.obligations.count()
    # when
    first = send_obligation_reminders_task()
    second = send_obligation_reminders_task()
    # then
    assert (first, second) == (expected, 0)
    assert outbox_drain() == ["sent"] * expected
    assert len(mail.outbox) == expected
    assert ObligationReminder.objects.count() == expected


def test_reminder_task_is_scheduled_daily_with_an_expiry() -> None:
    # when
    entry = next(e for e in BEAT_SCHEDULE.values() if e["task"] == "governance.tasks.send_obligation_reminders_task")
    # then
    assert entry["options"]["expires"] <= 2 * 24 * 3600
    assert str(entry["schedule"].hour) == "{7}"
