"""The local receivers (HTTP, syslog UDP/TCP) and sample payloads of the notification tests, for the alert tests."""

from tests.notifications.conftest import (  # noqa: F401  (fixtures)
    finding_payload,
    http_receiver,
    payload,
    tcp_listener,
    udp_listener,
)
