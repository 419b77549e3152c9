"""The vectorised Squid native scan: a block of log bytes read with numpy and pyarrow.compute, whole columns at a time.

A line is read on columns only when the column checks can prove it is read exactly as :meth:`SquidParser.parse`
reads it: pure printable ASCII (tabs, and one trailing ``\\r``, allowed) without the ``\\x1c``-``\\x1f`` separators
that ``str.split()`` splits on and Arrow does not, no leading whitespace, at least ten fields, a ``seconds.mmm`` time
in datetime's range, decimal elapsed time of at most 18 digits and size of at most 15 (``MAX_RECORD_BYTES_DIGITS``),
a ``code/status`` result with a decimal status of at most 18 digits, a request method, and a URL of one of two plain
shapes: CONNECT ``host:port`` or ``http(s)://host...`` for any other method. The checks are strictly narrower than
what ``parse`` accepts, and the values taken from such a line (epoch float, user, client, host, size) are the ones
``parse`` gives.

Every other line of a block is an *odd* line: :func:`read_columns` gives its number and leaves it to the caller,
which reads it alone with the per-line path (counting and sampling it as ``parse_lines`` would) and hands its record,
if any, back to :func:`match_columns` (:class:`LineRecords`), which takes it with the block's other matched records
in line order. An odd line costs about what a good line costs: the lines around it stay on columns.

A host is classified once per distinct host of a block, looked up in the scan's host codes (:class:`HostCodes`), not
once per distinct URL: a log where a third of the URLs are unique (``/path/<n>?q=<m>``) costs no dictionary entry
per URL. Only the lines of hosts whose URL the classifier needs (``url_matters``: the hosts of the catalogue's
URL-prefix rules, whose upload endpoints are told apart by path) have their URL looked at: by the classifier's rules
(``url_rules``) run on the column of their URLs, or else once per distinct URL of the block.

Pure: numpy and pyarrow only, no Django.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from discovery.parsers.base import (
    MAX_RECORD_BYTES_DIGITS,
    SQUID_METHOD_PATTERN,
    Classifier,
    GroupedBlock,
    UrlMatters,
    UrlRules,
)

#: the narrow shapes the vector path accepts: the time's (whole value; checked with numpy by :func:`_plain_times`),
#: then RE2 patterns for ``pyarrow.compute``
_TS_SHAPE = r"[0-9]{1,11}\.[0-9]{3}"
#: ``code/status``: what ``result.partition("/")`` and ``int(status)`` read; past 18 digits ``parse`` decides (it
#: refuses a number past what ``int()`` converts, 4300 digits)
_RESULT_PATTERN = r"^[^/]*/[0-9]{1,18}$"
#: values per line after the split: fields 0-8, then the rest of the line from field 9 on
_WIDTH = 10
#: the host of CONNECT ``host:port``, or the fast URL regex of the Python path (``squid._FAST_URL_RE``), anchored
#: as ``re.match`` anchors it; the two shapes exclude each other
_HOST_PATTERN = r"^(?:(?P<connect>[A-Za-z0-9_.-]+):[0-9]+$|[hH][tT][tT][pP][sS]?://(?P<url>[^/:?#@\[\]]+)(?:[:/?#]|$))"
#: the two shapes of :data:`_HOST_PATTERN` apart: the host of ``http(s)://host...`` and of CONNECT ``host:port``
_URL_HOST_PATTERN = r"^[hH][tT][tT][pP][sS]?://(?P<host>[^/:?#@\[\]]+)(?:[:/?#]|$)"
_CONNECT_HOST_PATTERN = r"^(?P<host>[A-Za-z0-9_.-]+):[0-9]+$"
#: the path of a URL of the plain shape, as ``catalog.matcher.path_of`` reads it: from the first ``/`` after ``://``
#: up to a ``?`` or ``#`` (none when a ``?`` or ``#`` comes first or no ``/`` follows: a CONNECT ``host:port``)
_PATH_PATTERN = r"^[hH][tT][tT][pP][sS]?://[^/?#]*(?P<path>/[^?#]*)"
#: bytes ``str.split()`` splits on and Arrow's ASCII split does not
_PYTHON_ONLY_SEPARATORS = (b"\x1c", b"\x1d", b"\x1e", b"\x1f")
_WHITESPACE = np.zeros(256, dtype=bool)
_WHITESPACE[[9, 10, 11, 12, 13, 32]] = True
_SECONDS_PER_DAY = 86400.0
#: bytes of the largest block one Arrow string array (32-bit offsets) holds; the caller cuts larger ones
MAX_BLOCK_BYTES = 2**31 - 2
#: a host whose URL the classifier needs (``url_matters``): classified per distinct URL, not per host
_URL_MATTERS = -1
#: sizes are summed in two parts of a group-by when a block's sum could overflow 64 bits
_LOW_BITS = 20
#: threads per process that read blocks ahead (shared by every scan in the process)
READ_THREADS = 2
#: blocks read ahead of the one being classified
READ_AHEAD = 2
_pool: ThreadPoolExecutor | None = None
_pool_pid = 0
_pool_lock = threading.Lock()


@dataclass(slots=True)
class Columns:
    """A block read on columns and checked, before any classification: what :func:`match_columns` needs.

    Lines are numbered from 0 in the block; ``rows`` are the lines read here (ascending), ``odd`` the others. The
    per-row arrays (``first_value``, ``urls``, ``connect``, ``host_index``, ``sizes``, ``times``) follow ``rows``."""

    lines: int  # lines in the block (the text after its last newline is a line, possibly empty)
    starts: np.ndarray  # line i is block[starts[i] : starts[i + 1] - 1] (lines + 1 values)
    odd: np.ndarray  # the lines left to the per-line path
    rows: np.ndarray
    values: pa.Array  # the split values of the lines that have ten fields, _WIDTH per line
    first_value: np.ndarray  # per row, the index in values of its first field
    urls: pa.Array  # per row, its URL
    connect: np.ndarray  # per row, whether the method is CONNECT
    hosts: pa.Array  # the rows' distinct hosts (and maybe a few hosts of lines found odd afterwards)
    host_index: np.ndarray  # per row, its host's index in hosts
    sizes: np.ndarray
    times: np.ndarray

    def odd_lines(self, data: bytes) -> Iterator[tuple[int, bytes]]:
        """The odd lines of ``data`` (the block these columns were read from): (line number in the block, bytes)."""
        starts = self.starts
        for line in self.odd.tolist():
            yield line, data[starts[line] : starts[line + 1] - 1]


@dataclass(slots=True)
class LineRecords:
    """The records the per-line path read from a block's odd lines, for :func:`match_columns` to take with the
    block's other records: how many lines it parsed and the time span of all of them, and the matched ones (a code
    from the classifier) with their line number in the block."""

    parsed: int = 0
    first: float | None = None
    last: float | None = None
    lines: list[int] = field(default_factory=list)
    codes: list[int] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    users: list[str | None] = field(default_factory=list)
    clients: list[str | None] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)

    def add(self, line: int, code: int, ts: float, user: str | None, client: str | None, size: int | None) -> None:
        """Count one parsed record (``code`` 0: of no interest, only counted)."""
        self.parsed += 1
        if self.first is None or ts < self.first:
            self.first = ts
        if self.last is None or ts > self.last:
            self.last = ts
        if code:
            self.lines.append(line)
            self.codes.append(code)
            self.times.append(ts)
            self.users.append(user)
            self.clients.append(client)
            self.sizes.append(size or 0)


def scan_block(data: bytes, hosts: HostCodes) -> GroupedBlock | None:
    """Read one block of whole lines on columns alone, classified by ``hosts``; ``None`` when any line is odd (needs
    the per-line path)."""
    columns = read_columns(data)
    if columns is None or len(columns.odd):
        return None
    return classify_columns(columns, hosts)


def _line_starts(buf: np.ndarray) -> np.ndarray:
    """Where each line of ``buf`` starts, and one past the end of the last (as if it ended with a newline)."""
    newlines = np.flatnonzero(buf == 10)
    starts = np.empty(len(newlines) + 2, dtype=np.int64)
    starts[0] = 0
    starts[1:-1] = newlines + 1
    starts[-1] = len(buf) + 1
    return starts


def _plain_lines(data: bytes, buf: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Per line, whether it can be split on columns: not empty, no leading whitespace, only ASCII bytes that Arrow's
    split and ``str.split()`` treat alike."""
    lengths = np.diff(starts) - 1
    plain = lengths > 0
    if len(buf):
        plain &= ~_WHITESPACE[buf[np.minimum(starts[:-1], len(buf) - 1)]]
    separators = any(sep in data for sep in _PYTHON_ONLY_SEPARATORS)
    if separators or not data.isascii():
        odd = buf >= 0x80
        if separators:
            odd |= (buf >= 0x1C) & (buf < 0x20)
        plain[np.searchsorted(starts, np.flatnonzero(odd), side="right") - 1] = False
    return plain


def _url_hosts(url: pa.StringArray, connect: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    """The host of each URL read with the plain shape its method calls for (:data:`_HOST_PATTERN`: CONNECT
    ``host:port``, else ``http(s)://host`` followed by ``:/?#`` or the end), lower-cased and without trailing dots,
    as ``parse`` reads it: the distinct hosts, and per URL its host's index among them (-1: not of the shape, or no
    host left). Each shape's own expression runs on the URLs of its methods (a quarter of the time of the two
    shapes' alternation, which RE2 cannot run in one pass)."""
    index = np.full(len(url), -1, dtype=np.int64)
    tunnels = np.flatnonzero(connect)
    others = np.flatnonzero(~connect)
    found = pa.concat_arrays(
        [
            pc.struct_field(pc.extract_regex(url.take(pa.array(others)), _URL_HOST_PATTERN), "host"),
            pc.struct_field(pc.extract_regex(url.take(pa.array(tunnels)), _CONNECT_HOST_PATTERN), "host"),
        ]
    )
    names = pc.utf8_rtrim(pc.ascii_lower(found), characters=".").dictionary_encode()
    named = pc.fill_null(names.indices, -1).to_numpy().astype(np.int64)
    empty = np.flatnonzero(pc.equal(names.dictionary, "").to_numpy(zero_copy_only=False))
    if len(empty):  # no host left once the dots are trimmed
        named[named == empty[0]] = -1
    index[others] = named[: len(others)]
    index[tunnels] = named[len(others) :]
    return names.dictionary, index


def _matches(column: pa.Array, pattern: str) -> np.ndarray:
    """Per value, whether it matches ``pattern``: the regex runs once per distinct value."""
    encoded = column.dictionary_encode()
    matched = pc.match_substring_regex(encoded.dictionary, pattern).to_numpy(zero_copy_only=False)
    return matched[encoded.indices.to_numpy()]


def read_columns(data: bytes) -> Columns | None:
    """The first part of :func:`scan_block`: split, check and convert the block's columns, and find its odd lines
    (``None`` for a block past :data:`MAX_BLOCK_BYTES`, which the caller reads line by line). Calls nothing back and
    shares nothing, so blocks may be read on several threads at once: nearly all of it is Arrow and numpy work,
    which runs without the GIL."""
    if len(data) > MAX_BLOCK_BYTES:
        return None
    buf = np.frombuffer(data, dtype=np.uint8)
    starts = _line_starts(buf)
    count = len(starts) - 1
    rows = np.flatnonzero(_plain_lines(data, buf, starts))
    # each line with its "\n" (read by Arrow's split as trailing whitespace, as str.split() reads a "\r"), as binary:
    # the odd lines, which may not be UTF-8, are dropped before anything reads the bytes as text
    offsets = starts.astype(np.int32)
    offsets[-1] = len(buf)
    lines = pa.Array.from_buffers(pa.binary(), count, [None, pa.py_buffer(offsets), pa.py_buffer(data)])
    if len(rows) < count:
        lines = lines.take(pa.array(rows))
    # fields 0-8 split off, the rest of the line (from field 9, with its "\n", if any) as a tenth value: a line has
    # ten fields or more exactly when it gives ten values and the tenth is not empty (a ninth field followed by
    # whitespace only gives an empty tenth; by none, nine values)
    split = pc.ascii_split_whitespace(lines.view(pa.string()), max_splits=_WIDTH - 1)
    value_offsets = split.offsets.to_numpy()
    values = split.flatten()
    first_value = value_offsets[:-1]
    ten = np.diff(value_offsets) == _WIDTH
    if not ten.all():
        rows, first_value = rows[ten], first_value[ten]

    def column(k: int) -> pa.Array:
        return values.take(pa.array(first_value + k))

    ts_text, elapsed, result, size, method, url, rest = (column(k) for k in (0, 1, 3, 4, 5, 6, _WIDTH - 1))
    elapsed_length = pc.binary_length(elapsed).to_numpy()
    size_length = pc.binary_length(size).to_numpy()
    ok = (
        (pc.binary_length(rest).to_numpy() > 0)
        & (elapsed_length <= 18)
        & (size_length <= MAX_RECORD_BYTES_DIGITS)
        & pc.ascii_is_decimal(elapsed).to_numpy(zero_copy_only=False)
        & pc.ascii_is_decimal(size).to_numpy(zero_copy_only=False)
        & _plain_times(ts_text)
        & _matches(result, _RESULT_PATTERN)
        & _matches(method, SQUID_METHOD_PATTERN)
    )
    connect = pc.equal(method, "CONNECT").to_numpy(zero_copy_only=False)
    hosts, host_index = _url_hosts(url, connect)
    ok &= host_index >= 0
    if not ok.all():
        keep = pa.array(ok)
        rows, first_value, connect, host_index = (a[ok] for a in (rows, first_value, connect, host_index))
        ts_text, size, url = ts_text.filter(keep), size.filter(keep), url.filter(keep)
    read = np.zeros(count, dtype=bool)
    read[rows] = True
    return Columns(
        lines=count,
        starts=starts,
        odd=np.flatnonzero(~read),
        rows=rows,
        values=values,
        first_value=first_value,
        urls=url,
        connect=connect,
        hosts=hosts,
        host_index=host_index,
        sizes=pc.cast(size, pa.int64()).to_numpy(zero_copy_only=False),
        times=pc.cast(ts_text, pa.float64()).to_numpy(zero_copy_only=False),
    )


@dataclass(slots=True)
class MatchedRows:
    """One block's records, classified: how many were parsed and their time span, and the matched ones in line order
    (code, time, size, client, user), ready to be grouped (:func:`group`) alone or with the next blocks'."""

    records: int
    first: float | None
    last: float | None
    codes: np.ndarray
    times: np.ndarray
    sizes: np.ndarray
    clients: pa.Array
    users: pa.Array


def classify_columns(columns: Columns, hosts: HostCodes, odd: LineRecords | None = None) -> GroupedBlock:
    """The second part of :func:`scan_block`: :func:`match_columns` and :func:`group` for one block."""
    return group([match_columns(columns, hosts, odd)])


def match_columns(columns: Columns, hosts: HostCodes, odd: LineRecords | None = None) -> MatchedRows:
    """Classify a block read on columns: its distinct hosts (looked up in ``hosts``, which calls the classifier for
    those it has not seen; the URLs of the hosts whose URL matters, once per distinct URL of the block), and take
    its matched records, with those the per-line path read from its odd lines (``odd``), in line order. Blocks go
    through it in line order, on one thread."""
    codes = hosts.codes(columns.hosts)[columns.host_index]
    by_url = np.flatnonzero(codes == _URL_MATTERS)
    if len(by_url):
        # per distinct (URL, CONNECT or not) of these rows, whose host is the one that shape of the URL gives
        encoded = columns.urls.take(pa.array(by_url)).dictionary_encode()
        url_index = encoded.indices.to_numpy().astype(np.int64)
        keys, first_of_key, inverse = np.unique(
            url_index * 2 + columns.connect[by_url], return_index=True, return_inverse=True
        )
        key_urls = encoded.dictionary.take(pa.array(keys // 2))
        key_hosts = columns.host_index[by_url[first_of_key]]
        key_codes = np.empty(len(keys), dtype=np.int64)
        for host in np.unique(key_hosts).tolist():
            of_host = np.flatnonzero(key_hosts == host)
            key_codes[of_host] = hosts.url_codes(columns.hosts[host].as_py(), key_urls.take(pa.array(of_host)))
        codes[by_url] = key_codes[inverse.reshape(-1)]
    times = columns.times
    records = len(times)
    span = [float(times.min()), float(times.max())] if records else []
    if odd is not None and odd.first is not None and odd.last is not None:
        records += odd.parsed
        span += [odd.first, odd.last]
    matched = np.flatnonzero(codes > 0)
    values, first_value = columns.values, columns.first_value
    client, user = (values.take(pa.array(first_value[matched] + k)) for k in (2, 7))
    m_codes, m_times, m_sizes = codes[matched], times[matched], columns.sizes[matched]
    if odd is not None and odd.lines:
        order = pa.array(np.argsort(np.concatenate([columns.rows[matched], odd.lines]), kind="stable"))
        m_codes = np.concatenate([m_codes, odd.codes])[order]
        m_times = np.concatenate([m_times, odd.times])[order]
        m_sizes = np.concatenate([m_sizes, np.array(odd.sizes, dtype=np.int64)])[order]
        odd_users = pa.array(["-" if u is None else u for u in odd.users], pa.string())
        client = pa.concat_arrays([client, pa.array(odd.clients, pa.string())]).take(order)
        user = pa.concat_arrays([user, odd_users]).take(order)
    first, last = (min(span), max(span)) if span else (None, None)
    return MatchedRows(records, first, last, m_codes, m_times, m_sizes, client, user)


def group(parts: Sequence[MatchedRows]) -> GroupedBlock:
    """The records of consecutive blocks (in line order) as one :class:`GroupedBlock`: one group-by for all of them,
    so that ingestion folds a group per (code, subject key, day) of the lot rather than of every block."""
    if len(parts) == 1:
        one = parts[0]
        return _group(one.records, one.first, one.last, one.codes, one.times, one.sizes, one.clients, one.users)
    firsts = [p.first for p in parts if p.first is not None]
    lasts = [p.last for p in parts if p.last is not None]
    return _group(
        sum(p.records for p in parts),
        min(firsts) if firsts else None,
        max(lasts) if lasts else None,
        np.concatenate([p.codes for p in parts]),
        np.concatenate([p.times for p in parts]),
        np.concatenate([p.sizes for p in parts]),
        pa.concat_arrays([p.clients for p in parts]),
        pa.concat_arrays([p.users for p in parts]),
    )


class HostCodes:
    """How one scan classifies hosts, and what it has learnt: the code of every host it has met (``classify(host,
    None)``, or :data:`_URL_MATTERS` for a host whose URL matters), kept as an Arrow array of the hosts beside a
    numpy array of their codes, so that a block's distinct hosts are looked up in one ``index_in`` and the
    classifier is called only for hosts not seen before (at most ``limit`` are kept; then it starts afresh).

    A host whose URL matters (``url_matters(host)``; every host when ``url_matters`` is ``None``) has its URLs
    classified by :meth:`url_codes`: by ``url_rules(host)`` run on the paths of a column of URLs when the classifier
    gives them, else by ``classify(host, url)`` per URL."""

    def __init__(
        self,
        classify: Classifier,
        url_matters: UrlMatters | None = None,
        url_rules: UrlRules | None = None,
        *,
        limit: int = 100_000,
    ) -> None:
        self.classify = classify
        self.url_matters = url_matters
        self.url_rules = url_rules
        self.limit = limit
        self.known: pa.Array = pa.array([], pa.string())
        self.known_codes = np.empty(0, dtype=np.int64)
        #: per host whose URL matters: (its code without a URL, its rules; None: classify each URL)
        self._rules: dict[str, tuple[int, list[tuple[str, int]] | None]] = {}

    def codes(self, hosts: pa.Array) -> np.ndarray:
        """The code of each of ``hosts`` (distinct, lower-case), :data:`_URL_MATTERS` for a host whose URL matters."""
        if len(self.known) > self.limit:
            self.known, self.known_codes = pa.array([], pa.string()), np.empty(0, dtype=np.int64)
        found = pc.fill_null(pc.index_in(hosts, value_set=self.known), -1).to_numpy().astype(np.int64)
        missing = np.flatnonzero(found < 0)
        if len(missing):
            new = hosts.take(pa.array(missing))
            classify, url_matters = self.classify, self.url_matters
            new_codes = [
                _URL_MATTERS if url_matters is None or url_matters(host) else classify(host, None)
                for host in new.to_pylist()
            ]
            found[missing] = np.arange(len(self.known), len(self.known) + len(missing))
            self.known = pa.concat_arrays([self.known, new])
            self.known_codes = np.concatenate([self.known_codes, np.array(new_codes, dtype=np.int64)])
        return self.known_codes[found]

    def url_codes(self, host: str, urls: pa.Array) -> np.ndarray:
        """The codes of ``urls`` (each of the plain shape for its method, with host ``host``), for a host whose URL
        matters: the first of the host's rules matching the URL's path, else the host's own code."""
        known = self._rules.get(host)
        if known is None:
            known = self._rules[host] = self._rules_of(host)
        default, rules = known
        if rules is None:
            return np.array([self.classify(host, url) for url in urls.to_pylist()], dtype=np.int64)
        codes = np.full(len(urls), default, dtype=np.int64)
        if not rules:
            return codes
        paths = pc.struct_field(pc.extract_regex(urls, _PATH_PATTERN), "path")  # null: no path, no rule applies
        decided = np.zeros(len(urls), dtype=bool)
        for pattern, code in rules:
            hit = pc.fill_null(pc.match_substring_regex(paths, pattern), False).to_numpy(zero_copy_only=False)
            codes[hit & ~decided] = code
            decided |= hit
        return codes

    def _rules_of(self, host: str) -> tuple[int, list[tuple[str, int]] | None]:
        """The code of ``host`` alone and its rules as anchored RE2 expressions (None: classify each URL, when the
        classifier gives no rules or RE2 does not read one of them)."""
        default = self.classify(host, None)
        if self.url_rules is None or self.url_matters is None:
            return default, None
        rules = [(f"^(?:{pattern})", code) for pattern, code in self.url_rules(host)]
        try:
            for pattern, _ in rules:
                pc.match_substring_regex(pa.array([""]), pattern)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return default, None
        return default, rules


def _read_pool() -> ThreadPoolExecutor:
    """The process's read-ahead threads, started on first use (a forked worker process starts its own)."""
    global _pool, _pool_pid
    with _pool_lock:
        if _pool is None or _pool_pid != os.getpid():
            _pool, _pool_pid = ThreadPoolExecutor(READ_THREADS, thread_name_prefix="scan-read"), os.getpid()
        return _pool


def read_ahead(blocks: Iterable[bytes]) -> Iterator[tuple[bytes, Columns | None]]:
    """Each block with its :func:`read_columns`, in order, while the next :data:`READ_AHEAD` blocks are read on the
    read-ahead threads: the classification of a block (Python, in line order) overlaps the column reading of the
    next ones (Arrow and numpy, without the GIL), so one scan keeps two cores busy."""
    pool = _read_pool()
    pending: deque[tuple[bytes, Future[Columns | None]]] = deque()
    try:
        for block in blocks:
            pending.append((block, pool.submit(read_columns, block)))
            if len(pending) > READ_AHEAD:
                ready, future = pending.popleft()
                yield ready, future.result()
        while pending:
            ready, future = pending.popleft()
            yield ready, future.result()
    finally:
        for _, future in pending:  # an abandoned scan: drop the reads not yet started
            future.cancel()


def _plain_times(ts_text: pa.StringArray) -> np.ndarray:
    """Per value, whether it has the shape :data:`_TS_SHAPE` (one to eleven digits, a dot, three digits), read on
    the array's buffers with numpy (a quarter of the regex's time): a length of 5 to 15, one non-digit byte, and that
    byte a dot four from the end."""
    if not len(ts_text):
        return np.zeros(0, dtype=bool)
    offsets = np.frombuffer(ts_text.buffers()[1], dtype=np.int32, count=len(ts_text) + 1, offset=4 * ts_text.offset)
    data = np.frombuffer(ts_text.buffers()[2] or b"", dtype=np.uint8)
    lengths = np.diff(offsets)
    non_digits = np.zeros(len(data) + 1, dtype=np.int32)
    np.cumsum((data - ord("0")) > 9, out=non_digits[1:])  # uint8: bytes below "0" wrap round to above 9
    starts, ends = offsets[:-1], offsets[1:]
    shaped = (lengths >= 5) & (lengths <= 15) & (non_digits[ends] - non_digits[starts] == 1)
    if not len(data):
        return shaped
    return shaped & (data[np.clip(ends - 4, 0, len(data) - 1)] == ord("."))


def _group(
    records: int,
    first: float | None,
    last: float | None,
    codes: np.ndarray,
    times: np.ndarray,
    size: np.ndarray,
    client: pa.Array,
    user: pa.Array,
) -> GroupedBlock:
    """A block of ``records`` records whose matched ones (in line order: their codes, times, sizes, clients and users)
    are summed per (code, subject key, day) by one Arrow group-by (the subject key of
    :func:`~discovery.parsers.base.subject_key`: user, else ``@`` + client)."""
    if not len(codes):
        return GroupedBlock(records, first, last, 0, [], [], [], [], [], [], [], [], [], [])
    no_user = pc.equal(user, "-")
    who = pc.if_else(no_user, pc.binary_join_element_wise("@", client, ""), user)
    who_encoded = who.dictionary_encode()
    who_index = who_encoded.indices.to_numpy(zero_copy_only=False)
    _, first_of_who = np.unique(who_index, return_index=True)
    first_take = pa.array(first_of_who)
    who_users = [None if u == "-" else u for u in pc.take(user, first_take).to_pylist()]
    who_ips = pc.take(client, first_take).to_pylist()
    columns = {
        "code": codes,
        "who": who_index,
        "day": np.floor(times / _SECONDS_PER_DAY).astype(np.int64),
        "ts": times,
    }
    # each size has at most 15 digits, but enough of them could sum past 64 bits: then in two parts, added in Python
    split = int(size.max()) * len(size) >= 2**63
    if split:
        columns["high"], columns["low"] = size >> _LOW_BITS, size & ((1 << _LOW_BITS) - 1)
        sums = [("high", "sum"), ("low", "sum")]
    else:
        columns["size"] = size
        sums = [("size", "sum")]
    grouped = (
        pa.table(columns)
        .group_by(["code", "who", "day"], use_threads=False)
        .aggregate([("ts", "count"), *sums, ("ts", "min"), ("ts", "max")])
    )
    if split:
        low = grouped["low_sum"].to_pylist()
        download = [(high << _LOW_BITS) + lo for high, lo in zip(grouped["high_sum"].to_pylist(), low, strict=True)]
    else:
        download = grouped["size_sum"].to_pylist()
    return GroupedBlock(
        records,
        first,
        last,
        len(codes),
        who_keys=who_encoded.dictionary.to_pylist(),
        who_users=who_users,
        who_ips=who_ips,
        codes=grouped["code"].to_pylist(),
        who=grouped["who"].to_pylist(),
        days=grouped["day"].to_pylist(),
        requests=grouped["ts_count"].to_pylist(),
        download=download,
        first_times=grouped["ts_min"].to_pylist(),
        last_times=grouped["ts_max"].to_pylist(),
    )
