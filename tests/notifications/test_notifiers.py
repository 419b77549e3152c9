"""Every channel renders a shadow-AI alert's message, against a real local receiver: HTTP server, UDP and TCP syslog
sockets, Django's mail outbox."""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest

from alerts.payloads import AlertPayload
from notifications.notifiers import NOTIFIERS, NotifierError, notifier_for
from notifications.notifiers.base import parse_retry_after
from notifications.notifiers.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, verify
from tests.notifications.receivers import HTTPReceiver, SyslogTCPListener, SyslogUDPListener, parse_cef, parse_rfc5424


def test_webhook_posts_ecs_json_with_a_valid_hmac_signature_and_timestamp(
    http_receiver: HTTPReceiver, payload: AlertPayload
) -> None:
    # given
    notifier = notifier_for("webhook", {"url": http_receiver.url, "secret": "s3cret"})
    # when
    notifier.send(payload.to_message())
    # then
    (request,) = http_receiver.requests
    timestamp = request.headers[TIMESTAMP_HEADER.lower()]
    assert abs(int(timestamp) - time.time()) < 60
    assert verify("s3cret", timestamp, request.body, request.headers[SIGNATURE_HEADER.lower()])
    assert not verify("wrong", timestamp, request.body, request.headers[SIGNATURE_HEADER.lower()])
    body = request.json()
    assert body["event"]["kind"] == "alert"
    assert body["rule"] == {"id": "unsanctioned-use", "name": payload.rule_name}
    assert body["user"] == {"id": "PSEUDO7XQ2ABCDEF"}
    assert body["url"] == {"domain": "chat.deepseek.com"}
    assert body["aigov"]["count"] == 42
    assert body["aigov"]["fingerprint"] == payload.fingerprint
    assert body["event"]["category"] == ["network", "web"]
    assert body["event"]["action"] == "unsanctioned"
    assert (body["event"]["start"], body["event"]["end"]) == ("2026-03-02T09:00:00+00:00", "2026-03-02T17:30:00+00:00")
    assert body["@timestamp"] == "2026-03-02T17:30:00+00:00"


def test_signature_changes_with_body_and_timestamp() -> None:
    # given
    base = sign("k", "100", b"{}")
    # then
    assert base.startswith("sha256=") and len(base) == 7 + 64
    assert sign("k", "101", b"{}") != base
    assert sign("k", "100", b"{ }") != base


def test_slack_posts_text_and_blocks(http_receiver: HTTPReceiver, payload: AlertPayload) -> None:
    # when
    notifier_for("slack", {"url": http_receiver.url}).send(payload.to_message())
    # then
    body = http_receiver.requests[0].json()
    assert body["text"].startswith("[HIGH] ")
    assert "DeepSeek" in body["text"]
    assert body["blocks"][0]["type"] == "header"
    assert body["blocks"][-1]["elements"][0]["url"] == payload.link
    assert "PSEUDO7XQ2ABCDEF" in str(body["blocks"])
    assert body["blocks"][-2]["type"] == "context"  # the pseudonym note


def test_teams_posts_an_adaptive_card(http_receiver: HTTPReceiver, payload: AlertPayload) -> None:
    # when
    notifier_for("teams", {"url": http_receiver.url}).send(payload.to_message())
    # then
    body = http_receiver.requests[0].json()
    assert body["type"] == "message"
    (attachment,) = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    facts = {f["title"]: f["value"] for f in card["body"][2]["facts"]}
    assert facts["Occurrences"] == "42"
    assert facts["User (pseudonym)"] == "PSEUDO7XQ2ABCDEF"
    assert card["actions"][0]["url"] == payload.link


def test_splunk_hec_sends_token_and_event(http_receiver: HTTPReceiver, payload: AlertPayload) -> None:
    # when
    notifier_for("splunk_hec", {"url": http_receiver.url, "token": "tok-1", "index": "security"}).send(
        payload.to_message()
    )
    # then
    request = http_receiver.requests[0]
    assert request.headers["authorization"] == "Splunk tok-1"
    body = request.json()
    assert body["sourcetype"] == "_json"
    assert body["index"] == "security"
    assert body["time"] == pytest.approx(payload.last_seen.timestamp())
    assert body["event"]["event"]["id"] == payload.alert_id
    assert body["fields"] == {
        "kind": "shadow_ai_alert",
        "rule_id": "unsanctioned-use",
        "severity": "high",
        "alert_id": payload.alert_id,
    }


@pytest.mark.parametrize(
    ("status", "headers", "permanent", "retry_after"),
    [
        (429, {"Retry-After": "7"}, False, 7.0),
        (429, {}, False, None),
        (503, {}, False, None),
        (500, {}, False, None),
        (408, {}, False, None),
        (400, {}, True, None),
        (401, {}, True, None),
        (404, {}, True, None),
    ],
)
def test_http_errors_map_to_transient_or_permanent(
    http_receiver: HTTPReceiver,
    payload: AlertPayload,
    status: int,
    headers: dict[str, str],
    permanent: bool,
    retry_after: float | None,
) -> None:
    # given
    http_receiver.respond((status, headers))
    # when
    with pytest.raises(NotifierError) as caught:
        notifier_for("slack", {"url": http_receiver.url}).send(payload.to_message())
    # then
    assert caught.value.permanent is permanent
    assert caught.value.retry_after == retry_after
    assert str(status) in caught.value.message


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connection_refused_is_transient(payload: AlertPayload) -> None:
    # when
    with pytest.raises(NotifierError) as caught:
        notifier_for("webhook", {"url": f"http://127.0.0.1:{_closed_port()}/x", "secret": "k"}).send(
            payload.to_message()
        )
    # then
    assert caught.value.permanent is False


def test_non_http_url_is_permanent(payload: AlertPayload) -> None:
    with pytest.raises(NotifierError) as caught:
        notifier_for("webhook", {"url": "file:///etc/passwd", "secret": "k"}).send(payload.to_message())
    assert caught.value.permanent is True


def test_unknown_kind_is_permanent() -> None:
    with pytest.raises(NotifierError) as caught:
        notifier_for("pager", {})
    assert caught.value.permanent is True


@pytest.mark.parametrize(
    ("value", "expected"),
    [("7", 7.0), ("0.5", 0.5), ("-3", 0.0), (None, None), ("", None), ("soon", None)],
)
def test_parse_retry_after_seconds(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


def test_parse_retry_after_http_date() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Mon, 02 Mar 2026 12:00:30 GMT", now=now) == 30.0


def test_email_goes_to_the_outbox_with_pseudonym_and_link(mailoutbox: list[Any], payload: AlertPayload) -> None:
    # when
    notifier_for("email", {"to": "soc@example.com, ciso@example.com"}).send(payload.to_message())
    # then
    (message,) = mailoutbox
    assert message.to == ["soc@example.com", "ciso@example.com"]
    assert message.subject.startswith("[AIGov HIGH]")
    assert "User (pseudonym): PSEUDO7XQ2ABCDEF" in message.body
    assert "Occurrences:      42" in message.body
    assert f"Open in AIGov: {payload.link}" in message.body
    assert message.body.endswith("re-identification is possible in AIGov with permission and is audited.")


def test_email_without_recipients_is_permanent(payload: AlertPayload) -> None:
    with pytest.raises(NotifierError) as caught:
        notifier_for("email", {"to": []}).send(payload.to_message())
    assert caught.value.permanent is True


def _assert_cef(frame: bytes, payload: AlertPayload) -> None:
    syslog = parse_rfc5424(frame)
    assert syslog["version"] == "1"
    assert syslog["pri"] == 13 * 8 + 3  # facility log audit, severity error (high)
    assert syslog["timestamp"] == "2026-03-02T17:30:00.000Z"
    assert syslog["app"] == "aigov"
    assert syslog["msgid"] == "shadow-ai"
    assert syslog["sd"] == "-"
    header, ext = parse_cef(syslog["msg"])
    assert header == ["0", "AIGov", "AIGov", "1.0", "shadow-ai.unsanctioned", payload.rule_name, "8"]
    assert ext["suser"] == payload.subject
    assert ext["dhost"] == "chat.deepseek.com"
    assert ext["msg"] == payload.summary  # newline, '=' and backslash survive the escaping
    assert ext["cs1Label"] == "ruleId" and ext["cs1"] == "unsanctioned-use"
    assert ext["cs2"] == payload.alert_id
    assert ext["cnt"] == "42"
    assert ext["rt"] == ext["end"] == str(int(payload.last_seen.timestamp() * 1000))
    assert ext["start"] == str(int(payload.first_seen.timestamp() * 1000))
    assert ext["externalId"] == ext["cs2"] == payload.alert_id
    assert ext["cat"] == "shadow-ai"
    assert ext["request"] == ext["cs4"] == payload.link
    assert (ext["cs3"], ext["cs5"]) == (payload.fingerprint, "open")


def test_syslog_cef_over_udp(udp_listener: SyslogUDPListener, payload: AlertPayload) -> None:
    # when
    notifier_for("syslog_cef", {"host": "127.0.0.1", "port": udp_listener.port, "protocol": "udp"}).send(
        payload.to_message()
    )
    # then
    frame = udp_listener.receive()
    assert b"\n" not in frame
    _assert_cef(frame, payload)


def test_syslog_cef_over_tcp_uses_octet_counting(tcp_listener: SyslogTCPListener, payload: AlertPayload) -> None:
    # given
    notifier = notifier_for("syslog_cef", {"host": "127.0.0.1", "port": tcp_listener.port, "protocol": "tcp"})
    # when
    notifier.send(payload.to_message())
    notifier.send(payload.to_message())
    # then
    deadline = time.time() + 5
    while len(tcp_listener.messages) < 2 and time.time() < deadline:
        time.sleep(0.02)
    assert len(tcp_listener.messages) == 2
    for frame in tcp_listener.messages:
        _assert_cef(frame, payload)


def test_syslog_tcp_refused_is_transient(payload: AlertPayload) -> None:
    with pytest.raises(NotifierError) as caught:
        notifier_for("syslog_cef", {"host": "127.0.0.1", "port": _closed_port(), "protocol": "tcp"}).send(
            payload.to_message()
        )
    assert caught.value.permanent is False


@pytest.mark.parametrize(
    ("kind", "config", "problems"),
    [
        ("webhook", {"url": "http://x"}, ["'secret' is required"]),
        ("slack", {}, ["'url' is required"]),
        ("syslog_cef", {"host": "h", "protocol": "ssl"}, ["'protocol' must be udp, tcp or tls"]),
        ("syslog_cef", {"host": "h"}, []),
        ("email", {"to": ["a@b.c"]}, []),
        ("splunk_hec", {"url": "http://x"}, ["'token' is required"]),
        ("teams", {"url": "http://x"}, []),
    ],
)
def test_validate_config(kind: str, config: dict[str, Any], problems: list[str]) -> None:
    assert NOTIFIERS[kind].validate_config(config) == problems
