"""The audit-log event-type registry: one naming style, every written type declared, unregistered types refused in
tests (logged and still written when strict checking is off), old names renamed by a reversible migration, and the
admin and API filters offering the registered types."""

from __future__ import annotations

import ast
import importlib
import logging
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator

from core import events as core_events
from core.events import (
    RENAMED_2026_ALERTS_APP,
    RENAMED_2026_ONE_STYLE,
    EventTypeError,
    UnregisteredEventType,
    event_type_check,
    event_type_declare,
    event_type_get,
    event_type_list,
)
from core.models import AuditLogEntry
from core.services import audit_log_record, audit_log_record_many
from tests.governance.factories import AISystemFactory

ROOT = Path(__file__).resolve().parents[2]
APPS = ("core", "notifications", "governance", "audits", "discovery", "alerts", "evidence", "sso")
#: the core.services functions that write an audit-log row of the event type they are given
AUDIT_WRITERS = (
    "audit_log_record",
    "audit_log_record_many",
    "model_create_audited",
    "model_update_audited",
    "model_delete_audited",
)
MIGRATION = importlib.import_module("core.migrations.0004_audit_event_types_one_style")
TOKEN_MIGRATION = importlib.import_module("core.migrations.0007_api_tokens_from_authtoken")


def _written_event_types() -> list[tuple[str, str]]:
    """``(where, name)`` for every ``audit_log_record[_many](event_type=...)`` call in the apps' source: a string
    literal, or a constant of the app's ``events`` module (``events.X``), resolved by importing it."""
    found = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
                if func not in AUDIT_WRITERS:
                    continue
                arg = next(k.value for k in node.keywords if k.arg == "event_type")
                where = f"{module}:{node.lineno}"
                if isinstance(arg, ast.Constant):
                    found.append((where, arg.value))
                elif isinstance(arg, ast.Attribute) and isinstance(arg.value, ast.Name) and arg.value.id == "events":
                    found.append((where, getattr(importlib.import_module(f"{app}.events"), arg.attr)))
                elif not (module == "core.services" and isinstance(arg, ast.Name)):  # the helpers pass theirs on
                    raise AssertionError(f"{where}: event_type is neither a literal nor events.<NAME>")
    return found


def test_every_call_site_writes_a_registered_event_type() -> None:
    # given every call site in the source (whether or not a test exercises it)
    written = _written_event_types()
    # then there are many, and each names a registered type
    assert len(written) >= 30
    assert [(where, name) for where, name in written if event_type_get(name) is None] == []


def test_every_registered_type_is_written_somewhere_or_by_a_migration() -> None:
    written = {name for _, name in _written_event_types()} | {MIGRATION.RENAMED_EVENT, TOKEN_MIGRATION.MIGRATED_EVENT}
    assert sorted({e.name for e in event_type_list()} - written) == []


def test_registered_names_follow_one_style_and_belong_to_an_installed_app() -> None:
    labels = {config.label for config in apps.get_app_configs()}
    for event in event_type_list():
        assert core_events.NAME_PATTERN.match(event.name), event.name
        assert event.app_label in labels, event.name
        assert event.description, event.name


@pytest.mark.parametrize(
    "name",
    [
        "audit_run.retried",  # two parts: no app
        "audits.audit_run.retried.again",  # four parts
        "Audits.audit_run.retried",  # upper case
        "audits.audit-run.retried",  # hyphen
        "audits..retried",
        "audits.audit_run_.retried",
        "audits.audit_run." + "x" * 60,  # longer than the column
    ],
)
def test_a_name_outside_the_style_cannot_be_declared(name: str) -> None:
    with pytest.raises(EventTypeError):
        event_type_declare(name, "a description")
    assert event_type_get(name) is None


def test_declaring_again_is_harmless_but_a_contradiction_is_refused() -> None:
    # given a registered type
    existing = event_type_get("audits.audit_run.retried")
    assert existing is not None
    # when it is declared again the same way, then nothing changes
    assert event_type_declare(existing.name, existing.description, evidences=existing.evidences) == existing.name
    assert event_type_get(existing.name) == existing
    # and when declared with another description, then it is refused and the first declaration stands
    with pytest.raises(EventTypeError, match="twice"):
        event_type_declare(existing.name, "something else")
    with pytest.raises(EventTypeError, match="description"):
        event_type_declare("audits.audit_run.pondered", "  ")
    assert event_type_get(existing.name) == existing


@pytest.mark.django_db
def test_an_unregistered_type_is_refused_in_tests_and_nothing_is_written(alice: Any) -> None:
    with pytest.raises(UnregisteredEventType, match=r"audit_run\.retried"):
        audit_log_record(event_type="audit_run.retried", actor=alice)
    with pytest.raises(UnregisteredEventType):
        audit_log_record_many(event_type="audits.run.done", actor=alice, events=[(alice, {})])
    assert not AuditLogEntry.objects.exists()


@pytest.mark.django_db
def test_when_not_strict_an_unregistered_type_is_logged_as_an_error_and_still_written(
    alice: Any, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # given production settings
    settings.AUDIT_LOG_STRICT_EVENT_TYPES = False
    # when
    with caplog.at_level(logging.ERROR, logger="core.events"):
        entry = audit_log_record(event_type="audits.audit_run.misspelt", actor=alice, reason="kept")
    # then the row is there and the error is in the log
    assert AuditLogEntry.objects.get(pk=entry.pk).event_type == "audits.audit_run.misspelt"
    assert [r.levelname for r in caplog.records if "audits.audit_run.misspelt" in r.getMessage()] == ["ERROR"]


def test_the_check_is_silent_for_a_registered_type(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="core.events"):
        event_type_check("evidence.pack.downloaded", strict=True)
        event_type_check("evidence.pack.downloaded", strict=False)
    assert caplog.records == []


# --- the rename of the old names ------------------------------------------------------------------------------------


@pytest.mark.parametrize("mapping", [RENAMED_2026_ONE_STYLE, RENAMED_2026_ALERTS_APP], ids=["0004", "0005"])
def test_the_rename_maps_old_unregistered_names_onto_registered_ones_one_to_one(mapping: dict[str, str]) -> None:
    assert [old for old in mapping if event_type_get(old) is not None] == []
    assert [new for new in mapping.values() if event_type_get(new) is None] == []
    assert len(set(mapping.values())) == len(mapping)


@pytest.mark.django_db
def test_the_second_rename_moves_alert_and_outbox_rows_to_their_apps_and_reverses_exactly() -> None:
    # given rows written while alerting and the outbox lived in discovery
    second = importlib.import_module("core.migrations.0005_audit_event_types_alerts_app")
    for old in ("discovery.alert.raised", "discovery.alert_delivery.dead_lettered", "discovery.log_batch.retried"):
        AuditLogEntry.objects.create(event_type=old, extra_data={"kept": old})
    # when
    second.forward(apps, None)
    # then
    names = sorted(AuditLogEntry.objects.exclude(event_type=second.RENAMED_EVENT).values_list("event_type", flat=True))
    assert names == ["alerts.alert.raised", "discovery.log_batch.retried", "notifications.delivery.dead_lettered"]
    record = AuditLogEntry.objects.get(event_type=second.RENAMED_EVENT)
    assert record.extra_data["renamed"]["discovery.alert.raised"] == {"to": "alerts.alert.raised", "rows": 1}
    # when reversed
    second.backward(apps, None)
    names = sorted(AuditLogEntry.objects.exclude(event_type=second.RENAMED_EVENT).values_list("event_type", flat=True))
    assert names == ["discovery.alert.raised", "discovery.alert_delivery.dead_lettered", "discovery.log_batch.retried"]


def test_no_old_name_is_left_in_the_source() -> None:
    # the old names may appear only in the mapping, its migration and the migration tests
    allowed = {
        "core/events.py",
        "tests/core/test_events.py",
        "tests/evidence/test_migrations.py",
        "tests/alerts/test_migrations.py",
        "docs/audit-log.md",
    }
    hits = []
    sources = [
        path for folder in (*APPS, "config", "tests", "bench", "scripts") for path in (ROOT / folder).rglob("*.py")
    ]
    for path in sorted(sources) + sorted(ROOT.glob("*.md")) + sorted(ROOT.glob("docs/*.md")):
        relative = path.relative_to(ROOT).as_posix()
        if relative in allowed or "/migrations/" in relative:
            continue
        text = path.read_text(errors="replace")
        olds = [*RENAMED_2026_ONE_STYLE, *RENAMED_2026_ALERTS_APP]
        hits += [(relative, old) for old in olds if f'"{old}"' in text or f"`{old}`" in text]
    assert hits == []


@pytest.mark.django_db
def test_the_migration_renames_old_rows_records_it_and_reverses_exactly() -> None:
    # given rows written under the old names, and one under a name the rename leaves alone
    system = AISystemFactory()
    for old in ("audit_run.retried", "audit_run.retried", "governance.classify", "evidence_pack.downloaded"):
        AuditLogEntry.objects.create(event_type=old, target_repr=str(system), extra_data={"kept": old})
    AuditLogEntry.objects.create(event_type="alerts.alert.raised")
    before = sorted(AuditLogEntry.objects.values_list("pk", "event_type", "extra_data", "target_repr"))
    # when
    MIGRATION.forward(apps, None)
    # then the old rows carry the new names, with their content untouched
    renamed = dict(AuditLogEntry.objects.exclude(event_type=MIGRATION.RENAMED_EVENT).values_list("pk", "event_type"))
    assert sorted(renamed.values()) == [
        "alerts.alert.raised",
        "audits.audit_run.retried",
        "audits.audit_run.retried",
        "evidence.pack.downloaded",
        "governance.ai_system.classified",
    ]
    contents = AuditLogEntry.objects.exclude(event_type=MIGRATION.RENAMED_EVENT).values_list("pk", "extra_data")
    assert sorted(contents) == [(pk, extra) for pk, _, extra, _ in before]
    # and one entry says what was relabelled
    record = AuditLogEntry.objects.get(event_type=MIGRATION.RENAMED_EVENT)
    assert record.extra_data["direction"] == "forward"
    assert record.extra_data["renamed"] == {
        "audit_run.retried": {"to": "audits.audit_run.retried", "rows": 2},
        "evidence_pack.downloaded": {"to": "evidence.pack.downloaded", "rows": 1},
        "governance.classify": {"to": "governance.ai_system.classified", "rows": 1},
    }
    # when it is reversed
    MIGRATION.backward(apps, None)
    # then every row is as it was, and the reversal is recorded too
    after = AuditLogEntry.objects.exclude(event_type=MIGRATION.RENAMED_EVENT)
    assert sorted(after.values_list("pk", "event_type", "extra_data", "target_repr")) == before
    records = AuditLogEntry.objects.filter(event_type=MIGRATION.RENAMED_EVENT).order_by("pk")
    assert [r.extra_data["direction"] for r in records] == ["forward", "backward"]
    assert records[1].extra_data["renamed"]["audits.audit_run.retried"] == {"to": "audit_run.retried", "rows": 2}


@pytest.mark.django_db
def test_the_migration_writes_nothing_when_there_is_nothing_to_rename() -> None:
    AuditLogEntry.objects.create(event_type="evidence.pack.built")
    MIGRATION.forward(apps, None)
    assert list(AuditLogEntry.objects.values_list("event_type", flat=True)) == ["evidence.pack.built"]


# --- filters ---------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_api_filters_by_a_registered_type_and_refuses_an_unknown_one(api: Any, alice: Any, audrey: Any) -> None:
    # given
    audit_log_record(event_type="audits.audit_run.retried", actor=alice)
    audit_log_record(event_type="evidence.pack.downloaded", actor=alice)
    api.force_authenticate(audrey)
    url = reverse("core-api:auditlogentry-list")
    # when / then
    response = api.get(url, {"event_type": "evidence.pack.downloaded"})
    assert [r["event_type"] for r in response.json()["results"]] == ["evidence.pack.downloaded"]
    refused = api.get(url, {"event_type": "evidence_pack.downloaded"})  # the old name
    assert refused.status_code == 400
    assert "event_type" in refused.content.decode()


def test_the_api_schema_documents_the_registered_types() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/core/audit-log/"]["get"]
    parameter = next(p for p in operation["parameters"] if p["name"] == "event_type")
    assert parameter["schema"]["enum"] == [e.name for e in event_type_list()]


@pytest.mark.django_db
def test_the_admin_filter_offers_every_registered_type(audrey: Any, alice: Any) -> None:
    # given one logged event (the filter still lists the types never logged)
    audit_log_record(event_type="audits.audit_run.retried", actor=alice)
    audit_log_record(event_type="evidence.pack.built", actor=alice)
    client = Client()
    client.force_login(audrey)
    url = reverse("admin:core_auditlogentry_changelist")
    # when
    page = client.get(url)
    filtered = client.get(url, {"event_type": "evidence.pack.built"})
    # then
    assert page.status_code == 200
    assert [c["display"] for c in _event_type_filter(page).choices(page.context["cl"])][1:] == [
        e.name for e in event_type_list()
    ]
    assert [e.event_type for e in filtered.context["cl"].result_list] == ["evidence.pack.built"]


def _event_type_filter(response: Any) -> Any:
    return next(f for f in response.context["cl"].filter_specs if getattr(f, "parameter_name", "") == "event_type")


def test_the_docs_table_is_the_registry() -> None:
    text = (ROOT / "docs" / "audit-log.md").read_text()
    table = text.split("## Registered types", 1)[1]
    rows = [line.split("|")[1:4] for line in table.splitlines() if line.startswith("| `")]
    documented = [(name.strip().strip("`"), what.strip(), evidence.strip()) for name, what, evidence in rows]
    assert documented == [(e.name, e.description, e.evidences) for e in event_type_list()]
