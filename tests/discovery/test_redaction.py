"""The redaction of malformed-line samples: table tests over the patterns and the per-format field layouts."""

from __future__ import annotations

import pytest

from discovery.redaction import (
    FIXED_LAYOUTS,
    SampleLayout,
    is_personal_field,
    redact_patterns,
    redact_sample,
    redact_sample_text,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("from 10.0.0.5 to x", "from <ip> to x"),
        ("10.0.0.5:3128 refused", "<ip>:3128 refused"),
        ("[2001:db8::1]:443 and fe80::1%eth0", "[<ip>]:443 and <ip>"),
        ("client 2001:0db8:0000:0000:0000:ff00:0042:8329 x", "client <ip> x"),
        ("::ffff:10.0.0.5 mapped", "<ip> mapped"),
        ("mac 00:1a:2b:3c:4d:5e / 00-1A-2B-3C-4D-5E / 001a.2b3c.4d5e", "mac <mac> / <mac> / <mac>"),
        ("mail jane.doe+ai@corp.example.com now", "mail <email> now"),
        ("kerberos jdoe@CORP realm", "kerberos <user> realm"),
        (r"user CORP\JDoe and CORP\\jdoe and CORP%5Cjdoe", "user <user> and <user> and <user>"),
        (
            '{"user": "jdoe", "src_ip": "10.1.1.1", "host": "a.b"}',
            '{"user": "<redacted>", "src_ip": "<redacted>", "host": "a.b"}',
        ),
        (
            'srcip=10.0.0.9 user="j doe" dstip=8.8.8.8 action=pass',
            'srcip=<redacted> user="<redacted>" dstip=<ip> action=pass',
        ),
        ("GET https://x.test/a?login=jdoe&q=1", "GET https://x.test/a?login=<redacted>&q=1"),
        # left alone: times, epoch seconds, hosts with ports, URLs with @handles, sizes, out-of-range octets
        ("1772445600.000 12:34:56 chatgpt.com:443 https://x.com/@handle 999.1.1.1", None),
        ("std::vector TCP_MISS/200 5000", None),
    ],
)
def test_patterns_redact_people_and_devices_and_nothing_else(text: str, expected: str | None) -> None:
    assert redact_patterns(text) == (text if expected is None else expected)


SQUID = "1772445600.000 120 10.0.0.5 TCP_TUNNEL/200 5000 CONNECT chatgpt.com:443 jdoe HIER_DIRECT/1.2.3.4 -"


@pytest.mark.parametrize(
    ("fmt_layout", "text", "expected"),
    [
        # Squid native: client (col 2) and user (col 7) go by position even when they match no pattern
        (
            FIXED_LAYOUTS["squid"],
            SQUID.replace("10.0.0.5", "laptop-17"),
            "1772445600.000 120 <redacted> TCP_TUNNEL/200 5000 CONNECT chatgpt.com:443 <redacted> HIER_DIRECT/<ip> -",
        ),
        (FIXED_LAYOUTS["squid"], "1772532300.000 EIGHT ws-9 broken", "1772532300.000 EIGHT <redacted> broken"),
        (FIXED_LAYOUTS["squid"], "  lead  two ws-9", "  lead  two <redacted>"),
        # CLF: host ident authuser
        (
            FIXED_LAYOUTS["squid_common"],
            'pc-1 - jdoe [02/Mar/2026:10:00:00 +9999] "GET http://a.b/ HTTP/1.1" 200 10',
            '<redacted> - <redacted> [02/Mar/2026:10:00:00 +9999] "GET http://a.b/ HTTP/1.1" 200 10',
        ),
        # CSV by header: the user and client columns, quoting kept
        (
            SampleLayout.of_names(["time", "user", "client_ip", "url"], separator="csv"),
            '2026-03-02,"Doe, Jane",ws-1,"http://a.b/x,y"',
            '2026-03-02,<redacted>,<redacted>,"http://a.b/x,y"',
        ),
        (
            SampleLayout.of_names(["ts", "username", "host"], separator="csv", delimiter=";"),
            "x;jdoe;a.b",
            "x;<redacted>;a.b",
        ),
        # Zeek TSV from #fields
        (
            SampleLayout.of_names(["ts", "uid", "id.orig_h", "host"], separator="tab"),
            "1.5\tCx1\tws-2\tchatgpt.com",
            "1.5\tCx1\t<redacted>\tchatgpt.com",
        ),
        # W3C from #Fields
        (
            SampleLayout.of_names(["date", "time", "c-ip", "cs-username", "cs-host"], separator="whitespace"),
            "2026-03-02 10:00:00 ws-3 jdoe chatgpt.com",
            "2026-03-02 10:00:00 <redacted> <redacted> chatgpt.com",
        ),
        # PAN-OS: source address and source user columns
        (
            FIXED_LAYOUTS["panos"],
            "1,2026/03/02 10:00:00,0001,TRAFFIC,end,2049,2026/03/02 10:00:00,ws-4,1.1.1.1,,,rule,jdoe,,web",
            "1,2026/03/02 10:00:00,0001,TRAFFIC,end,2049,2026/03/02 10:00:00,<redacted>,<ip>,,,rule,<redacted>,,web",
        ),
        # an unsplittable CSV line still loses its patterns
        (SampleLayout("csv", frozenset({1})), 'a,"b\x00 10.0.0.1', None),
    ],
)
def test_layouts_redact_personal_columns_by_position(fmt_layout: SampleLayout, text: str, expected: str | None) -> None:
    result = redact_sample_text(text, fmt_layout)
    if expected is None:
        assert "10.0.0.1" not in result
    else:
        assert result == expected


@pytest.mark.parametrize(
    ("name", "personal"),
    [
        ("cs-username", True),
        ("login", True),
        ("c-ip", True),
        ("id.orig_h", True),
        ("srcip", True),
        ("deviceowner", True),
        ("host", False),
        ("url", False),
        ("dest_ip", False),
        ("sip", False),
        ("time", False),
    ],
)
def test_personal_field_names(name: str, personal: bool) -> None:
    assert is_personal_field(name) is personal


def test_a_sample_keeps_its_line_number_and_loses_packet_bytes() -> None:
    # given
    line = {"line": 4, "error": "bad client 10.0.0.5", "text": SQUID}
    frame = {"frame": 3, "error": "tcp: truncated from 10.0.0.5", "hex": "001a2b3c4d5e"}
    # when
    safe_line, safe_frame = redact_sample(line, FIXED_LAYOUTS["squid"]), redact_sample(frame)
    # then
    assert safe_line["line"] == 4 and safe_line["error"] == "bad client <ip>"
    assert "10.0.0.5" not in safe_line["text"] and "jdoe" not in safe_line["text"]
    assert safe_frame == {"frame": 3, "error": "tcp: truncated from <ip>", "hex": ""}
    assert line["text"] == SQUID  # the original is not changed
