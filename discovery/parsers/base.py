"""The contract every log-format parser implements. Pure Python: no Django imports.

A parser turns one line of a proxy, firewall or network-sensor log into a :class:`ProxyEvent`.
Parsers are instantiated once per input stream because some formats carry state in header lines
(W3C/ELFF ``#Fields:``, Zeek ``#fields``); ``parse`` may therefore return ``None`` for a line that
is a header or comment, and raises :class:`MalformedLine` for a line it cannot read.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any, ClassVar


class Visible(enum.StrEnum):
    """What a log format can reveal about a request. Declared per parser so the UI can say what is missing."""

    USER = "user"
    SRC_IP = "src_ip"
    HOST = "host"
    URL = "url"
    UPLOAD_BYTES = "upload_bytes"
    DOWNLOAD_BYTES = "download_bytes"


class EventKind(enum.StrEnum):
    HTTP = "http"  # a proxied HTTP(S) request: URL or CONNECT host known
    TLS = "tls"  # a TLS handshake: SNI known
    QUIC = "quic"  # a QUIC Initial: SNI known
    DNS = "dns"  # a DNS query name
    FLOW = "flow"  # a connection/flow record: host may be known from an app-id or SNI field


@dataclass(slots=True)
class ProxyEvent:
    """One observed access to a network destination, normalised across log formats.

    ``timestamp`` is timezone-aware UTC. ``host`` is lower-case without a trailing dot or port.
    ``upload_bytes``/``download_bytes`` are ``None`` when the format cannot see them (not 0).
    """

    timestamp: datetime
    host: str
    kind: EventKind = EventKind.HTTP
    user: str | None = None
    src_ip: str | None = None
    dest_ip: str | None = None
    dest_port: int | None = None
    url: str | None = None
    method: str | None = None
    status: int | None = None
    upload_bytes: int | None = None
    download_bytes: int | None = None
    action: str | None = None  # allowed / blocked / ... as the device reported it
    extra: dict[str, Any] = field(default_factory=dict)


#: ``(epoch seconds, user, src_ip, host, url, upload_bytes, download_bytes)``: what ingestion aggregates of an event
FastRecord = tuple[float, str | None, str | None, str, str | None, int | None, int | None]


def fast_record(event: ProxyEvent) -> FastRecord:
    """The :data:`FastRecord` of a general event (how the general path feeds the same aggregation)."""
    return (
        event.timestamp.timestamp(),
        event.user,
        event.src_ip,
        event.host,
        event.url,
        event.upload_bytes,
        event.download_bytes,
    )


class MalformedLine(ValueError):
    """Raised by ``LogParser.parse`` for a line that is not in the parser's format. Counted and sampled, never fatal."""


class LogParser(ABC):
    """Base class for one log format. Subclasses live one per module in ``discovery/parsers/``."""

    #: registry key, e.g. ``"squid"``; also the value of ``--format``
    name: ClassVar[str]
    #: human label for admin choices
    label: ClassVar[str]
    #: what this format can see
    visible: ClassVar[frozenset[Visible]]

    def __init__(self, *, options: Mapping[str, Any] | None = None, tz: tzinfo = UTC) -> None:
        # ``tz`` is the time zone of timestamps that carry none (e.g. W3C local time); ``options`` are format-specific
        self.options: dict[str, Any] = dict(options or {})
        self.tz = tz

    @abstractmethod
    def parse(self, line: str) -> ProxyEvent | None:
        """Parse one line (without its newline). ``None`` for headers/comments/blank; raise ``MalformedLine``."""

    @classmethod
    def sniff(cls, lines: list[str]) -> float:
        """Return a confidence 0..1 that ``lines`` (the first lines of a file) are in this format."""
        return 0.0

    def iter_fast(self, lines: Iterable[str], stats: ParseStats) -> Iterator[FastRecord] | None:
        """Optional fast path for ingestion: only the fields aggregation needs, as :data:`FastRecord` tuples.

        Must count ``stats`` and sample malformed lines exactly like :func:`parse_lines` over :meth:`parse`, and yield
        exactly the fields of the events that path yields. ``None`` (the default) means "no fast path: use parse".
        """
        return None


@dataclass(slots=True)
class ParseStats:
    """Counters for one parsed stream; ``malformed_samples`` keeps the first few bad lines for the user to see."""

    records_read: int = 0
    records_parsed: int = 0
    records_malformed: int = 0
    records_skipped: int = 0  # headers, comments, blank lines
    malformed_samples: list[dict[str, Any]] = field(default_factory=list)

    MAX_SAMPLES: ClassVar[int] = 20


def parse_lines(parser: LogParser, lines: Iterable[str], stats: ParseStats | None = None) -> Iterator[ProxyEvent]:
    """Stream ``lines`` through ``parser``, counting and sampling malformed lines instead of failing."""
    stats = stats if stats is not None else ParseStats()
    for lineno, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        stats.records_read += 1
        if not line.strip():
            stats.records_skipped += 1
            continue
        try:
            event = parser.parse(line)
        except MalformedLine as exc:
            stats.records_malformed += 1
            if len(stats.malformed_samples) < ParseStats.MAX_SAMPLES:
                stats.malformed_samples.append({"line": lineno, "error": str(exc), "text": line[:500]})
            continue
        if event is None:
            stats.records_skipped += 1
            continue
        stats.records_parsed += 1
        yield event
