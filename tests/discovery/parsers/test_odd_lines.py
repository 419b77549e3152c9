"""One odd line in a block costs one line of work, for every text format: ingestion's scan
(``scan_matched_bytes`` over blocks of bytes, as the engine hands them over) reads a block with one malformed,
non-ASCII or otherwise unusual line with at most one more call of the per-line parser than the same block without it
(never by reading the block again line by line), and counts, samples and classifies what the line-by-line parser
does. Squid native has its own, finer test (only that line leaves the column scan: ``perf/test_squid_vector_scan``);
here it is held to the same bound as the others."""

from __future__ import annotations

from typing import Any

import pytest

from discovery.parsers.base import (
    GroupedBlock,
    LogParser,
    MalformedLine,
    MatchedBlock,
    ParseStats,
    parse_lines,
    parse_one,
)
from discovery.parsers.registry import PARSERS, get_parser
from tests.discovery.parsers.mutations import CORPORA, corpus_lines

#: lines every format reads as malformed or as an unusual record: garbage with NUL and a lone surrogate (invalid UTF-8
#: in the bytes), a non-ASCII line, and a Squid error entry
ODD = [
    "\x00\x01 garbage \udcff after a crash",
    "J\u00fcrgen M\u00fcller \u00e9l\u00e8ve stra\u00dfe \u00fc",
    "1772409600.000      0 10.0.0.1 NONE_NONE/000 0 NONE error:transaction-end-before-headers - HIER_NONE/- -",
]
LINES = 1500


def classify(host: str, url: str | None) -> int:
    return sum(map(ord, host)) % 3


def _file(format_name: str) -> tuple[list[str], int, dict[str, Any]]:
    """About :data:`LINES` good lines of the format (the records of its fixture that parse, repeated, after the
    fixture's header lines), and where the records begin."""
    fixture, options = CORPORA[format_name][0]
    lines = [line.decode("utf-8", "surrogateescape") for line in corpus_lines(fixture)]
    parser = get_parser(format_name, options=dict(options))
    header: int | None = None
    body: list[str] = []
    for i, line in enumerate(lines):
        if header is not None and line.startswith("#"):
            break  # a later header (a second #Fields) would change how the records read
        try:
            event = parse_one(parser, line)
        except MalformedLine:
            continue
        if event is not None:
            header = i if header is None else header
            body.append(line)
    assert header is not None and body
    return lines[:header] + (body * (LINES // len(body) + 1))[:LINES], header, dict(options)


def _scan(format_name: str, options: dict[str, Any], lines: list[str]) -> tuple[list[Any], ParseStats, int]:
    """The engine's scan of ``lines`` in one block of bytes: its blocks, counts, and the parse() calls it made."""
    parser = get_parser(format_name, options=options)
    calls = 0
    real = type(parser).parse

    def counting(self: LogParser, line: str) -> Any:
        nonlocal calls
        calls += 1
        return real(self, line)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(type(parser), "parse", counting)
        stats = ParseStats()
        data = "\n".join(lines).encode("utf-8", "surrogateescape")
        blocks = list(parser.scan_matched_bytes([data], stats, classify))
    return blocks, stats, calls


def _matched(blocks: list[MatchedBlock | GroupedBlock]) -> int:
    return sum(b.matched if isinstance(b, GroupedBlock) else len(b.codes) for b in blocks)


@pytest.mark.parametrize("odd", ODD, ids=["garbage", "non-ascii", "squid-error"])
@pytest.mark.parametrize("format_name", sorted(PARSERS))
def test_one_odd_line_in_a_block_costs_at_most_one_more_parse_and_counts_as_the_line_parser_does(
    format_name: str, odd: str
) -> None:
    # given a block of the format's records, and the same block with one odd line in the middle
    clean, header, options = _file(format_name)
    with_odd = [*clean[: header + LINES // 2], odd, *clean[header + LINES // 2 :]]
    # when both are scanned as ingestion scans them
    _, clean_stats, clean_calls = _scan(format_name, options, clean)
    blocks, stats, calls = _scan(format_name, options, with_odd)
    # then the odd line cost at most one parse() more: the rest of its block was not read again
    assert calls <= clean_calls + 1
    assert clean_stats.records_parsed == LINES
    # and the counts, samples (line numbers included) and matched records are the line-by-line parser's
    decoded = "\n".join(with_odd).encode("utf-8", "surrogateescape").decode("utf-8", "replace").split("\n")
    expected = ParseStats()
    events = list(parse_lines(get_parser(format_name, options=options), decoded, expected))
    assert stats == expected
    assert _matched(blocks) == sum(1 for event in events if classify(event.host, event.url))
