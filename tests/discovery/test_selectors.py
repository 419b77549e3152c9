"""Selectors: policy lookups with department/group exceptions, and the report."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from discovery.choices import PolicyStatus
from discovery.models import AIService, LogSource
from discovery.selectors import ai_service_for_domain, ai_service_policy_for, ai_tool_is_sanctioned, usage_report
from discovery.services import ai_service_policy_update, log_batch_ingest, policy_exception_create
from tests.discovery.factories import squid_bytes


def test_ai_tool_is_sanctioned_honours_department_and_group_exceptions(catalog: None, sam: Any) -> None:
    # given
    chatgpt = AIService.objects.get(slug="chatgpt")
    ai_service_policy_update(service=chatgpt, policy=PolicyStatus.SANCTIONED, actor=sam)
    policy_exception_create(actor=sam, data={"service": chatgpt, "department": "Legal", "policy": "unsanctioned"})
    policy_exception_create(actor=sam, data={"service": chatgpt, "group": "contractors", "policy": "tolerated"})
    policy_exception_create(actor=sam, data={"service": chatgpt, "group": "interns", "policy": "unsanctioned"})
    # then
    assert ai_tool_is_sanctioned(domain="chatgpt.com") is True
    assert ai_tool_is_sanctioned(domain="CHATGPT.com:443", department="Finance") is True
    assert ai_tool_is_sanctioned(slug="chatgpt", department="Legal") is False
    assert ai_tool_is_sanctioned(slug="chatgpt", groups=["contractors"]) is False
    assert ai_service_policy_for(service=chatgpt, groups=["contractors"]) == PolicyStatus.TOLERATED
    assert ai_service_policy_for(service=chatgpt, groups=["contractors", "interns"]) == PolicyStatus.UNSANCTIONED
    assert ai_service_policy_for(service=chatgpt, department="Legal", groups=["contractors"]) == "unsanctioned"
    assert ai_tool_is_sanctioned(domain="claude.ai") is False  # default: unsanctioned
    assert ai_tool_is_sanctioned(domain="example.com") is False  # not catalogued


def test_domain_lookup_uses_dot_boundaries_not_keywords(catalog: None) -> None:
    assert ai_service_for_domain(domain="chat.openai.com") is not None
    assert ai_service_for_domain(domain="notchatgpt.com") is None
    assert ai_service_for_domain(domain="gemini._sftp-ssh._tcp.local") is None


def test_usage_report_lists_new_services_and_unsanctioned_usage(catalog: None) -> None:
    # given
    source = LogSource.objects.create(name="p", log_format="squid")
    log_batch_ingest(source=source, fileobj=io.BytesIO(squid_bytes()), name="a.log", synchronous=True)
    # when
    report = usage_report(days=10, today=date(2026, 3, 5))
    # then
    assert {r["service__slug"] for r in report["top_services"]} == {"chatgpt", "claude", "deepseek"}
    assert {r["service__slug"] for r in report["new_services"]} == {"chatgpt", "claude", "deepseek"}
    assert report["upload"]["upload_requests"] == 1
    assert sum(r["requests"] for r in report["unsanctioned"]) == 5
    assert report["batches"]["n"] == 1  # uploaded today, within any window ending after 2026-03
    assert {r["day"] for r in report["per_day"]} == {date(2026, 3, 2), date(2026, 3, 3)}
