"""CEF over syslog TLS (RFC 5425) against a real receiver: syslog-ng on loopback, with a CA, server and client
certificates made per run. Octet-counted frames arrive whole; an untrusted certificate, a wrong name or a missing
client certificate is refused with a clear, retried error; a channel's delivery goes through the outbox."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from alerts import services as alert_services
from alerts.models import Alert
from alerts.payloads import AlertPayload
from notifications import services as notification_services
from notifications.choices import ChannelKind, DeliveryStatus
from notifications.models import Delivery
from notifications.notifiers import NotifierError, notifier_for
from notifications.notifiers.syslog_cef import SyslogCEFNotifier, octet_count, tls_context, tls_send
from tests.alerts.factories import AlertRuleFactory, add_usage
from tests.notifications.factories import ChannelFactory
from tests.notifications.receivers import parse_cef, parse_rfc5424
from tests.notifications.syslog_ng import Source, SyslogNG, make_ca, start_syslog_ng

D0 = date(2026, 3, 2)


@pytest.fixture(scope="module")
def syslog_ng(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SyslogNG]:
    receiver = start_syslog_ng(tmp_path_factory.mktemp("syslog-ng"))
    yield receiver
    receiver.stop()


def tls_config(receiver: SyslogNG, source: Source, **extra: Any) -> dict[str, Any]:
    return {"host": "127.0.0.1", "port": source.port, "protocol": "tls", "ca_file": str(receiver.ca.cert), **extra}


def received(source: Source, before: int, count: int = 1) -> list[tuple[str, str, bytes]]:
    lines = source.wait_for(before + count)[before:]
    assert len(lines) == count, lines
    return [(program, msgid, raw.encode()) for program, msgid, raw in (line.split("\t", 2) for line in lines)]


def test_tls_delivers_the_alert_as_one_octet_counted_rfc5424_frame(syslog_ng: SyslogNG, payload: AlertPayload) -> None:
    # given
    notifier = notifier_for("syslog_cef", tls_config(syslog_ng, syslog_ng.server))
    before = len(syslog_ng.server.lines())
    # when
    notifier.send(payload.to_message())
    # then: syslog-ng parsed the frame as RFC 5424 (app name, MSGID) and kept it byte for byte
    ((program, msgid, frame),) = received(syslog_ng.server, before)
    assert isinstance(notifier, SyslogCEFNotifier)
    assert frame == notifier.frame(payload.to_message())
    assert (program, msgid) == ("aigov", "shadow-ai")
    syslog = parse_rfc5424(frame)
    assert syslog["pri"] == 13 * 8 + 3
    header, ext = parse_cef(syslog["msg"])
    assert header[4:] == ["shadow-ai.unsanctioned", payload.rule_name, "8"]
    assert ext["msg"] == payload.summary
    assert ext["suser"] == payload.subject
    assert ext["request"] == payload.link


def test_frames_sent_back_to_back_on_one_connection_arrive_as_separate_messages(
    syslog_ng: SyslogNG, payload: AlertPayload
) -> None:
    # given: the framing alone separates them (no newline in between)
    frame = SyslogCEFNotifier({"host": "x"}).frame(payload.to_message())
    other = frame.replace(b"shadow-ai.unsanctioned", b"shadow-ai.second-frame")
    context = tls_context(ca_file=str(syslog_ng.ca.cert))
    before = len(syslog_ng.server.lines())
    # when
    tls_send(
        octet_count(frame) + octet_count(other),
        host="127.0.0.1",
        port=syslog_ng.server.port,
        context=context,
        server_name="localhost",
        timeout=5,
    )
    # then
    assert [raw for _, _, raw in received(syslog_ng.server, before, 2)] == [frame, other]


def test_server_name_is_checked_against_the_certificate(syslog_ng: SyslogNG, payload: AlertPayload) -> None:
    # given: the receiver's certificate names 127.0.0.1 and localhost
    before = len(syslog_ng.server.lines())
    # when: connecting by name works
    notifier_for("syslog_cef", tls_config(syslog_ng, syslog_ng.server, server_name="localhost")).send(
        payload.to_message()
    )
    received(syslog_ng.server, before)
    # then: another name is refused, with a transient error naming the mismatch
    notifier = notifier_for("syslog_cef", tls_config(syslog_ng, syslog_ng.server, server_name="siem.example.org"))
    with pytest.raises(NotifierError) as caught:
        notifier.send(payload.to_message())
    assert caught.value.permanent is False
    assert "the receiver's certificate was refused" in caught.value.message
    assert "Hostname mismatch" in caught.value.message and "siem.example.org" in caught.value.message
    # when the name check is turned off, the chain is still verified (and the name no longer)
    notifier_for(
        "syslog_cef", tls_config(syslog_ng, syslog_ng.server, server_name="siem.example.org", check_hostname=False)
    ).send(payload.to_message())
    received(syslog_ng.server, before + 1)


def test_a_receiver_with_an_untrusted_certificate_is_refused(
    syslog_ng: SyslogNG, payload: AlertPayload, tmp_path: Path
) -> None:
    # given: the channel trusts another CA than the one that signed the receiver's certificate
    other_ca = make_ca(tmp_path, "some-other-ca")
    notifier = notifier_for("syslog_cef", tls_config(syslog_ng, syslog_ng.server, ca_file=str(other_ca.cert)))
    before = len(syslog_ng.server.lines())
    # when
    with pytest.raises(NotifierError) as caught:
        notifier.send(payload.to_message())
    # then
    assert caught.value.permanent is False
    assert caught.value.message.startswith(f"syslog tls 127.0.0.1:{syslog_ng.server.port}: ")
    assert "certificate was refused: unable to get local issuer certificate" in caught.value.message
    assert syslog_ng.server.wait_for(before + 1, timeout=0.5)[before:] == []


def test_the_system_trust_store_does_not_trust_a_private_ca(syslog_ng: SyslogNG, payload: AlertPayload) -> None:
    config = {"host": "127.0.0.1", "port": syslog_ng.server.port, "protocol": "tls"}  # no ca_file
    with pytest.raises(NotifierError, match="certificate was refused"):
        notifier_for("syslog_cef", config).send(payload.to_message())


def test_mutual_tls_sends_the_client_certificate(syslog_ng: SyslogNG, payload: AlertPayload) -> None:
    # given: the receiver requires a client certificate from its CA
    client = {"client_cert_file": str(syslog_ng.client.cert), "client_key_file": str(syslog_ng.client.key)}
    before = len(syslog_ng.mutual.lines())
    # when
    notifier_for("syslog_cef", tls_config(syslog_ng, syslog_ng.mutual, **client)).send(payload.to_message())
    # then
    ((program, _, _),) = received(syslog_ng.mutual, before)
    assert program == "aigov"


def test_a_client_certificate_the_receiver_does_not_trust_is_refused_and_delivery_fails(
    syslog_ng: SyslogNG, payload: AlertPayload, tmp_path: Path
) -> None:
    # given: a client certificate from a CA the receiver does not know
    stranger = make_ca(tmp_path, "stranger-ca").issue(tmp_path, "stranger", dns=[], ips=[], client=True)
    client = {"client_cert_file": str(stranger.cert), "client_key_file": str(stranger.key)}
    notifier = notifier_for("syslog_cef", tls_config(syslog_ng, syslog_ng.mutual, **client))
    before = len(syslog_ng.mutual.lines())
    # when: TLS 1.3 refuses a client certificate after the client's handshake: the notifier waits for it
    with pytest.raises(NotifierError) as caught:
        notifier.send(payload.to_message())
    # then
    assert caught.value.permanent is False
    assert caught.value.message.startswith(f"syslog tls 127.0.0.1:{syslog_ng.mutual.port}: TLS failed: ")
    assert "ALERT" in caught.value.message.upper()
    assert syslog_ng.mutual.wait_for(before + 1, timeout=0.5)[before:] == []


def test_a_ca_file_the_worker_cannot_read_is_a_permanent_error(tmp_path: Path, payload: AlertPayload) -> None:
    config = {"host": "127.0.0.1", "port": 1, "protocol": "tls", "ca_file": str(tmp_path / "missing.pem")}
    with pytest.raises(NotifierError) as caught:
        notifier_for("syslog_cef", config).send(payload.to_message())
    assert caught.value.permanent is True
    assert caught.value.message.startswith(f"syslog tls: cannot load ca_file={tmp_path / 'missing.pem'}: ")


def test_the_context_requires_tls_1_2_and_verifies_by_default() -> None:
    context = tls_context()
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True


@pytest.mark.parametrize(
    ("config", "problems"),
    [
        ({"host": "h", "protocol": "tls"}, []),
        (
            {"host": "h", "protocol": "tls", "ca_file": "/ca.pem", "client_cert_file": "/c", "client_key_file": "/k"},
            [],
        ),
        ({"host": "h", "protocol": "tls", "client_key_file": "/k"}, ["'client_key_file' needs 'client_cert_file'"]),
        ({"host": "h", "protocol": "tls", "check_hostname": "no"}, ["'check_hostname' must be true or false"]),
        (
            {"host": "h", "protocol": "tls", "ca_file": ""},
            ["'ca_file' must be a non-empty string (a path on the worker)"],
        ),
        ({"host": "h", "protocol": "tcp", "ca_file": "/ca.pem"}, ["'ca_file' applies to protocol tls only"]),
        ({"host": "h", "protocol": "ssl"}, ["'protocol' must be udp, tcp or tls"]),
    ],
)
def test_tls_channel_config_is_validated(config: dict[str, Any], problems: list[str]) -> None:
    assert SyslogCEFNotifier.validate_config(config) == problems


@pytest.mark.django_db
@pytest.mark.usefixtures("catalog")
def test_a_tls_channel_delivers_a_raised_alert_through_the_outbox_and_retries_a_refused_receiver(
    syslog_ng: SyslogNG, tmp_path: Path
) -> None:
    # given: two SIEM channels, one trusting the receiver's CA, one another CA; a rule and usage that raise an alert
    ChannelFactory(name="siem", kind=ChannelKind.SYSLOG_CEF, config=tls_config(syslog_ng, syslog_ng.server))
    other_ca = make_ca(tmp_path, "not-the-receivers-ca")
    refused = ChannelFactory(
        name="siem-wrong-ca",
        kind=ChannelKind.SYSLOG_CEF,
        config=tls_config(syslog_ng, syslog_ng.server, ca_file=str(other_ca.cert)),
    )
    AlertRuleFactory()
    add_usage("u1", "deepseek", D0)
    alert_services.alert_rules_evaluate(since=D0, until=D0, now=datetime(2026, 3, 2, 18, tzinfo=UTC))
    (alert,) = Alert.objects.all()
    before = len(syslog_ng.server.lines())
    # when
    outcomes = {
        d.channel.name: notification_services.delivery_send(delivery_id=d.pk)
        for d in Delivery.objects.select_related("channel")
    }
    # then: the trusted channel's message arrived, the other is rescheduled (outbox backoff) with the reason
    assert outcomes["siem"].status == "sent", outcomes
    ((_, msgid, frame),) = received(syslog_ng.server, before)
    header, ext = parse_cef(parse_rfc5424(frame)["msg"])
    assert msgid == "shadow-ai" and header[4] == "shadow-ai.unsanctioned"
    assert ext["cs2"] == str(alert.uuid) and ext["dhost"] == "deepseek.com"
    assert outcomes["siem-wrong-ca"].status == "retry"
    delivery = Delivery.objects.get(channel=refused)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
    assert "certificate was refused: unable to get local issuer certificate" in delivery.last_error
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=1)
