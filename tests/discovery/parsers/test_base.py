from __future__ import annotations

from datetime import UTC, datetime

from discovery.parsers.base import LogParser, MalformedLine, ParseStats, ProxyEvent, Visible, parse_lines


class _Echo(LogParser):
    name = "echo"
    label = "Echo"
    visible = frozenset({Visible.HOST})

    def parse(self, line: str) -> ProxyEvent | None:
        if line == "bad":
            raise MalformedLine("bad line")
        return None if line.startswith("#") else ProxyEvent(timestamp=datetime(2024, 1, 1, tzinfo=UTC), host=line)


def test_parse_lines_counts_blank_header_good_and_bad_lines_and_caps_samples() -> None:
    # given
    stats = ParseStats()
    lines = ["a.example\r\n", "   \n", "#header", *(["bad"] * 25), "b.example"]
    # when
    events = list(parse_lines(_Echo(), lines, stats))
    # then
    assert [e.host for e in events] == ["a.example", "b.example"]
    assert (stats.records_read, stats.records_parsed, stats.records_skipped, stats.records_malformed) == (29, 2, 2, 25)
    assert len(stats.malformed_samples) == ParseStats.MAX_SAMPLES
    assert stats.malformed_samples[0] == {"line": 4, "error": "bad line", "text": "bad"}


def test_parse_lines_works_without_a_stats_object_and_default_sniff_is_zero() -> None:
    # given / when / then
    assert len(list(parse_lines(_Echo(), ["x.example"]))) == 1
    assert _Echo.sniff(["x.example"]) == 0.0
