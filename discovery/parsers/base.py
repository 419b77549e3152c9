"""The contract every log-format parser implements. Pure Python: no Django imports.

A parser turns one line of a proxy, firewall or network-sensor log into a :class:`ProxyEvent`.
Parsers are instantiated once per input stream because some formats carry state in header lines
(W3C/ELFF ``#Fields:``, Zeek ``#fields``); ``parse`` may therefore return ``None`` for a line that
is a header or comment, and raises :class:`MalformedLine` for a line it cannot read.

Every byte sequence is survivable: :func:`parse_one` is the one way the paths that count lines call a parser, and
it turns any error a parser meets on a bad line into :class:`MalformedLine` and checks the event it returns
(:func:`check_event`: value types, a timestamp inside :data:`MIN_TIMESTAMP`..:data:`MAX_TIMESTAMP`, byte counts in
0..:data:`MAX_RECORD_BYTES`); :func:`malformed_sample` makes what a sample stores safe for PostgreSQL ``jsonb``.
"""

from __future__ import annotations

import csv
import enum
import itertools
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any, ClassVar

#: the largest byte count one record may carry: a single request or flow of a petabyte is a corrupt value, and the
#: bound keeps a chunk's sums of them far inside a 64-bit integer (PostgreSQL ``bigint``). Fifteen decimal digits
#: always fit, so the fast paths check a length instead of a value.
MAX_RECORD_BYTES = 10**15 - 1
MAX_RECORD_BYTES_DIGITS = 15
#: a request method as Squid logs it (GET, CONNECT, PROPFIND, NONE): what ``SquidParser.parse`` accepts, and the
#: pattern the vector scan (``squid_vector``) checks whole columns against, so that both read the same lines
SQUID_METHOD_PATTERN = r"^[A-Za-z][A-Za-z_-]*$"
#: the time span an event may fall in: datetime's range less a day at each end, so that the time can still be shown
#: in any time zone (a UTC offset is under a day)
MIN_TIMESTAMP = datetime(1, 1, 2, tzinfo=UTC)
MAX_TIMESTAMP = datetime(9999, 12, 31, tzinfo=UTC)
#: the same span in epoch seconds, for the fast paths: a float ``ts`` with ``MIN_EPOCH <= ts < MAX_EPOCH`` converts
#: (rounded to microseconds) to a datetime inside ``MIN_TIMESTAMP..MAX_TIMESTAMP``
MIN_EPOCH = MIN_TIMESTAMP.timestamp()
MAX_EPOCH = MAX_TIMESTAMP.timestamp()
#: characters of a malformed line, and of its error message, kept in a sample
SAMPLE_CHARS = 500
#: what a parser may raise on a bad line besides :class:`MalformedLine` (a value it cannot convert, a field that is
#: missing or of the wrong JSON type, a CSV quirk, nesting too deep for ``json``): :func:`parse_one` counts all of
#: them as malformed lines rather than letting one line end the chunk
LINE_ERRORS: tuple[type[BaseException], ...] = (
    ValueError,
    ArithmeticError,
    LookupError,
    TypeError,
    AttributeError,
    csv.Error,
    RecursionError,
)
#: what PostgreSQL cannot store in ``jsonb``/``text``: NUL, and lone surrogates (JSON ``"\ud800"``) it rejects too
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


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
#: ``url_matters(host)``: whether ``classify`` looks at the URL of ``host`` at all (else only the host counts)
UrlMatters = Callable[[str], bool]
#: ``url_rules(host)``, for a host whose URL matters: the rules ``classify`` applies to the path of its URLs
#: (``catalog.matcher.path_of``), in order, as (regular expression matched from the start of the path, code); the
#: first that matches gives the code, and a URL that none matches (or without a path) has ``classify(host, None)``.
#: The expressions use only what Python's ``re`` and RE2 read alike (literals, ``[^/]+``), so that a scan can run
#: them on whole columns
UrlRules = Callable[[str], Sequence[tuple[str, int]]]


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


def storable_text(text: str, limit: int = SAMPLE_CHARS) -> str:
    """``text`` cut to ``limit`` characters, with NUL and lone surrogates replaced by U+FFFD: safe in a PostgreSQL
    ``jsonb`` or ``text`` value (which rejects both) and still showing where the odd character was."""
    text = text[:limit]
    return text if text.isascii() and "\x00" not in text else _UNSTORABLE.sub("\ufffd", text)


def malformed_sample(line: int, error: object, text: str) -> dict[str, Any]:
    """The stored sample of a malformed line (:attr:`ParseStats.malformed_samples`): its number, the error and the
    start of the line, both made storable by :func:`storable_text`. The one place samples are built."""
    return {"line": line, "error": storable_text(str(error)), "text": storable_text(text)}


def _encodable(value: str) -> bool:
    """Whether ``value`` encodes to UTF-8 (no lone surrogate, which only JSON escapes can make)."""
    return value.isascii() or _SURROGATE.search(value) is None


def check_event(event: ProxyEvent) -> ProxyEvent:
    """``event`` if ingestion can aggregate and store what it carries, else :class:`MalformedLine` saying why: a
    non-empty text host, text (or ``None``) user, client and URL that encode to UTF-8 (no lone surrogate), an
    aware timestamp inside :data:`MIN_TIMESTAMP`..:data:`MAX_TIMESTAMP`, and byte counts that are integers in
    0..:data:`MAX_RECORD_BYTES` (or ``None``). Parsers of JSON meet values of
    any type; a line of another format can carry any number."""
    host = event.host
    if type(host) is not str or not host or not _encodable(host):
        raise MalformedLine(f"bad destination host: {host!r}")
    for name in ("user", "src_ip", "url"):
        value = getattr(event, name)
        if value is not None and (type(value) is not str or not _encodable(value)):
            raise MalformedLine(f"bad {name} value: {value!r}")
    stamp = event.timestamp
    if type(stamp) is not datetime or stamp.tzinfo is None or not MIN_TIMESTAMP <= stamp <= MAX_TIMESTAMP:
        raise MalformedLine(f"timestamp out of range: {stamp!r}")
    for name in ("upload_bytes", "download_bytes"):
        value = getattr(event, name)
        if value is not None and (type(value) is not int or not 0 <= value <= MAX_RECORD_BYTES):
            raise MalformedLine(f"bad byte count {name}: {value!r}")
    return event


def parse_one(parser: LogParser, line: str) -> ProxyEvent | None:
    """``parser.parse(line)`` checked by :func:`check_event`; any error of :data:`LINE_ERRORS` the parser meets on
    the line is raised as :class:`MalformedLine` (naming it), so that one bad line never ends a stream. Every path
    that counts lines (``parse_lines``, the fast paths' fallbacks, the sniffers) calls parsers through this."""
    try:
        event = parser.parse(line)
    except MalformedLine:
        raise
    except LINE_ERRORS as exc:
        raise MalformedLine(f"unreadable line ({type(exc).__name__}: {exc})") from None
    return None if event is None else check_event(event)


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
        url_matters: UrlMatters | None = None,
        url_rules: UrlRules | None = None,
    ) -> Iterator[MatchedBlock | GroupedBlock]:
        """:meth:`scan_matched` on raw bytes: each block holds whole lines separated by ``\\n`` (no final newline),
        decoded as UTF-8 with replacement. A format may read the bytes on columns and yield :class:`GroupedBlock`;
        ``url_matters(host)`` then tells it whether ``classify`` needs the URL for that host (``None``: always), and
        ``url_rules(host)`` how ``classify`` reads those URLs (:data:`UrlRules`; ``None``: it calls ``classify``).
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
            event = parse_one(parser, line)
        except MalformedLine as exc:
            stats.records_malformed += 1
            if len(stats.malformed_samples) < ParseStats.MAX_SAMPLES:
                stats.malformed_samples.append(malformed_sample(lineno, exc, line))
            continue
        if event is None:
            stats.records_skipped += 1
            continue
        stats.records_parsed += 1
        yield event
