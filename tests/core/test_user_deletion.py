"""Deleting an account never erases "who" from the audit trail: audit-log entries keep the username beside the
link, and accounts that change-history rows name cannot be deleted (deactivate them instead)."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps
from django.db import transaction
from django.db.models import ProtectedError
from django.test import Client
from django.urls import reverse

from core.models import AuditLogEntry
from core.services import audit_log_record, audit_log_record_many
from governance.models import AISystem
from governance.services import ai_system_register

pytestmark = pytest.mark.django_db


def test_audit_entries_keep_the_username_when_the_account_is_deleted(
    api: Any, django_user_model: Any, audrey: Any
) -> None:
    # given
    bob = django_user_model.objects.create_user(username="bob", password="x")
    audit_log_record(event_type="core.user.deactivated", actor=bob, reason="one")
    audit_log_record_many(event_type="core.user.deactivated", actor=bob, events=[(audrey, {})])
    # when
    bob.delete()
    # then
    entries = list(AuditLogEntry.objects.order_by("id"))
    assert [(e.acting_user, e.acting_username) for e in entries] == [(None, "bob"), (None, "bob")]
    api.force_authenticate(audrey)
    body = api.get(reverse("core-api:auditlogentry-list")).json()
    assert {row["acting_user"] for row in body["results"]} == {"bob"}


def test_the_migration_backfills_the_username_of_existing_entries(django_user_model: Any) -> None:
    # given
    bob = django_user_model.objects.create_user(username="bob", password="x")
    AuditLogEntry.objects.create(event_type="core.test.old", acting_user=bob)  # as written before the field
    AuditLogEntry.objects.create(event_type="core.test.system")
    # when
    importlib.import_module("core.migrations.0003_privacy_acting_username").backfill(apps, None)
    # then
    assert dict(AuditLogEntry.objects.values_list("event_type", "acting_username")) == {
        "core.test.old": "bob",
        "core.test.system": "",
    }


def test_an_account_named_by_change_history_cannot_be_deleted(alice: Any) -> None:
    # given
    ai_system_register(actor=alice, reason="inventory", data={"name": "OCR", "purpose": "Reads invoices."})
    # when / then
    with pytest.raises(ProtectedError, match="deactivate it instead"), transaction.atomic():
        alice.delete()
    alice.refresh_from_db()
    assert AISystem.history.filter(history_user=alice).exists()


def test_an_account_without_change_history_can_still_be_deleted(django_user_model: Any) -> None:
    bob = django_user_model.objects.create_user(username="bob", password="x")
    bob.delete()
    assert not django_user_model.objects.filter(username="bob").exists()


def test_admin_delete_page_says_why_and_refuses_then_deactivation_is_audited(
    client: Client, admin_user: Any, alice: Any
) -> None:
    # given
    ai_system_register(actor=alice, reason="inventory", data={"name": "OCR", "purpose": "Reads invoices."})
    client.force_login(admin_user)
    url = reverse("admin:auth_user_delete", args=[alice.pk])
    # when
    page = client.get(url).content.decode()
    client.post(url, {"post": "yes"})
    bulk = client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "delete_selected", "_selected_action": [alice.pk], "post": "yes"},
    ).content.decode()
    client.post(reverse("admin:auth_user_changelist"), {"action": "deactivate_users", "_selected_action": [alice.pk]})
    # then
    assert "change-history row" in page and "Deactivate it instead" in page
    assert "change-history row" in bulk
    alice.refresh_from_db()
    assert alice.is_active is False
    entry = AuditLogEntry.objects.get(event_type="core.user.deactivated")
    assert entry.acting_username == admin_user.username and entry.target_object_id == str(alice.pk)
