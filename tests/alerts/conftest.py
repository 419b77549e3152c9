"""Fixtures the alert tests share with the discovery tests (the catalogue, a source) and the notification tests
(local HTTP and syslog receivers, sample payloads)."""

from tests.discovery.conftest import catalog, small_chunks, source  # noqa: F401  (fixtures)
from tests.notifications.conftest import (  # noqa: F401  (fixtures)
    finding_payload,
    http_receiver,
    payload,
    tcp_listener,
    udp_listener,
)
