"""CEF escaping, the CEF record of a Message, and RFC 5424 / 6587 framing, table-driven."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from notifications.notifiers.message import Message
from notifications.notifiers.syslog_cef import (
    MSG_LIMIT,
    SyslogCEFNotifier,
    cef_extension,
    cef_header_escape,
    cef_line,
    cef_value_escape,
    octet_count,
    rfc5424_frame,
)
from tests.notifications.receivers import parse_cef, parse_rfc5424, split_octet_counted


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("plain", "plain"),
        ("a|b", "a\\|b"),
        ("back\\slash", "back\\\\slash"),
        ("a=b", "a=b"),  # '=' is legal in the header
        ("two\nlines", "two lines"),
        ("crlf\r\nend", "crlf end"),
        (8, "8"),
    ],
)
def test_header_escape(raw: object, escaped: str) -> None:
    assert cef_header_escape(raw) == escaped


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("plain text", "plain text"),
        ("a=b", "a\\=b"),
        ("back\\slash", "back\\\\slash"),
        ("a|b", "a|b"),  # '|' is legal in extension values
        ("one\ntwo", "one\\ntwo"),
        ("one\r\ntwo", "one\\ntwo"),
        ("one\rtwo", "one\\rtwo"),
    ],
)
def test_extension_value_escape(raw: str, escaped: str) -> None:
    assert cef_value_escape(raw) == escaped


def test_extension_skips_empty_values_and_rejects_bad_keys() -> None:
    assert cef_extension([("a", "1"), ("b", ""), ("c", None), ("d", 0)]) == "a=1 d=0"
    with pytest.raises(ValueError, match="invalid CEF extension key"):
        cef_extension([("bad key", "x")])


@pytest.mark.parametrize("value", ["x=y", "a\\=b", "end\\", "multi\nline\r\nvalue", "spaces  and = signs", "|p|"])
def test_extension_round_trips_through_a_parser(value: str) -> None:
    # given
    line = "CEF:0|V|P|1|sig|name|5|" + cef_extension([("msg", value), ("suser", "p1")])
    # when
    _, ext = parse_cef(line)
    # then
    expected = value.replace("\r\n", "\n")
    assert ext == {"msg": expected, "suser": "p1"}


def test_rfc5424_frame_fields() -> None:
    # when
    frame = rfc5424_frame(
        "CEF:0|x",
        severity=4,
        facility=13,
        hostname="proxy host",
        app_name="aigov",
        timestamp=datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
    )
    # then
    fields = parse_rfc5424(frame)
    assert fields == {
        "pri": 108,
        "version": "1",
        "timestamp": "2026-01-02T03:04:05.678Z",
        "host": "proxyhost",
        "app": "aigov",
        "procid": "-",
        "msgid": "shadow-ai",
        "sd": "-",
        "msg": "CEF:0|x",
    }


def test_octet_counting_frames_split_back() -> None:
    frames = [b"<1>1 a", "<2>1 \u00e9t\u00e9".encode(), b"<3>1 " + b"x" * 300]
    stream = b"".join(octet_count(f) for f in frames)
    assert list(split_octet_counted(stream)) == frames
    assert octet_count(b"abc") == b"3 abc"


AT = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)
BASE = Message(
    topic="evidence_pack_ready",
    event_id="evidence.pack.9",
    signature="evidence.pack_ready",
    name="Evidence pack | ready",
    title="Pack ready",
    severity="medium",
    summary="",
    occurred_at=AT,
    link="",
)
RT = str(int(AT.timestamp() * 1000))


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, {"rt": RT, "externalId": "evidence.pack.9", "msg": "Pack ready"}),  # no summary: the title
        (
            {"summary": "a=b\nc", "link": "http://x/1", "category": "evidence"},
            {"rt": RT, "externalId": "evidence.pack.9", "cat": "evidence", "msg": "a=b\nc", "request": "http://x/1"},
        ),
        (
            {"start": datetime(2026, 3, 31, 8, 0, tzinfo=UTC)},
            {
                "rt": RT,
                "start": str(int(datetime(2026, 3, 31, 8, 0, tzinfo=UTC).timestamp() * 1000)),
                "end": RT,
                "externalId": "evidence.pack.9",
                "msg": "Pack ready",
            },
        ),
        (
            {"category": "evidence", "cef": (("cat", "grc"), ("cn1", 0), ("suser", ""), ("cs1", "x"))},
            {"rt": RT, "externalId": "evidence.pack.9", "cat": "grc", "msg": "Pack ready", "cn1": "0", "cs1": "x"},
        ),
    ],
    ids=["minimal", "summary-link-category", "span", "topic-pairs-win-and-empty-ones-drop"],
)
def test_cef_line_of_a_message(changes: dict[str, Any], expected: dict[str, str]) -> None:
    # when
    header, ext = parse_cef(cef_line(replace(BASE, **changes)))
    # then
    assert header == ["0", "AIGov", "AIGov", "1.0", "evidence.pack_ready", "Evidence pack | ready", "5"]
    assert ext == expected


def test_cef_msg_is_bounded() -> None:
    _, ext = parse_cef(cef_line(replace(BASE, summary="x" * 5000)))
    assert len(ext["msg"]) == MSG_LIMIT and ext["msg"].endswith("...")


@pytest.mark.parametrize(
    ("category", "severity", "msgid", "pri"),
    [("", "low", "evidence_pack_ready", 13 * 8 + 5), ("shadow-ai", "critical", "shadow-ai", 13 * 8 + 2)],
)
def test_syslog_msgid_is_the_category_else_the_topic(category: str, severity: str, msgid: str, pri: int) -> None:
    # when
    frame = SyslogCEFNotifier({"host": "h", "hostname": "aigov"}).frame(
        replace(BASE, category=category, severity=severity)
    )
    # then
    fields = parse_rfc5424(frame)
    assert (fields["msgid"], fields["pri"], fields["timestamp"]) == (msgid, pri, "2026-04-01T08:00:00.000Z")
