from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from discovery.parsers.base import EventKind, MalformedLine, ParseStats, parse_lines
from discovery.parsers.generic import GenericCSVParser, GenericJSONParser
from tests.discovery.parsers.helpers import fixture_lines, parse_fixture


def test_generic_csv_with_conventional_column_names() -> None:
    # given / when
    events, stats = parse_fixture("generic_csv", "generic.csv")
    # then
    assert [(e.host, e.user, e.upload_bytes, e.download_bytes, e.action) for e in events] == [
        ("chatgpt.com", "alice", 48213, 5120, "allowed"),
        ("claude.ai", "bob", None, None, "blocked"),
    ]
    assert events[0].timestamp == datetime(2024, 5, 2, 9, 12, 44, tzinfo=UTC)
    assert events[1].timestamp == datetime(2024, 5, 2, 9, 12, 45, tzinfo=UTC)
    assert events[0].kind == EventKind.FLOW
    assert stats.records_malformed == 1 and "bad ISO timestamp" in stats.malformed_samples[0]["error"]


def test_generic_csv_without_header_maps_column_indexes_and_strftime() -> None:
    # given
    options = {
        "has_header": False,
        "delimiter": ";",
        "mapping": {"timestamp": 0, "url": 2, "user": 1, "upload_bytes": 3, "status": 9},
        "timestamp_format": "%d.%m.%Y %H:%M",
    }
    parser = GenericCSVParser(options=options, tz=timezone(timedelta(hours=2)))
    # when
    event = parser.parse("02.05.2024 11:00;alice;https://chatgpt.com/c/1;900")
    # then
    assert event is not None
    assert (event.host, event.url, event.kind, event.upload_bytes, event.status) == (
        "chatgpt.com",
        "https://chatgpt.com/c/1",
        EventKind.HTTP,
        900,
        None,
    )
    assert event.timestamp == datetime(2024, 5, 2, 9, 0, tzinfo=UTC)
    assert parser.parse("# comment") is None


def test_generic_jsonl_with_dotted_mapping_and_epoch() -> None:
    # given
    mapping = {
        "user": "source.user",
        "src_ip": "source.ip",
        "host": "destination.domain",
        "url": "url.full",
        "upload_bytes": "network.bytes_out",
    }
    # when
    events, _stats = parse_fixture("generic_jsonl", "generic.jsonl", {"mapping": mapping})
    # then
    assert [(e.host, e.user, e.src_ip, e.upload_bytes, e.url) for e in events] == [
        ("chatgpt.com", "alice", "10.1.2.3", 48213, None),
        ("claude.ai", None, "10.1.2.4", None, "https://claude.ai/new"),
    ]
    epoch = GenericJSONParser(options={"timestamp_format": "epoch"}).parse('{"ts":"1714641164000","host":"x.example"}')
    assert epoch is not None and epoch.timestamp == datetime(2024, 5, 2, 9, 12, 44, tzinfo=UTC)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{bad", "invalid JSON"),
        ("[1]", "not an object"),
        ('{"host":"x.example"}', "no timestamp"),
        ('{"ts":1714641164}', "no host"),
    ],
)
def test_generic_jsonl_reports_unusable_lines(line: str, message: str) -> None:
    # given / when / then
    with pytest.raises(MalformedLine, match=message):
        GenericJSONParser().parse(line)


def test_generic_rejects_unknown_mapping_attributes() -> None:
    # given / when / then
    with pytest.raises(ValueError, match="unknown mapping attribute"):
        GenericCSVParser(options={"mapping": {"colour": "c"}})


def test_generic_csv_mapping_to_a_missing_header_column_yields_no_value() -> None:
    # given
    stats = ParseStats()
    parser = GenericCSVParser(options={"mapping": {"host": "nope"}})
    # when
    list(parse_lines(parser, ["time,host", "2024-05-02T09:00:00,chatgpt.com"], stats))
    # then
    assert stats.records_malformed == 1 and "no host" in stats.malformed_samples[0]["error"]


def test_generic_sniffers_are_weak_last_resorts() -> None:
    # given / when / then
    assert GenericCSVParser.sniff(fixture_lines("generic.csv")) == 0.5
    assert GenericCSVParser.sniff(["a,b"]) == 0.0
    assert GenericCSVParser.sniff(['{"a":1}']) == 0.0
    assert GenericJSONParser.sniff(fixture_lines("generic.jsonl")) == 0.0  # nested keys need a mapping
    assert GenericJSONParser.sniff(['{"time":"2024-05-02T09:00:00Z","host":"chatgpt.com"}']) == pytest.approx(0.5)
    assert GenericJSONParser.sniff(['{"a":1}', "x"]) == 0.0
    assert GenericJSONParser.sniff(['{"a":1}']) == 0.0
