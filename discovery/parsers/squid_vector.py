"""The vectorised Squid native scan: a block of log bytes read with numpy and pyarrow.compute, whole columns at a time.

Only lines that the column checks can prove are read exactly as :meth:`SquidParser.parse` reads them are handled
here: pure printable ASCII (tabs, and one trailing ``\\r``, allowed) without the ``\\x1c``-``\\x1f`` separators that
``str.split()`` splits on and Arrow does not, no leading whitespace, at least ten fields, a ``seconds.mmm`` time in
datetime's range, decimal elapsed time of at most 18 digits and size of at most 15 (``MAX_RECORD_BYTES_DIGITS``), a
``code/status`` result with a decimal status, and a URL of one of two plain shapes: CONNECT ``host:port`` or
``http(s)://host...`` for any other method. The checks are strictly narrower than what ``parse`` accepts, and the
values taken from such a line (epoch float, user, client, host, size) are the ones ``parse`` gives.
:func:`scan_block` returns ``None`` when any line of the block falls outside them; the caller then reads the block
with the per-line path, which decides (and counts, and samples) every line as before.

Pure: numpy and pyarrow only, no Django.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from discovery.parsers.base import MAX_RECORD_BYTES_DIGITS, SQUID_METHOD_PATTERN, GroupedBlock

#: the narrow shapes the vector path accepts: the time's (whole value; checked with numpy by :func:`_plain_times`),
#: then RE2 patterns for ``pyarrow.compute``
_TS_SHAPE = r"[0-9]{1,11}\.[0-9]{3}"
_RESULT_PATTERN = r"^[^/]*/[0-9]+$"
#: values per line after the split: fields 0-8, then the rest of the line from field 9 on
_WIDTH = 10
#: the host of CONNECT ``host:port``, or the fast URL regex of the Python path (``squid._FAST_URL_RE``), anchored
#: as ``re.match`` anchors it; the two shapes exclude each other
_HOST_PATTERN = r"^(?:(?P<connect>[A-Za-z0-9_.-]+):[0-9]+$|[hH][tT][tT][pP][sS]?://(?P<url>[^/:?#@\[\]]+)(?:[:/?#]|$))"
#: bytes ``str.split()`` splits on and Arrow's ASCII split does not
_PYTHON_ONLY_SEPARATORS = (b"\x1c", b"\x1d", b"\x1e", b"\x1f")
_WHITESPACE = np.zeros(256, dtype=bool)
_WHITESPACE[[9, 10, 11, 12, 13, 32]] = True
_SECONDS_PER_DAY = 86400.0
#: threads per process that read blocks ahead (shared by every scan in the process)
READ_THREADS = 2
#: blocks read ahead of the one being classified
READ_AHEAD = 2
_pool: ThreadPoolExecutor | None = None
_pool_pid = 0
_pool_lock = threading.Lock()


def _lines(data: bytes) -> pa.StringArray | None:
    """The lines of ``data`` (separated by ``\\n``, the last one without it) as one Arrow array over the same bytes,
    each but the last with its ``\\n`` (which Arrow's split reads as trailing whitespace, as ``str.split()`` does a
    ``\\r``).
    ``None`` when a line is empty, starts with whitespace, or has a byte on which the two splits could differ."""
    if not data or not data.isascii() or any(sep in data for sep in _PYTHON_ONLY_SEPARATORS):
        return None
    buf = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(buf == 10)
    if data[0] == 10 or data[-1] == 10 or np.any(np.diff(newlines) == 1):
        return None  # an empty line: the per-line path counts it as skipped
    if len(buf) >= 2**31 - 1:
        return None
    offsets = np.empty(len(newlines) + 2, dtype=np.int32)
    offsets[0] = 0
    offsets[1:-1] = newlines + 1
    offsets[-1] = len(buf)
    if np.any(_WHITESPACE[buf[offsets[:-1]]]):
        return None  # leading whitespace: Arrow's split gives an empty first field
    return pa.Array.from_buffers(pa.string(), len(offsets) - 1, [None, pa.py_buffer(offsets), pa.py_buffer(data)])


@dataclass(slots=True)
class Columns:
    """A block read on columns and checked, before any classification: what :func:`classify_columns` needs."""

    values: pa.Array  # the split values, _WIDTH per line
    urls: pa.Array  # the block's distinct URLs
    hosts: pa.StructArray  # per distinct URL, its host read as CONNECT host:port ("connect") or as a URL ("url")
    url_index: np.ndarray  # per line, its URL's index in urls
    connect: np.ndarray  # per line, whether the method is CONNECT
    sizes: np.ndarray
    times: np.ndarray


def scan_block(
    data: bytes,
    classify: Callable[[str, str | None], int],
    url_matters: Callable[[str], bool] | None,
    codes_cache: dict[str, int],
) -> GroupedBlock | None:
    """Read one block of whole lines on columns; ``None`` when any line needs the per-line path.

    ``classify(host, url)`` is called once per distinct host not in ``codes_cache`` (which it fills), and once per
    distinct URL of the hosts for which ``url_matters(host)`` (every host when ``url_matters`` is ``None``).
    """
    columns = read_columns(data)
    return None if columns is None else classify_columns(columns, classify, url_matters, codes_cache)


def read_columns(data: bytes) -> Columns | None:
    """The first part of :func:`scan_block`: split, check and convert the block's columns (``None``: a line needs
    the per-line path). Calls nothing back and shares nothing, so blocks may be read on several threads at once:
    nearly all of it is Arrow and numpy work, which runs without the GIL."""
    lines = _lines(data)
    if lines is None:
        return None
    # fields 0-8 split off, the rest of the line (from field 9, with its "\n", if any) as a tenth value: a line has
    # ten fields or more exactly when it gives ten values and the tenth is not empty (a ninth field followed by
    # whitespace only gives an empty tenth; by none, nine values)
    split = pc.ascii_split_whitespace(lines, max_splits=_WIDTH - 1)
    if not np.all(np.diff(split.offsets.to_numpy()) == _WIDTH):
        return None  # fewer than nine fields
    values = split.flatten()
    count = len(lines)
    lengths = pc.binary_length(values).to_numpy()

    def column(k: int) -> pa.Array:
        return values.take(pa.array(np.arange(k, _WIDTH * count, _WIDTH)))

    ts_text, elapsed, result, size, method, url = (column(k) for k in (0, 1, 3, 4, 5, 6))
    if (
        lengths[_WIDTH - 1 :: _WIDTH].min() == 0
        or lengths[1::_WIDTH].max() > 18
        or lengths[4::_WIDTH].max() > MAX_RECORD_BYTES_DIGITS
        or not pc.all(pc.ascii_is_decimal(elapsed)).as_py()
        or not pc.all(pc.ascii_is_decimal(size)).as_py()
        or not _plain_times(ts_text)
        or not pc.all(pc.match_substring_regex(result.dictionary_encode().dictionary, _RESULT_PATTERN)).as_py()
        or not pc.all(pc.match_substring_regex(method.dictionary_encode().dictionary, SQUID_METHOD_PATTERN)).as_py()
    ):
        return None
    sizes = pc.cast(size, pa.int64()).to_numpy(zero_copy_only=False)
    if int(sizes.max()) * len(sizes) >= 2**63:
        return None  # a sum could overflow 64 bits: Python's integers cannot
    # the host, and so the code, of a line is a function of its URL and whether the method is CONNECT: both are
    # worked out once per distinct URL of the block
    encoded = url.dictionary_encode()
    return Columns(
        values=values,
        urls=encoded.dictionary,
        hosts=pc.extract_regex(encoded.dictionary, _HOST_PATTERN),
        url_index=encoded.indices.to_numpy(),
        connect=pc.equal(method, "CONNECT").to_numpy(zero_copy_only=False),
        sizes=sizes,
        times=pc.cast(ts_text, pa.float64()).to_numpy(zero_copy_only=False),
    )


def classify_columns(
    columns: Columns,
    classify: Callable[[str, str | None], int],
    url_matters: Callable[[str], bool] | None,
    codes_cache: dict[str, int],
) -> GroupedBlock | None:
    """The second part of :func:`scan_block`: classify the block's distinct hosts (``classify()`` once per distinct
    host, per distinct URL for the hosts that url rules cover) and group its matched lines. Blocks go through it
    in line order, on one thread."""
    urls, hosts = columns.urls, columns.hosts
    connect_codes = _codes(pc.struct_field(hosts, "connect"), urls, classify, url_matters, codes_cache)
    url_codes = _codes(pc.struct_field(hosts, "url"), urls, classify, url_matters, codes_cache)
    url_index = columns.url_index
    codes = np.where(columns.connect, connect_codes[url_index], url_codes[url_index])
    if codes.min() < 0:
        return None  # a URL not of the plain shape its method calls for, or without a host
    times = columns.times
    first, last = float(times.min()), float(times.max())
    rows = np.flatnonzero(codes > 0)
    client, user = (columns.values.take(pa.array(rows * _WIDTH + k)) for k in (2, 7))
    return _group(len(times), first, last, rows, codes, times, client, user, columns.sizes[rows])


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


def _plain_times(ts_text: pa.StringArray) -> bool:
    """Whether every value has the shape :data:`_TS_SHAPE` (one to eleven digits, a dot, three digits), read
    on the array's buffers with numpy (a quarter of the regex's time): a length of 5 to 15, one non-digit byte per
    value, and that byte a dot four from the end."""
    offsets = np.frombuffer(ts_text.buffers()[1], dtype=np.int32, count=len(ts_text) + 1, offset=4 * ts_text.offset)
    data = np.frombuffer(ts_text.buffers()[2], dtype=np.uint8)
    lengths = np.diff(offsets)
    if not len(lengths) or lengths.min() < 5 or lengths.max() > 15:
        return False
    non_digits = np.zeros(len(data) + 1, dtype=np.int32)
    np.cumsum((data - ord("0")) > 9, out=non_digits[1:])  # uint8: bytes below "0" wrap round to above 9
    starts, ends = offsets[:-1], offsets[1:]
    return bool(np.all(non_digits[ends] - non_digits[starts] == 1) and np.all(data[ends - 4] == ord(".")))


def _codes(
    raw_hosts: pa.Array,
    urls: pa.Array,
    classify: Callable[[str, str | None], int],
    url_matters: Callable[[str], bool] | None,
    codes_cache: dict[str, int],
) -> np.ndarray:
    """The code of each distinct URL read with one of the two shapes (-1: not of that shape, or no host left)."""
    hosts = pc.utf8_rtrim(pc.ascii_lower(raw_hosts), characters=".").to_pylist()
    codes = np.full(len(hosts), -1, dtype=np.int64)
    for i, host in enumerate(hosts):
        if not host:
            continue  # None (not of the shape) or empty (parse() finds no host)
        if url_matters is None or url_matters(host):
            codes[i] = classify(host, urls[i].as_py())
            continue
        code = codes_cache.get(host)
        if code is None:
            code = codes_cache[host] = classify(host, None)
        codes[i] = code
    return codes


def _group(
    records: int,
    first: float,
    last: float,
    rows: np.ndarray,
    codes: np.ndarray,
    times: np.ndarray,
    client: pa.Array,
    user: pa.Array,
    size: np.ndarray,
) -> GroupedBlock:
    """The block of ``records`` lines with the matched ``rows`` (their ``client``, ``user`` and ``size`` given) summed
    per (code, subject key, day) by one Arrow group-by (the subject key of :func:`~discovery.parsers.base.subject_key`:
    user, else ``@`` + client)."""
    if not len(rows):
        return GroupedBlock(records, first, last, 0, [], [], [], [], [], [], [], [], [], [])
    m_client, m_user = client, user
    no_user = pc.equal(m_user, "-")
    who = pc.if_else(no_user, pc.binary_join_element_wise("@", m_client, ""), m_user)
    who_encoded = who.dictionary_encode()
    who_index = who_encoded.indices.to_numpy(zero_copy_only=False)
    _, first_of_who = np.unique(who_index, return_index=True)
    first_take = pa.array(first_of_who)
    who_users = [None if u == "-" else u for u in pc.take(m_user, first_take).to_pylist()]
    who_ips = pc.take(m_client, first_take).to_pylist()
    m_times = times[rows]
    table = pa.table(
        {
            "code": codes[rows],
            "who": who_index,
            "day": np.floor(m_times / _SECONDS_PER_DAY).astype(np.int64),
            "size": size,
            "ts": m_times,
        }
    )
    grouped = table.group_by(["code", "who", "day"], use_threads=False).aggregate(
        [("size", "count"), ("size", "sum"), ("ts", "min"), ("ts", "max")]
    )
    return GroupedBlock(
        records,
        first,
        last,
        len(rows),
        who_keys=who_encoded.dictionary.to_pylist(),
        who_users=who_users,
        who_ips=who_ips,
        codes=grouped["code"].to_pylist(),
        who=grouped["who"].to_pylist(),
        days=grouped["day"].to_pylist(),
        requests=grouped["size_count"].to_pylist(),
        download=grouped["size_sum"].to_pylist(),
        first_times=grouped["ts_min"].to_pylist(),
        last_times=grouped["ts_max"].to_pylist(),
    )
