from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from discovery.notifiers import AlertPayload
from tests.discovery.alerts.receivers import (
    HTTPReceiver,
    SyslogTCPListener,
    SyslogUDPListener,
    start_http_receiver,
)


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
        link="http://testserver/admin/discovery/alert/1/change/",
    )
