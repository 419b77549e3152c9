"""The parser registry, format auto-detection and a one-call streaming entry point.

Add a format by adding a module with a :class:`~discovery.parsers.base.LogParser` subclass and listing the class in
``_PARSER_CLASSES`` below; nothing else branches on format names.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, tzinfo
from typing import IO, Any

from discovery.parsers.apache import ApacheProxyParser
from discovery.parsers.base import LINE_ERRORS, LogParser, ParseStats, ProxyEvent, parse_lines
from discovery.parsers.fortigate import FortiGateParser
from discovery.parsers.generic import GenericCSVParser, GenericJSONParser
from discovery.parsers.panos import PanOSParser
from discovery.parsers.squid import SquidCombinedParser, SquidCommonParser, SquidLogformatParser, SquidParser
from discovery.parsers.streams import StreamLimits, open_text_stream, peek_lines
from discovery.parsers.suricata import SuricataEveParser
from discovery.parsers.w3c import BlueCoatParser, W3CParser
from discovery.parsers.zeek import ZeekParser
from discovery.parsers.zscaler import ZscalerParser

_PARSER_CLASSES: tuple[type[LogParser], ...] = (
    SquidParser,
    SquidCommonParser,
    SquidCombinedParser,
    SquidLogformatParser,
    ZscalerParser,
    W3CParser,
    BlueCoatParser,
    PanOSParser,
    FortiGateParser,
    ZeekParser,
    SuricataEveParser,
    ApacheProxyParser,
    GenericCSVParser,
    GenericJSONParser,
)

#: registry key (``LogParser.name``) to parser class, in detection tie-break order
PARSERS: dict[str, type[LogParser]] = {cls.name: cls for cls in _PARSER_CLASSES}


def format_choices(*, capture: str | None = None) -> list[tuple[str, str]]:
    """(name, "Label (name)") of every log format, for a format chooser; with ``capture`` (the capture format's
    name) a packet-capture entry too. The blank choice (detect) is the caller's."""
    choices = [(name, f"{cls.label} ({name})") for name, cls in PARSERS.items()]
    if capture:
        choices.append((capture, f"Packet capture, pcap or pcapng ({capture})"))
    return choices


#: a sniff score below this is "does not look like it"
MIN_SNIFF_SCORE = 0.5
#: lines read from the start of a stream for auto-detection
SNIFF_LINES = 50


class UnknownFormat(ValueError):
    """No parser is registered under the given name, or auto-detection found no format that fits."""


def get_parser(name: str, *, options: Mapping[str, Any] | None = None, tz: tzinfo = UTC) -> LogParser:
    """A fresh parser instance (parsers hold per-stream header state: use one per input)."""
    try:
        cls = PARSERS[name]
    except KeyError:
        raise UnknownFormat(f"unknown log format {name!r}; known formats: {', '.join(sorted(PARSERS))}") from None
    return cls(options=options, tz=tz)


def sniff_scores(first_lines: Iterable[str]) -> dict[str, float]:
    """Every registered format's confidence (0..1) for these first lines, highest first."""
    lines = [line.rstrip("\r\n") for line in first_lines]
    scores: dict[str, float] = {}
    for name, cls in PARSERS.items():
        try:
            scores[name] = float(cls.sniff(lines))
        except LINE_ERRORS:
            # a sniffer meeting foreign input (random bytes: a bare \r for the csv module) must not abort detection
            scores[name] = 0.0
    return dict(sorted(scores.items(), key=lambda item: item[1], reverse=True))


def detect_format(first_lines: Iterable[str], *, min_score: float = MIN_SNIFF_SCORE) -> str:
    """Name of the best-scoring format for the first lines of a file; :class:`UnknownFormat` when none fits.

    Ties go to the earlier entry of :data:`PARSERS` (specific formats before generic ones).
    """
    lines = [line for line in (raw.rstrip("\r\n") for raw in first_lines) if line.strip()]
    if not lines:
        raise UnknownFormat("cannot detect the log format of an empty input")
    scores = sniff_scores(lines)
    best, score = next(iter(scores.items()))
    if score < min_score:
        guesses = ", ".join(f"{name} {value:.2f}" for name, value in list(scores.items())[:3])
        raise UnknownFormat(
            f"could not detect the log format (best guesses: {guesses}); choose the format explicitly "
            "(a custom Squid logformat, a Zscaler feed template or a generic CSV/JSON mapping need options)"
        )
    return best


def iter_events(
    source: str | os.PathLike[str] | IO[bytes] | Iterable[str],
    *,
    format_name: str | None = None,
    options: Mapping[str, Any] | None = None,
    tz: tzinfo = UTC,
    stats: ParseStats | None = None,
    limits: StreamLimits | None = None,
) -> Iterator[ProxyEvent]:
    """Stream events from a path, binary file object (plain/gzip/zip) or an iterable of text lines.

    With ``format_name=None`` the format is detected from the first :data:`SNIFF_LINES` lines (which are then
    parsed too). Malformed lines are counted in ``stats``; archive problems raise from ``streams``.
    """
    if isinstance(source, str | os.PathLike) or hasattr(source, "read"):
        stream = open_text_stream(source, limits=limits)  # type: ignore[arg-type]
        lines: Iterable[str] = stream
    else:
        stream = None
        lines = source
    try:
        if format_name is None:
            head, all_lines = peek_lines(lines, SNIFF_LINES)
            format_name = detect_format(head)
            lines = all_lines
        parser = get_parser(format_name, options=options, tz=tz)
        yield from parse_lines(parser, lines, stats)
    finally:
        if stream is not None:
            stream.close()
