"""Streaming log-format parsers for shadow-AI discovery (pure Python, no Django imports).

Public API: :data:`PARSERS`, :func:`get_parser`, :func:`detect_format`, :func:`iter_events`,
:func:`open_text_stream` and the contract in :mod:`discovery.parsers.base`.
"""

from __future__ import annotations

from discovery.parsers.base import EventKind, LogParser, MalformedLine, ParseStats, ProxyEvent, Visible, parse_lines
from discovery.parsers.registry import (
    PARSERS,
    UnknownFormat,
    detect_format,
    get_parser,
    iter_events,
    sniff_scores,
)
from discovery.parsers.streams import (
    ArchiveError,
    ArchiveLimitExceeded,
    StreamLimits,
    TextStream,
    UnsafeArchiveEntry,
    open_text_stream,
    peek_lines,
)

__all__ = [
    "PARSERS",
    "ArchiveError",
    "ArchiveLimitExceeded",
    "EventKind",
    "LogParser",
    "MalformedLine",
    "ParseStats",
    "ProxyEvent",
    "StreamLimits",
    "TextStream",
    "UnknownFormat",
    "UnsafeArchiveEntry",
    "Visible",
    "detect_format",
    "get_parser",
    "iter_events",
    "open_text_stream",
    "parse_lines",
    "peek_lines",
    "sniff_scores",
]
