from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from discovery.parsers.base import EventKind, MalformedLine, ParseStats, parse_lines
from discovery.parsers.zeek import ZeekParser
from tests.discovery.parsers.helpers import fixture_lines, parse_fixture, project

MASKED = {"allow_masked_timestamps": True}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("fixture", "count", "index", "expected"),
    [
        (
            "zeek_opt.basic_dns.log",
            34,
            3,
            {"host": "upload.wikimedia.org", "kind": EventKind.DNS, "src_ip": "141.142.220.118", "dest_port": 53},
        ),
        ("zeek_opt.basic_dns.log", 34, 0, {"host": "gemini._sftp-ssh._tcp.local", "dest_ip": "224.0.0.251"}),
        (
            "zeek_scripts.base.protocols.http.http-connect-with-header_http.log",
            1,
            0,
            {
                "host": "secure.newegg.com",
                "url": "secure.newegg.com:443",
                "method": "CONNECT",
                "status": 200,
                "upload_bytes": 0,
                "user": None,
            },
        ),
        (
            "zeek_scripts.base.protocols.http.multipart-body-length_http.log",
            1,
            0,
            {
                "host": "localhost",
                "url": "http://localhost:8000/",
                "method": "POST",
                "upload_bytes": 767,
                "download_bytes": 0,
                "status": None,
            },
        ),
        (
            "zeek_scripts.base.protocols.quic.chromium_ssl.log",
            1,
            0,
            {"host": "api.cirrus-ci.com", "kind": EventKind.TLS, "dest_ip": "110.213.53.115", "upload_bytes": None},
        ),
        (
            "zeek_scripts.base.protocols.quic.chromium_quic.log",
            1,
            0,
            {"host": "api.cirrus-ci.com", "kind": EventKind.QUIC},
        ),
        ("zeek_scripts.base.protocols.ssl.tls13-encrypted-client-hello_ssl.log", 2, 1, {"host": "cloudflare-ech.com"}),
        ("zeek_scripts.base.protocols.ssl.tls13_ssl-out.log", 11, 2, {"host": "138.68.41.77", "dest_port": 443}),
        (
            "zeek_scripts.policy.protocols.conn.speculative-service_conn-post-large.log",
            2,
            0,
            {"host": "127.0.0.1", "kind": EventKind.FLOW, "upload_bytes": 61907, "download_bytes": 60478},
        ),
        (
            "zeek_javascript.http-uri-sha256_http.log",
            1,
            0,
            {"host": "bro.org", "url": "http://bro.org/download/CHANGES.bro-aux.txt", "download_bytes": 4705},
        ),
        (
            "zeek_scripts.base.frameworks.logging.json-non-printable-escaping_http.log.json",
            4,
            1,
            {"host": "172.24.0.3", "url": "http://172.24.0.3/printable_😄", "status": 404},
        ),
    ],
)
def test_zeek_reads_upstream_baselines_with_masked_timestamps(
    fixture: str, count: int, index: int, expected: dict[str, Any]
) -> None:
    # given / when
    events, stats = parse_fixture("zeek", fixture, MASKED)
    # then
    assert stats.records_malformed == 0 and stats.records_parsed == count
    assert project(events[index], {**expected, "timestamp": EPOCH}) == {**expected, "timestamp": EPOCH}
    assert events[index].extra["timestamp_masked"] is True


def test_zeek_counts_masked_timestamps_as_malformed_by_default() -> None:
    # given / when
    tsv_events, tsv_stats = parse_fixture("zeek", "zeek_scripts.base.protocols.quic.chromium_ssl.log")
    json_events, json_stats = parse_fixture("zeek", "zeek_javascript.http-uri-sha256_http.log")
    # then
    assert tsv_events == [] and json_events == []
    assert tsv_stats.records_malformed == json_stats.records_malformed == 1
    assert "masked timestamp" in tsv_stats.malformed_samples[0]["error"]


def test_zeek_dns_answers_are_split_on_the_set_separator() -> None:
    # given / when
    events, _ = parse_fixture("zeek", "zeek_opt.basic_dns.log", MASKED)
    # then
    assert events[5].extra["answers"] == ["upload.pmtpa.wikimedia.org", "208.80.152.3"]
    assert events[5].extra["qtype_name"] == "A"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            '{"ts":1354328870.19,"uid":"C1","id.orig_h":"10.0.0.1","id.orig_p":5,"id.resp_h":"1.2.3.4","id.resp_p":443,'
            '"server_name":"ChatGPT.com","version":"TLSv13","cipher":"x"}',
            {
                "host": "chatgpt.com",
                "kind": EventKind.TLS,
                "timestamp": datetime(2012, 12, 1, 2, 27, 50, 190000, tzinfo=UTC),
            },
        ),
        (
            '{"ts":"2024-05-02T09:12:44.000000Z","uid":"C2","id_orig_h":"10.0.0.1","id_resp_h":"10.0.0.53",'
            '"query":"claude.ai.","qtype_name":"A","trans_id":1}',
            {"host": "claude.ai", "kind": EventKind.DNS, "src_ip": "10.0.0.1"},
        ),
        (
            '{"ts":1714641164,"uid":"C3","src":"10.0.0.1","dst":"104.18.32.47","proto":"tcp","conn_state":"SF",'
            '"orig_bytes":48213,"resp_bytes":5120}',
            {"host": "104.18.32.47", "kind": EventKind.FLOW, "upload_bytes": 48213},
        ),
        (
            '{"ts":1714641164,"uid":"C4","id.orig_h":"10.0.0.1","id.resp_h":"1.2.3.4","method":"GET",'
            '"uri":"HTTP://bro.org/","host":"bro.org","username":"alice"}',
            {"host": "bro.org", "url": "HTTP://bro.org/", "user": "alice"},
        ),
        (
            '{"ts":1714641164,"uid":"C5","id.orig_h":"10.0.0.1","id.resp_h":"1.2.3.4","trans_depth":1}',
            {"host": "1.2.3.4", "url": None},
        ),
        (
            '{"ts":1714641164,"uid":"C6","id.orig_h":"10.0.0.1","id.resp_h":"1.2.3.4","client_initial_dcid":"ab"}',
            {"host": "1.2.3.4", "kind": EventKind.QUIC},
        ),
    ],
)
def test_zeek_json_detects_log_type_from_keys(line: str, expected: dict[str, Any]) -> None:
    # given / when
    event = ZeekParser().parse(line)
    # then
    assert event is not None and project(event, expected) == expected


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "invalid JSON"),
        ("[1, 2]", "before any #fields"),
        ('{"uid":"C","query":"x.example","trans_id":1}', "without ts"),
        ('{"ts":1,"uid":"C","cipher":"x"}', "without server_name"),
        ('{"ts":1,"uid":"C","conn_state":"S0"}', "without id.resp_h"),
        ('{"ts":1,"uid":"C","method":"GET"}', "http record without host"),
    ],
)
def test_zeek_json_reports_unusable_records(line: str, message: str) -> None:
    # given
    stats = ParseStats()
    # when
    list(parse_lines(ZeekParser(), [line], stats))
    # then
    assert stats.records_malformed == 1 and message in stats.malformed_samples[0]["error"]


def test_zeek_skips_other_logs_and_dns_without_query_and_honours_forced_path() -> None:
    # given
    files_line = '{"ts":1,"uid":"C","fuid":"F1","_path":"files"}'
    no_query = '{"ts":1,"uid":"C","id.orig_h":"10.0.0.1","trans_id":1,"qtype":1,"query":""}'
    forced = '{"ts":1,"uid":"C","id.resp_h":"1.2.3.4","server_name":"x.example"}'
    # when / then
    assert ZeekParser().parse(files_line) is None
    assert ZeekParser().parse('{"ts":1,"uid":"C","something":"else"}') is None
    assert ZeekParser(options={"path": "dns"}).parse(no_query) is None
    event = ZeekParser(options={"path": "quic"}).parse(forced)
    assert event is not None and event.kind == EventKind.QUIC


def test_zeek_tsv_honours_custom_separator_empty_and_unset_markers() -> None:
    # given
    lines = [
        "#separator \\x7c",
        "#set_separator|;",
        "#empty_field|EMPTY",
        "#unset_field|NONE",
        "#path|http",
        "#fields|ts|uid|id.orig_h|id.resp_h|method|host|uri|username|request_body_len",
        "1714641164.5|C1|10.0.0.1|1.2.3.4|POST|chatgpt.com|/backend-api|NONE|48213",
        "1714641164.5|C2|10.0.0.1|1.2.3.4|GET|EMPTY|/x|EMPTY|NONE",
        "1714641164.5|too|few",
    ]
    stats = ParseStats()
    # when
    events = list(parse_lines(ZeekParser(), lines, stats))
    # then
    assert [(e.host, e.url, e.user, e.upload_bytes) for e in events] == [
        ("chatgpt.com", "http://chatgpt.com/backend-api", None, 48213),
        ("1.2.3.4", "http://1.2.3.4/x", None, None),
    ]
    assert stats.records_malformed == 1 and "expected 9 columns" in stats.malformed_samples[0]["error"]


def test_zeek_tsv_without_header_is_malformed() -> None:
    # given / when / then
    with pytest.raises(MalformedLine, match="before any #fields"):
        ZeekParser().parse("1714641164.5\tC1")


@pytest.mark.parametrize(
    ("fixture", "score"),
    [
        ("zeek_opt.basic_dns.log", 0.95),
        ("zeek_javascript.http-uri-sha256_http.log", 0.9),
        ("plaso_squid_access.log", 0.0),
    ],
)
def test_zeek_sniff(fixture: str, score: float) -> None:
    # given / when / then
    assert ZeekParser.sniff(fixture_lines(fixture)) == score
