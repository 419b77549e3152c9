from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest

from discovery.parsers import registry
from discovery.parsers.base import LogParser, ParseStats, ProxyEvent, Visible
from discovery.parsers.registry import PARSERS, UnknownFormat, detect_format, get_parser, iter_events, sniff_scores
from tests.discovery.parsers.helpers import FIXTURES, fixture_lines


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("plaso_squid_access.log", "squid"),
        ("squid_shadowai_logformat.log", "squid"),  # native layout + appended fields: parsed as native
        ("squid_common.log", "squid_common"),
        ("squid_combined.log", "squid_combined"),
        ("plaso_iis_iis10.log", "w3c"),
        ("plaso_iis_iis10_edge_cases.log", "w3c"),
        ("plaso_iis_iis6.log", "w3c"),
        ("bluecoat_elff.log", "bluecoat"),
        ("zscaler_nss_web.csv", "zscaler"),
        ("zscaler_nss_web.jsonl", "zscaler"),
        ("panos_traffic_url.log", "panos"),
        ("fortigate_kv.log", "fortigate"),
        ("zeek_opt.basic_dns.log", "zeek"),
        ("zeek_scripts.base.protocols.ssl.tls13_ssl-out.log", "zeek"),
        ("zeek_javascript.http-uri-sha256_http.log", "zeek"),
        ("suricata_eve.json", "suricata"),
        ("apache_forward_proxy.log", "apache"),
        ("generic.csv", "generic_csv"),
    ],
)
def test_detect_format_picks_the_right_parser_from_the_first_lines(fixture: str, expected: str) -> None:
    # given
    head = fixture_lines(fixture)[:50]
    # when
    detected = detect_format(head)
    # then
    assert detected == expected


def test_detect_format_recognises_flat_json_lines_as_generic() -> None:
    # given / when / then
    assert detect_format(['{"time":"2024-05-02T09:00:00Z","host":"chatgpt.com","user":"a"}\n']) == "generic_jsonl"


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([], "empty input"),
        (["", "   "], "empty input"),
        (fixture_lines("plaso_apache_access.log"), "could not detect the log format"),
        (["hello world", "just text"], "best guesses"),
    ],
)
def test_detect_format_fails_clearly_when_nothing_fits(lines: list[str], message: str) -> None:
    # given / when / then
    with pytest.raises(UnknownFormat, match=message):
        detect_format(lines)


def test_sniff_scores_survive_a_sniffer_that_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    # given
    class Broken(LogParser):
        name = "broken"
        label = "Broken"
        visible = frozenset({Visible.HOST})

        def parse(self, line: str) -> ProxyEvent | None:
            return None

        @classmethod
        def sniff(cls, lines: list[str]) -> float:
            raise ValueError("boom")

    monkeypatch.setitem(registry.PARSERS, "broken", Broken)
    # when
    scores = sniff_scores(fixture_lines("plaso_squid_access.log"))
    # then
    assert scores["broken"] == 0.0 and next(iter(scores)) == "squid"


def test_registry_lists_every_parser_with_its_contract() -> None:
    # given / when / then
    for name, cls in PARSERS.items():
        assert cls.name == name and cls.label and cls.visible and cls.__doc__
        assert Visible.HOST in cls.visible


def test_get_parser_builds_fresh_instances_and_rejects_unknown_names() -> None:
    # given / when
    first, second = get_parser("w3c"), get_parser("w3c")
    # then
    assert first is not second
    with pytest.raises(UnknownFormat, match="known formats: apache"):
        get_parser("nope")


def test_iter_events_autodetects_from_a_gzip_path(tmp_path: Path) -> None:
    # given
    path = tmp_path / "access.log.gz"
    path.write_bytes(gzip.compress((FIXTURES / "plaso_squid_access.log").read_bytes()))
    stats = ParseStats()
    # when
    events = list(iter_events(path, stats=stats))
    # then
    assert len(events) == 8 and stats.records_parsed == 8
    assert events[-1].host == "secure.example.com"


def test_iter_events_accepts_binary_file_objects_and_line_iterables() -> None:
    # given
    raw = (FIXTURES / "suricata_eve.json").read_bytes()
    # when
    from_bytes = list(iter_events(io.BytesIO(raw)))
    from_lines = list(
        iter_events(
            fixture_lines("squid_shadowai_logformat.log"),
            format_name="squid_logformat",
            options={"logformat": "shadowai"},
        )
    )
    # then
    assert len(from_bytes) == 6
    assert [e.upload_bytes for e in from_lines] == [48213, 20480]
