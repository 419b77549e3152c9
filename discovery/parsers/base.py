"""The contract every log-format parser implements. Pure Python: no Django imports.

A parser turns one line of a proxy, firewall or network-sensor log into a :class:`ProxyEvent`.
Parsers are instantiated once per input stream because some formats carry state in header lines
(W3C/ELFF ``#Fields:``, Zeek ``#fields``); ``parse`` may therefore return ``None`` for a line that
is a header or comment, and raises :class:`MalformedLine` for a line it cannot read.
"""

from __future__ import annotations

import enum
import itertools
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
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


#: ``classify(host, url)``: the caller's verdict on a destination, ``0`` for "not of interest", else a positive code
#: of the caller's own (the ingestion engine numbers the catalog services it counts)
Classifier = Callable[[str, str | None], int]


@dataclass(slots=True)
class MatchedBlock:
    """What a matched scan yields for a run of records: how many records were parsed in it, the time span of all of
    them (``None`` when there were none), and one column per field for the records ``classify`` gave a code.

    Times are epoch seconds (:data:`FastRecord`); ``upload``/``download`` are ``None`` when the format cannot see
    them at all, like ``None`` in a record.
    """

    records: int
    first: float | None
    last: float | None
    codes: list[int]
    times: list[float]
    users: list[str | None]
    src_ips: list[str | None]
    upload: list[int | None] | None
    download: list[int | None] | None


def subject_key(user: str | None, src_ip: str | None) -> str:
    """Whom ingestion attributes a record to before resolving it: the user name, or ``@`` and the client address when
    the line has no user. Grouped scans (:class:`GroupedBlock`) group by this key."""
    return user if user and user != "-" else f"@{src_ip}"


@dataclass(slots=True)
class GroupedBlock:
    """What a vectorised scan yields for a run of records: like :class:`MatchedBlock` (``records``, ``first``,
    ``last``), but with the matched records already summed per (code, subject key, UTC day), for a format that sees
    download bytes and no upload bytes.

    ``who_keys`` are the distinct :func:`subject_key` values of the matched records, each with the user and client
    of its first record (in line order): the ones a record-by-record fold would resolve the subject from. A group's
    ``who`` indexes them; ``days`` count from 1970-01-01 (the UTC day of the epoch times); ``first_times`` and
    ``last_times`` are the smallest and largest epoch times of the group's records.
    """

    records: int
    first: float | None
    last: float | None
    matched: int
    who_keys: list[str]
    who_users: list[str | None]
    who_ips: list[str | None]
    codes: list[int]
    who: list[int]
    days: list[int]
    requests: list[int]
    download: list[int]
    first_times: list[float]
    last_times: list[float]


def scan_records(records: Iterable[FastRecord], classify: Classifier, *, size: int = 4096) -> Iterator[MatchedBlock]:
    """The record-by-record way to a matched scan: classify each record and collect the ones with a code."""
    first = last = None
    count = 0
    codes: list[int] = []
    times: list[float] = []
    users: list[str | None] = []
    src_ips: list[str | None] = []
    ups: list[int | None] = []
    downs: list[int | None] = []
    for ts, user, src_ip, host, url, up, down in records:
        count += 1
        if first is None:
            first = last = ts
        elif ts < first:
            first = ts
        elif ts > last:  # type: ignore[operator]  # set with first
            last = ts
        code = classify(host, url)
        if code:
            codes.append(code)
            times.append(ts)
            users.append(user)
            src_ips.append(src_ip)
            ups.append(up)
            downs.append(down)
            if len(codes) >= size:
                yield MatchedBlock(count, first, last, codes, times, users, src_ips, ups, downs)
                first = last = None
                count = 0
                codes, times, users, src_ips, ups, downs = [], [], [], [], [], []
    if count:
        yield MatchedBlock(count, first, last, codes, times, users, src_ips, ups, downs)


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

    def scan_matched(
        self, blocks: Iterable[Sequence[str]], stats: ParseStats, classify: Classifier
    ) -> Iterator[MatchedBlock]:
        """Parse blocks of lines and keep only what ingestion aggregates: the records ``classify`` gives a code.

        Counts ``stats`` and samples malformed lines (numbered from the first line of the first block) exactly like
        :func:`parse_lines` over :meth:`parse`. This default goes record by record (through :meth:`iter_fast` when
        the format has one); a format can override it with a fused loop that skips the records of no interest
        without building them, as long as the blocks it yields aggregate to the same totals.
        """
        lines = itertools.chain.from_iterable(blocks)
        fast = self.iter_fast(lines, stats)
        records = fast if fast is not None else map(fast_record, parse_lines(self, lines, stats))
        return scan_records(records, classify)

    def scan_matched_bytes(
        self,
        blocks: Iterable[bytes],
        stats: ParseStats,
        classify: Classifier,
        *,
        url_matters: Callable[[str], bool] | None = None,
    ) -> Iterator[MatchedBlock | GroupedBlock]:
        """:meth:`scan_matched` on raw bytes: each block holds whole lines separated by ``\\n`` (no final newline),
        decoded as UTF-8 with replacement. A format may read the bytes on columns and yield :class:`GroupedBlock`;
        ``url_matters(host)`` then tells it whether ``classify`` needs the URL for that host (``None``: always).
        This default decodes each block and hands its lines to :meth:`scan_matched`.
        """
        return self.scan_matched((block.decode("utf-8", "replace").split("\n") for block in blocks), stats, classify)


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
