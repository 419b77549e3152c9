"""Every admin write of a discovery object goes through its service: the audit-log row and the history's change
reason are the ones the API would leave (real POSTs to the admin pages, as a security analyst)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.test import Client
from django.urls import reverse

from core.models import AuditLogEntry
from discovery.models import AIService, AIServiceRule, LogSource, PolicyException
from tests.admin_forms import inline_row_add, page_form_data
from tests.discovery.factories import LogSourceFactory

REASON = "quarterly review"
DELETE_REASON = "deleted in the admin"


def entry_for(event_type: str, model: type[models.Model], pk: Any) -> AuditLogEntry:
    return AuditLogEntry.objects.get(
        event_type=event_type,
        target_content_type=ContentType.objects.get_for_model(model),
        target_object_id=str(pk),
    )


def last_history_reason(model: type[models.Model], pk: Any) -> str:
    return model.history.filter(id=pk).order_by("-history_id").first().history_change_reason  # type: ignore[attr-defined]


def assert_audited(event_type: str, model: type[models.Model], pk: Any, actor: Any, reason: str) -> AuditLogEntry:
    entry = entry_for(event_type, model, pk)
    assert entry.acting_user == actor
    assert entry.reason == reason
    assert last_history_reason(model, pk) == reason
    return entry


@pytest.fixture
def analyst(client: Client, sam: Any) -> Client:
    client.force_login(sam)
    return client


@pytest.fixture
def service(catalog: None) -> AIService:
    return AIService.objects.get(slug="chatgpt")


def change_page(client: Client, service: AIService) -> dict[str, Any]:
    return page_form_data(client.get(reverse("admin:discovery_aiservice_change", args=[service.pk])))


def post_change(client: Client, service: AIService, data: dict[str, Any]) -> None:
    response = client.post(reverse("admin:discovery_aiservice_change", args=[service.pk]), data)
    assert response.status_code == 302, getattr(response, "context", None) and response.context["errors"]


# --- log sources ---------------------------------------------------------------------------------------------------


def test_log_source_add_is_audited(analyst: Client, sam: Any, catalog: None) -> None:
    # given
    data = {
        "name": "Branch proxy",
        "log_format": "squid",
        "time_zone": "UTC",
        "format_options": "{}",
        "identity_map": "{}",
        "strip_domain": "on",
        "change_reason": REASON,
    }
    # when
    response = analyst.post(reverse("admin:discovery_logsource_add"), data)
    # then
    assert response.status_code == 302
    source = LogSource.objects.get(name="Branch proxy")
    assert_audited("discovery.log_source.created", LogSource, source.pk, sam, REASON)


def test_log_source_change_is_audited(analyst: Client, sam: Any, source: LogSource) -> None:
    # given
    url = reverse("admin:discovery_logsource_change", args=[source.pk])
    data = {**page_form_data(analyst.get(url)), "time_zone": "Europe/Berlin", "change_reason": REASON}
    # when
    response = analyst.post(url, data)
    # then
    assert response.status_code == 302
    entry = assert_audited("discovery.log_source.updated", LogSource, source.pk, sam, REASON)
    assert entry.extra_data == {"fields": ["time_zone"]}


def test_log_source_delete_is_audited(analyst: Client, sam: Any, catalog: None) -> None:
    # given
    source = LogSourceFactory()
    # when
    response = analyst.post(reverse("admin:discovery_logsource_delete", args=[source.pk]), {"post": "yes"})
    # then
    assert response.status_code == 302
    assert not LogSource.objects.filter(pk=source.pk).exists()
    assert_audited("discovery.log_source.deleted", LogSource, source.pk, sam, DELETE_REASON)


def test_log_source_bulk_delete_is_audited(analyst: Client, sam: Any, catalog: None) -> None:
    # given
    sources = [LogSourceFactory(), LogSourceFactory()]
    # when
    response = analyst.post(
        reverse("admin:discovery_logsource_changelist"),
        {"action": "delete_selected", "_selected_action": [s.pk for s in sources], "post": "yes"},
    )
    # then
    assert response.status_code == 302
    for source in sources:
        assert_audited("discovery.log_source.deleted", LogSource, source.pk, sam, DELETE_REASON)


# --- AI services and their inlines ---------------------------------------------------------------------------------


def test_ai_service_policy_change_is_audited_as_a_policy_change(analyst: Client, sam: Any, service: AIService) -> None:
    # given
    before = service.policy
    data = {**change_page(analyst, service), "policy": "sanctioned", "change_reason": REASON}
    # when
    post_change(analyst, service, data)
    # then
    entry = assert_audited("discovery.ai_service.policy_changed", AIService, service.pk, sam, REASON)
    assert entry.extra_data == {"before": before, "after": "sanctioned"}
    assert entry_for("discovery.ai_service.updated", AIService, service.pk).extra_data == {"fields": ["policy"]}


def test_ai_service_add_is_audited(analyst: Client, sam: Any, catalog: None) -> None:
    # given
    data = {
        **page_form_data(analyst.get(reverse("admin:discovery_aiservice_add"))),
        "slug": "acme-ai",
        "name": "Acme AI",
        "vendor": "Acme",
        "category": "chat",
        "change_reason": REASON,
    }
    # when
    response = analyst.post(reverse("admin:discovery_aiservice_add"), data)
    # then
    assert response.status_code == 302, response.context["errors"]
    service = AIService.objects.get(slug="acme-ai")
    assert_audited("discovery.ai_service.created", AIService, service.pk, sam, REASON)


def test_ai_service_delete_is_audited_with_its_rules(analyst: Client, sam: Any, service: AIService) -> None:
    # given
    rule_ids = list(service.rules.values_list("pk", flat=True))
    # when
    response = analyst.post(reverse("admin:discovery_aiservice_delete", args=[service.pk]), {"post": "yes"})
    # then
    assert response.status_code == 302
    assert_audited("discovery.ai_service.deleted", AIService, service.pk, sam, DELETE_REASON)
    assert rule_ids
    for pk in rule_ids:
        assert_audited("discovery.ai_service_rule.deleted", AIServiceRule, pk, sam, DELETE_REASON)


INLINES = {
    "rules": (
        AIServiceRule,
        "discovery.ai_service_rule",
        {"rule_type": "exact", "value": "chat.acme.example", "source": "curated"},
        "value",
        "api.acme.example",
    ),
    "policy_exceptions": (
        PolicyException,
        "discovery.policy_exception",
        {"department": "R&D", "policy": "tolerated"},
        "note",
        "pilot until June",
    ),
}


@pytest.mark.parametrize("prefix", INLINES)
def test_inline_row_add_is_audited(analyst: Client, sam: Any, service: AIService, prefix: str) -> None:
    # given
    model, event, values, _, _ = INLINES[prefix]
    existing = set(model.objects.values_list("pk", flat=True))
    data = inline_row_add({**change_page(analyst, service), "change_reason": REASON}, prefix, values)
    # when
    post_change(analyst, service, data)
    # then
    (row,) = model.objects.exclude(pk__in=existing)
    assert_audited(f"{event}.created", model, row.pk, sam, REASON)


@pytest.fixture
def rows(service: AIService) -> dict[str, models.Model]:
    return {
        "rules": service.rules.order_by("pk").first(),
        "policy_exceptions": PolicyException.objects.create(service=service, department="Sales", policy="tolerated"),
    }


def _row_index(data: dict[str, Any], prefix: str, pk: int) -> int:
    return next(i for i in range(int(data[f"{prefix}-TOTAL_FORMS"])) if data.get(f"{prefix}-{i}-id") == str(pk))


@pytest.mark.parametrize("prefix", INLINES)
def test_inline_row_change_is_audited(
    analyst: Client, sam: Any, service: AIService, rows: dict[str, models.Model], prefix: str
) -> None:
    # given
    model, event, _, field, value = INLINES[prefix]
    row = rows[prefix]
    data = {**change_page(analyst, service), "change_reason": REASON}
    data[f"{prefix}-{_row_index(data, prefix, row.pk)}-{field}"] = value
    # when
    post_change(analyst, service, data)
    # then
    entry = assert_audited(f"{event}.updated", model, row.pk, sam, REASON)
    assert entry.extra_data == {"fields": [field]}
    row.refresh_from_db()
    assert getattr(row, field) == value


@pytest.mark.parametrize("prefix", INLINES)
def test_inline_row_delete_is_audited(
    analyst: Client, sam: Any, service: AIService, rows: dict[str, models.Model], prefix: str
) -> None:
    # given
    model, event, _, _, _ = INLINES[prefix]
    row = rows[prefix]
    data = {**change_page(analyst, service), "change_reason": REASON}
    data[f"{prefix}-{_row_index(data, prefix, row.pk)}-DELETE"] = "on"
    # when
    post_change(analyst, service, data)
    # then
    assert not model.objects.filter(pk=row.pk).exists()
    assert_audited(f"{event}.deleted", model, row.pk, sam, REASON)
