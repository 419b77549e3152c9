"""Every create/update/delete on domain models records who, when, before/after and why, in the same transaction."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse

from core.services import audit_log_record
from governance.models import AISystem
from governance.services import ai_system_register, ai_system_update
from tests.governance.factories import AISystemFactory

pytestmark = pytest.mark.django_db


def test_api_create_update_delete_are_recorded_with_user_reason_and_diff(api: Any, alice: Any) -> None:
    # given
    api.force_authenticate(alice)
    created = api.post(
        reverse("governance-api:aisystem-list"),
        {"name": "Chatbot", "purpose": "Answers questions."},
        format="json",
        headers={"X-Change-Reason": "new vendor contract"},
    )
    pk = created.json()["id"]
    # when
    api.patch(
        reverse("governance-api:aisystem-detail", args=[pk]),
        {"purpose": "Answers customer questions."},
        format="json",
        headers={"X-Change-Reason": "scope clarified"},
    )
    history = api.get(reverse("governance-api:aisystem-history", args=[pk])).json()
    api.delete(reverse("governance-api:aisystem-detail", args=[pk]), headers={"X-Change-Reason": "retired"})
    # then
    assert [h["history_type"] for h in history] == ["~", "+"]
    assert history[0]["history_user"] == "alice"
    assert history[0]["history_change_reason"] == "scope clarified"
    assert history[0]["changes"] == [
        {"field": "purpose", "old": "Answers questions.", "new": "Answers customer questions."}
    ]
    assert history[1]["history_change_reason"] == "new vendor contract"
    deleted = AISystem.history.filter(id=pk, history_type="-").get()
    assert deleted.history_user == alice
    assert deleted.history_change_reason == "retired"


def test_auditor_reads_history_through_the_api(api: Any, alice: Any, audrey: Any) -> None:
    # given
    system = ai_system_register(actor=alice, reason="inventory", data={"name": "OCR", "purpose": "Reads invoices."})
    ai_system_update(system=system, actor=alice, reason="owner changed", data={"business_owner": "CFO"})
    api.force_authenticate(audrey)
    # when
    response = api.get(reverse("governance-api:aisystem-history", args=[system.pk]))
    # then
    assert response.status_code == 200
    assert response.json()[0]["changes"] == [{"field": "business_owner", "old": "", "new": "CFO"}]


def test_history_row_rolls_back_with_the_change() -> None:
    # given
    system = AISystemFactory(name="Before")
    count = system.history.count()
    # when
    with pytest.raises(RuntimeError), transaction.atomic():
        ai_system_update(system=system, actor=None, reason="will fail", data={"name": "After"})
        raise RuntimeError("failure after the save, inside the same transaction")
    # then
    system.refresh_from_db()
    assert system.name == "Before"
    assert system.history.count() == count


def test_admin_change_records_user_and_reason(client: Any, alice: Any) -> None:
    # given
    system = AISystemFactory(name="Scoring", purpose="Scores.")
    client.force_login(alice)
    # when
    response = client.post(
        reverse("admin:governance_aisystem_change", args=[system.pk]),
        {"name": "Scoring v2", "purpose": "Scores.", "change_reason": "renamed after review"},
    )
    # then
    assert response.status_code == 302, response.content[:2000]
    latest = system.history.latest()
    assert latest.history_user == alice
    assert latest.history_change_reason == "renamed after review"
    assert latest.name == "Scoring v2"


def test_audit_log_entries_are_append_only(alice: Any) -> None:
    # given
    entry = audit_log_record(event_type="core.user.deactivated", actor=alice, reason="because")
    # when / then
    with pytest.raises(ValueError, match="append-only"):
        entry.save()


def test_audit_log_api_filters_by_target_type(api: Any, alice: Any, audrey: Any) -> None:
    # given
    system = AISystemFactory()
    audit_log_record(event_type="governance.ai_system.classified", actor=alice, target=system)
    audit_log_record(event_type="core.user.deactivated", actor=alice)
    api.force_authenticate(audrey)
    # when
    response = api.get(reverse("core-api:auditlogentry-list"), {"target_type": "governance.aisystem"})
    # then
    results = response.json()["results"]
    assert [r["event_type"] for r in results] == ["governance.ai_system.classified"]
    assert results[0]["acting_user"] == "alice"
    assert results[0]["target_object_id"] == str(system.pk)


def test_protected_delete_returns_409_with_code(api: Any, alice: Any) -> None:
    # given
    from tests.audits.factories import AuditDefinitionFactory

    definition = AuditDefinitionFactory()
    api.force_authenticate(alice)
    # when
    response = api.delete(reverse("governance-api:aisystem-detail", args=[definition.ai_system.pk]))
    # then
    assert response.status_code == 409
    assert response.json()["code"] == "protected"
