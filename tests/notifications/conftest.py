from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from alerts.payloads import AlertPayload
from audits.payloads import AuditFindingPayload, MetricVerdictItem
from tests.discovery.conftest import catalog  # noqa: F401  (fixture)
from tests.notifications.receivers import HTTPReceiver, SyslogTCPListener, SyslogUDPListener, start_http_receiver


@pytest.fixture
def http_receiver() -> Iterator[HTTPReceiver]:
    receiver = start_http_receiver()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture
def udp_listener() -> Iterator[SyslogUDPListener]:
    listener = SyslogUDPListener()
    yield listener
    listener.close()


@pytest.fixture
def tcp_listener() -> Iterator[SyslogTCPListener]:
    listener = SyslogTCPListener()
    yield listener
    listener.close()


@pytest.fixture
def payload() -> AlertPayload:
    return AlertPayload(
        alert_id="5d0c7f7e-1111-4a4a-9e9e-000000000001",
        fingerprint="ab" * 32,
        rule_id="unsanctioned-use",
        rule_name="Unsanctioned | AI = service\\use",
        rule_kind="unsanctioned",
        severity="high",
        status="open",
        subject="PSEUDO7XQ2ABCDEF",
        subject_kind="user",
        service_slug="deepseek",
        service_name="DeepSeek",
        domain="chat.deepseek.com",
        count=42,
        first_seen=datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        last_seen=datetime(2026, 3, 2, 17, 30, tzinfo=UTC),
        summary="line one\nline two with a=b and back\\slash",
        link="http://testserver/admin/alerts/alert/1/change/",
    )


@pytest.fixture
def finding_payload() -> AuditFindingPayload:
    """A newly failing fairness audit, with characters that need escaping in CEF and Slack."""
    return AuditFindingPayload(
        event_id="audits.run.41.1",
        finding_id=7,
        finding_kind="failing",
        finding_kind_label="Audit verdict is failing",
        severity="high",
        title="Fairness audit failing: CV screening | 2026 (Hiring <assistant>)",
        summary="Failing values:\nimpact_ratio F = 0.62",
        system_id=3,
        system_name="Hiring <assistant> & ranker",
        definition_id=5,
        definition_name="CV screening | 2026",
        legal_basis="EU AI Act Art. 10(2)(f)-(g)",
        obligation="Art. 10 (art-10)",
        run_id=41,
        run_slot=datetime(2026, 3, 1, 6, 0, tzinfo=UTC),
        occurred_at=datetime(2026, 3, 1, 6, 2, 30, tzinfo=UTC),
        link="http://testserver/admin/audits/auditrun/41/change/",
        finding_link="http://testserver/admin/audits/finding/7/change/",
        verdict="fail",
        metrics=(
            MetricVerdictItem(analysis="sex", metric="impact_ratio", verdict="fail", value=0.6234, group="F", fail=0.8),
            MetricVerdictItem(
                analysis="sex",
                metric="demographic_parity_difference",
                verdict="warn",
                value=0.071,
                fail=0.1,
                higher_is_better=False,
            ),
        ),
    )
