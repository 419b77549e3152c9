"""Services: lifecycle table and gates, classification records and the obligations checklist, reclassification,
reminders."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from core.exceptions import InvalidTransition, ValidationFailed
from core.models import AuditLogEntry
from governance.choices import LifecycleStage, ObligationStatus, RiskClass
from governance.constants import AI_SYSTEM_TRANSITIONS, DEFAULT_LAW_VERSION
from governance.models import AISystem, ClassificationRecord, Obligation, ObligationReminder
from governance.services import (
    ai_system_classify,
    ai_system_facts_update,
    ai_system_register,
    ai_system_transition,
    ai_systems_reclassify,
    obligation_evidence_add,
    obligation_reminders_send,
    obligation_update,
)
from notifications.models import Delivery
from tests.governance.factories import LIMITED_FACTS, PROHIBITED_FACTS, AISystemFactory
from tests.notifications.outbox import outbox_drain

pytestmark = pytest.mark.django_db

STAGES = list(LifecycleStage.values)


def _at_stage(system: AISystem, stage: str) -> AISystem:
    AISystem.objects.filter(pk=system.pk).update(lifecycle_stage=stage)
    system.refresh_from_db()
    return system


def _close_all(system: AISystem, actor: Any) -> None:
    for obligation in system.obligations.filter(is_current=True):
        obligation_update(obligation=obligation, actor=actor, data={"status": ObligationStatus.DONE})


# ---------------------------------------------------------------------------------------------------------------
# transitions
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("source", "target"), list(itertools.product(STAGES, STAGES)))
def test_transition_follows_the_declared_table(alice: Any, source: str, target: str) -> None:
    # given: a classified minimal-risk system (no gate applies) at the source stage
    system = AISystemFactory(facts={})
    ai_system_classify(system=system, actor=alice)
    system = _at_stage(system, source)
    allowed = target in AI_SYSTEM_TRANSITIONS[source]

    # when / then
    if allowed:
        ai_system_transition(system=system, to=target, actor=alice, reason="table test")
        system.refresh_from_db()
        assert system.lifecycle_stage == target
    else:
        with pytest.raises(InvalidTransition, match="not in the transition table"):
            ai_system_transition(system=system, to=target, actor=alice, reason="table test")
        system.refresh_from_db()
        assert system.lifecycle_stage == source


@pytest.mark.parametrize(
    ("facts", "classified", "close_obligations", "source", "target", "blocked_by"),
    [
        ({}, False, False, "approved", "production", "not been classified"),
        ({}, True, False, "approved", "production", None),
        (PROHIBITED_FACTS, True, True, "proposed", "pilot", "prohibited"),
        (PROHIBITED_FACTS, True, True, "proposed", "approved", "prohibited"),
        (PROHIBITED_FACTS, True, True, "approved", "production", "prohibited"),
        (PROHIBITED_FACTS, True, False, "proposed", "retired", None),
        ({"annex_iii": {"points": ["4a"]}, "art_6_3": {"profiles_natural_persons": True}}, True, False, "approved",
         "production", "open obligation"),
        ({"annex_iii": {"points": ["4a"]}, "art_6_3": {"profiles_natural_persons": True}}, True, True, "approved",
         "production", None),
        ({"annex_iii": {"points": ["4a"]}, "art_6_3": {"profiles_natural_persons": True}}, True, False, "proposed",
         "pilot", None),
        (LIMITED_FACTS, True, False, "suspended", "production", None),
    ],
)  # fmt: skip
def test_transition_gates(
    alice: Any,
    facts: dict[str, Any],
    classified: bool,
    close_obligations: bool,
    source: str,
    target: str,
    blocked_by: str | None,
) -> None:
    # given
    system = AISystemFactory(facts=facts)
    if classified:
        ai_system_classify(system=system, actor=alice)
    if close_obligations:
        _close_all(system, alice)
    system = _at_stage(system, source)

    # when / then
    if blocked_by:
        with pytest.raises(InvalidTransition, match=blocked_by):
            ai_system_transition(system=system, to=target, actor=alice, reason="gate test")
        assert not AuditLogEntry.objects.filter(event_type="governance.ai_system.transitioned").exists()
    else:
        ai_system_transition(system=system, to=target, actor=alice, reason="gate test")
        system.refresh_from_db()
        assert system.lifecycle_stage == target


def test_production_is_blocked_when_facts_changed_since_classification(alice: Any) -> None:
    # given
    system = AISystemFactory(facts={})
    ai_system_classify(system=system, actor=alice)
    system = ai_system_facts_update(system=system, actor=alice, facts=LIMITED_FACTS)
    system = _at_stage(system, "approved")
    # when / then
    with pytest.raises(InvalidTransition, match="facts or roles changed"):
        ai_system_transition(system=system, to="production", actor=alice, reason="go live")


def test_transition_records_audit_log_and_history_with_actor_and_reason(alice: Any) -> None:
    # given
    system = AISystemFactory()
    # when
    ai_system_transition(system=system, to="pilot", actor=alice, reason="pilot with 10 recruiters")
    # then
    entry = AuditLogEntry.objects.get(event_type="governance.ai_system.transitioned")
    assert entry.acting_user == alice
    assert entry.reason == "pilot with 10 recruiters"
    assert entry.extra_data == {"from": "proposed", "to": "pilot"}
    latest = system.history.latest()
    assert latest.lifecycle_stage == "pilot"
    assert latest.history_user == alice
    assert latest.history_change_reason == "pilot with 10 recruiters"


def test_transition_requires_a_reason(alice: Any) -> None:
    # given
    system = AISystemFactory()
    # when / then
    with pytest.raises(ValidationFailed):
        ai_system_transition(system=system, to="pilot", actor=alice, reason=" ")


def test_register_ignores_lifecycle_and_class_and_normalises_facts(alice: Any) -> None:
    # when
    system = ai_system_register(
        actor=alice,
        data={
            "name": "X",
            "purpose": "Y",
            "lifecycle_stage": "production",
            "risk_class": "minimal",
            "roles": ["provider"],
            "facts": {"art_50": {"interacts_with_natural_persons": True}},
        },
    )
    # then
    assert system.lifecycle_stage == "proposed"
    assert system.risk_class == ""
    assert system.facts["roles"] == ["provider"]
    assert system.facts["art_50"]["interacts_with_natural_persons"] is True
    assert "social_scoring" in system.facts["art_5"]  # the full questionnaire is stored...
    assert system.facts["art_5"]["social_scoring"] is None  # ...with what nobody answered as unknown


def test_invalid_facts_are_rejected_with_every_error(alice: Any) -> None:
    # given
    system = AISystemFactory()
    # when / then
    with pytest.raises(ValidationFailed) as excinfo:
        ai_system_facts_update(system=system, actor=alice, facts={"art_5": {"social_scoring": 1}, "nope": {}})
    assert len(excinfo.value.extra["errors"]) == 2


# ---------------------------------------------------------------------------------------------------------------
# classification and obligations
# ---------------------------------------------------------------------------------------------------------------


def test_classify_stores_record_sets_class_and_generates_obligations(alice: Any) -> None:
    # given
    system = AISystemFactory(facts={"annex_iii": {"points": ["4a"]}, "art_6_3": {"profiles_natural_persons": True}})
    # when
    record = ai_system_classify(system=system, actor=alice, as_of=date(2026, 11, 1))
    # then
    system.refresh_from_db()
    assert record.law_version == DEFAULT_LAW_VERSION
    assert record.as_of == date(2026, 11, 1)
    assert record.created_by == alice
    assert record.risk_class == RiskClass.HIGH == system.risk_class
    assert record.result["risk_class"] == "high"
    assert record.facts["roles"] == ["deployer"]
    assert record.diff is None
    articles = set(system.obligations.values_list("article", flat=True))
    assert "Art. 26(6)" in articles or any(a.startswith("Art. 26") for a in articles)
    art_26 = system.obligations.filter(article__startswith="Art. 26").first()
    assert art_26 is not None
    assert art_26.due_date == art_26.applies_from == date(2027, 12, 2)  # Annex III date moved by the 2026 text
    entry = AuditLogEntry.objects.get(event_type="governance.ai_system.classified")
    assert entry.extra_data["risk_class"] == "high"


def test_reclassify_keeps_status_owner_and_evidence_of_persisting_obligations(alice: Any, audrey: Any) -> None:
    # given: a high-risk system whose Art. 26 duties are being worked on
    system = AISystemFactory(
        roles=["provider", "deployer"],
        facts={"annex_iii": {"points": ["4a"]}, "art_6_3": {"profiles_natural_persons": True}},
    )
    ai_system_classify(system=system, actor=alice)
    kept = system.obligations.filter(article__startswith="Art. 26").first()
    assert kept is not None
    obligation_update(
        obligation=kept,
        actor=alice,
        data={"status": ObligationStatus.IN_PROGRESS, "owner": audrey, "due_date": date(2027, 1, 31)},
    )
    obligation_evidence_add(obligation=kept, actor=alice, data={"url": "https://example.com/logs-policy"})
    transparency_before = system.obligations.filter(article__startswith="Art. 50").count()

    # when: the facts change (adds a chatbot duty) and the system is classified again
    ai_system_facts_update(
        system=system,
        actor=alice,
        facts={**system.facts, "art_50": {"interacts_with_natural_persons": True}},
    )
    record = ai_system_classify(system=system, actor=alice)

    # then
    kept.refresh_from_db()
    assert (kept.status, kept.owner, kept.due_date) == (ObligationStatus.IN_PROGRESS, audrey, date(2027, 1, 31))
    assert kept.evidence.count() == 1
    assert system.obligations.filter(article__startswith="Art. 50").count() == transparency_before + 1
    assert record.changed is True
    assert record.diff is not None
    assert any(o["article"].startswith("Art. 50") for o in record.diff["obligations_added"])


def test_obligations_no_longer_required_are_kept_but_marked_not_current(alice: Any) -> None:
    # given
    system = AISystemFactory(facts=LIMITED_FACTS, roles=["provider"])
    ai_system_classify(system=system, actor=alice)
    art_50 = system.obligations.get(article__startswith="Art. 50")
    # when
    ai_system_facts_update(system=system, actor=alice, facts={})
    ai_system_classify(system=system, actor=alice)
    # then
    art_50.refresh_from_db()
    assert art_50.is_current is False
    assert ClassificationRecord.objects.filter(system=system).count() == 2


def test_classifying_twice_with_the_same_facts_records_no_change(alice: Any) -> None:
    # given
    system = AISystemFactory(facts=LIMITED_FACTS)
    ai_system_classify(system=system, actor=alice)
    # when
    record = ai_system_classify(system=system, actor=alice)
    # then
    assert record.changed is False
    assert record.diff is not None and record.diff["changed"] is False


def test_classify_rejects_an_unknown_law_version(alice: Any) -> None:
    # given
    system = AISystemFactory()
    # when / then
    with pytest.raises(ValidationFailed, match="Unknown law version"):
        ai_system_classify(system=system, actor=alice, law_version="eu-ai-act-1999")
    assert not ClassificationRecord.objects.exists()


def test_reclassify_dry_run_reports_the_moved_dates_and_stores_nothing(alice: Any) -> None:
    # given: classified under the 2024 text
    system = AISystemFactory(facts={"annex_iii": {"points": ["4a"]}, "art_6_3": {"profiles_natural_persons": True}})
    ai_system_classify(system=system, actor=alice, law_version="eu-ai-act-2024", as_of=date(2026, 11, 1))
    records_before = ClassificationRecord.objects.count()

    # when
    outcomes = ai_systems_reclassify(actor=alice, law_version="eu-ai-act-2026", as_of=date(2026, 11, 1), dry_run=True)

    # then
    assert ClassificationRecord.objects.count() == records_before
    (outcome,) = outcomes
    assert outcome.diff is not None and outcome.diff["changed"] is True
    changed = {o["id"]: o["changes"] for o in outcome.diff["obligations_changed"]}
    moved = [c["applies_from"] for c in changed.values() if "applies_from" in c]
    assert {"old": "2026-08-02", "new": "2027-12-02"} in moved


def test_reclassify_stores_a_record_per_system(alice: Any) -> None:
    # given
    AISystemFactory.create_batch(3)
    # when
    outcomes = ai_systems_reclassify(actor=alice, law_version="eu-ai-act-2024")
    # then
    assert len(outcomes) == 3
    assert all(o.diff is None for o in outcomes)
    assert ClassificationRecord.objects.filter(law_version="eu-ai-act-2024").count() == 3


# ---------------------------------------------------------------------------------------------------------------
# reminders
# ---------------------------------------------------------------------------------------------------------------


def _owned_obligation(alice: Any, *, due_in_days: int) -> Obligation:
    alice.email = "alice@example.com"
    alice.save()
    system = AISystemFactory(facts=LIMITED_FACTS, roles=["provider"])
    ai_system_classify(system=system, actor=alice)
    obligation = system.obligations.get(article__startswith="Art. 50")
    due = timezone.localdate() + timedelta(days=due_in_days)
    return obligation_update(obligation=obligation, actor=alice, data={"owner": alice, "due_date": due})


def test_reminder_is_sent_once_per_obligation_and_due_date(alice: Any) -> None:
    # given
    obligation = _owned_obligation(alice, due_in_days=20)
    # when
    first = obligation_reminders_send()
    second = obligation_reminders_send()
    # then
    assert (first, second) == (1, 0)
    assert mail.outbox == []  # queued in the notification outbox, sent by its worker after commit
    assert outbox_drain() == ["sent"]
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alice@example.com"]
    assert "Art. 50" in mail.outbox[0].subject
    delivery = Delivery.objects.get()
    assert (delivery.topic, delivery.channel, delivery.target) == ("obligation_reminder", None, obligation)
    assert ObligationReminder.objects.filter(obligation=obligation, window_days=30).count() == 1


def test_reminder_is_sent_again_for_a_new_due_date_or_a_narrower_window(alice: Any) -> None:
    # given
    obligation = _owned_obligation(alice, due_in_days=20)
    obligation_reminders_send()
    # when: the due date moves, then the 7-day window is reached
    obligation_update(obligation=obligation, actor=alice, data={"due_date": obligation.due_date + timedelta(days=2)})
    moved = obligation_reminders_send()
    narrower = obligation_reminders_send(today=timezone.localdate() + timedelta(days=16))
    # then
    assert (moved, narrower) == (1, 1)
    assert outbox_drain() == ["sent"] * 3
    assert len(mail.outbox) == 3


@pytest.mark.parametrize(
    ("status", "due_in_days", "with_email", "expected"),
    [
        (ObligationStatus.OPEN, 45, True, 0),  # not yet in a window
        (ObligationStatus.DONE, 5, True, 0),
        (ObligationStatus.NOT_APPLICABLE, 5, True, 0),
        (ObligationStatus.IN_PROGRESS, 5, True, 1),
        (ObligationStatus.OPEN, -3, True, 1),  # overdue
        (ObligationStatus.OPEN, 5, False, 0),  # owner without email
    ],
)
def test_reminder_selection(alice: Any, status: str, due_in_days: int, with_email: bool, expected: int) -> None:
    # given
    obligation = _owned_obligation(alice, due_in_days=due_in_days)
    data: dict[str, Any] = {"status": status}
    if status == ObligationStatus.NOT_APPLICABLE:
        data["not_applicable_reason"] = "n/a"
    obligation_update(obligation=obligation, actor=alice, data=data)
    if not with_email:
        alice.email = ""
        alice.save()
    # when
    sent = obligation_reminders_send()
    # then
    assert sent == expected


def test_production_is_blocked_when_roles_changed_outside_the_services(alice: Any) -> None:
    # given: classified, then the roles changed by a bulk import (which bypasses the services)
    system = AISystemFactory(facts={})
    ai_system_classify(system=system, actor=alice)
    AISystem.objects.filter(pk=system.pk).update(roles=["provider"], lifecycle_stage="approved")
    system.refresh_from_db()
    # when / then
    with pytest.raises(InvalidTransition, match="roles changed"):
        ai_system_transition(system=system, to="production", actor=alice, reason="go live")


def test_changing_law_version_updates_dates_in_place_and_keeps_the_work(alice: Any) -> None:
    # given: classified under 2024, an Art. 26 duty in progress
    system = AISystemFactory(facts={"annex_iii": {"points": ["4a"]}, "art_6_3": {"profiles_natural_persons": True}})
    ai_system_classify(system=system, actor=alice, law_version="eu-ai-act-2024", as_of=date(2026, 11, 1))
    art_26 = system.obligations.get(obligation_id="art-26")
    assert art_26.applies_from == date(2026, 8, 2)
    obligation_update(obligation=art_26, actor=alice, data={"status": ObligationStatus.IN_PROGRESS})
    count = system.obligations.count()
    # when
    ai_system_classify(system=system, actor=alice, law_version="eu-ai-act-2026", as_of=date(2026, 11, 1))
    # then
    art_26.refresh_from_db()
    assert art_26.applies_from == date(2027, 12, 2)
    assert art_26.verified is False
    assert art_26.status == ObligationStatus.IN_PROGRESS
    assert art_26.due_date == date(2026, 8, 2)  # an owner-set/initial due date is not moved silently
    assert system.obligations.count() == count
    assert art_26.history.latest().history_change_reason == "updated by reclassification"


def test_transition_to_an_unknown_stage_is_refused(alice: Any) -> None:
    # given
    system = AISystemFactory()
    # when / then
    with pytest.raises(InvalidTransition, match="Unknown lifecycle stage"):
        ai_system_transition(system=system, to="live", actor=alice, reason="x")


def test_obligation_legal_text_is_not_editable(alice: Any) -> None:
    # given
    system = AISystemFactory(facts=LIMITED_FACTS, roles=["provider"])
    ai_system_classify(system=system, actor=alice)
    obligation = system.obligations.first()
    assert obligation is not None
    # when / then
    with pytest.raises(ValidationFailed, match="Not editable: article"):
        obligation_update(obligation=obligation, actor=alice, data={"article": "Art. 1"})
