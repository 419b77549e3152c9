"""The ingestion engine behind the services: plan a file into chunks, and turn one chunk into aggregates.

Nothing here writes to the database; ``discovery.services`` commits what :func:`run_chunk` returns in one
transaction per chunk. The hot loop works on plain dicts (one dict lookup per event for the identity, one
matcher call, one aggregate update) and never touches the ORM.
"""

from __future__ import annotations

import codecs
import contextlib
import gc
import hashlib
import itertools
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import IO, Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Max

from discovery.catalog import AIService as CatalogService
from discovery.catalog import CatalogMatcher, Category, DomainRule, Region, RiskAttributes, RuleType, Training
from discovery.catalog.matcher import Match
from discovery.choices import PolicyStatus, SubjectKind
from discovery.models import AIService, AIServiceRule, LogBatch, LogChunk, PolicyException
from discovery.parsers import (
    MalformedLine,
    ParseStats,
    StreamLimits,
    detect_format,
    get_parser,
    open_text_stream,
    peek_lines,
)
from discovery.parsers.base import (
    FastRecord,
    GroupedBlock,
    LogParser,
    MatchedBlock,
    parse_one,
    scan_records,
)
from discovery.parsers.content import ContentRefused, describe_binary, probe_lines, refusal_text
from discovery.parsers.pcap import CaptureStats, read_usage, sniff_capture
from discovery.parsers.pcap import UsageRecord as CaptureRecord
from discovery.pseudonyms import previous_pseudonyms, pseudonymise_with_token, seal_json
from discovery.redaction import FIXED_LAYOUTS, SampleLayout, is_personal_field, redact_sample

CAPTURE_FORMAT = "pcap"
#: bytes read per block while hashing and planning, and while reading a chunk (1 MiB: large enough that the
#: per-block overhead vanishes, small enough that memory stays constant in the file size)
BLOCK = 1 << 20
#: bytes of the file's start kept for format detection and for the header lines replayed before later chunks
HEAD_BYTES = 64 * 1024
#: lines per block when a chunk is read as a line stream (compressed input, a one-chunk file)
LINES_PER_BLOCK = 32768
#: bytes per block handed to the parser when a chunk is read as a byte range: large enough that a vectorised scan's
#: per-block costs (one Arrow group-by, one classify lookup per distinct host) are small, bounded by the chunk size
SCAN_BLOCK = 4 << 20
#: distinct hosts remembered per chunk (bounded so a scan of random names cannot grow memory without limit)
HOST_CACHE_MAX = 200_000
_GZIP = b"\x1f\x8b"
_ZIP = b"PK\x03\x04"
_ZIP_EMPTY = b"PK\x05\x06"
_DOMAIN_PREFIX = re.compile(r"^[^\\/]+[\\/]")
_EPOCH_DAY = date(1970, 1, 1)
#: the largest value a usage row's counter may hold (PostgreSQL ``bigint``): a chunk's sums are clamped to it
_BIGINT_MAX = 2**63 - 1


@dataclass(frozen=True, slots=True)
class Prefix:
    """What a content pass saw at one checkpoint (the size of an earlier batch's content): the digest of the
    content up to there, and where the tail after it begins (the checkpoint, or the end of the line it cuts)."""

    sha256: str
    #: offset of the first byte not yet covered: the checkpoint when it falls at a line boundary, else just after
    #: the end of the line it cuts (that line was counted, cut short, with the earlier batch), else the content size
    tail_start: int
    #: lines (newlines) before ``tail_start``
    lines_before: int


class PrefixHasher:
    """SHA-256 of a byte stream fed in blocks, plus the digest of each prefix ending at a checkpoint and the line
    boundary after it (:class:`Prefix`). Lines are only counted while a checkpoint is pending: a pass with none
    costs what hashing alone does."""

    def __init__(self, checkpoints: Iterable[int] = ()) -> None:
        self.digest = hashlib.sha256()
        self.size = 0
        self.head = b""
        self.prefixes: dict[int, Prefix] = {}
        self._pending = sorted({c for c in checkpoints if c > 0}, reverse=True)
        self._lines = 0
        self._last_newline = False
        #: checkpoints cut mid-line, waiting for their line's end: (checkpoint, digest, lines before it)
        self._open: list[tuple[int, str, int]] = []

    def update(self, block: bytes) -> None:
        if len(self.head) < HEAD_BYTES:
            self.head += block[: HEAD_BYTES - len(self.head)]
        if self._open:
            newline = block.find(b"\n")
            if newline != -1:
                for checkpoint, sha, lines in self._open:
                    self.prefixes[checkpoint] = Prefix(sha, self.size + newline + 1, lines + 1)
                self._open = []
        pos = 0
        while self._pending and self._pending[-1] <= self.size + len(block):
            checkpoint = self._pending.pop()
            cut = checkpoint - self.size
            self.digest.update(block[pos:cut])
            self._lines += block.count(b"\n", pos, cut)
            pos = cut
            sha = self.digest.copy().hexdigest()
            at_boundary = block[cut - 1 : cut] == b"\n" if cut else self._last_newline
            if at_boundary:
                self.prefixes[checkpoint] = Prefix(sha, checkpoint, self._lines)
            else:
                newline = block.find(b"\n", cut)
                if newline != -1:
                    self.prefixes[checkpoint] = Prefix(sha, self.size + newline + 1, self._lines + 1)
                else:
                    self._open.append((checkpoint, sha, self._lines))
        self.digest.update(block[pos:] if pos else block)
        if self._pending:
            self._lines += block.count(b"\n", pos)
        if block:
            self._last_newline = block.endswith(b"\n")
        self.size += len(block)

    def finish(self) -> dict[int, Prefix]:
        """The prefixes seen (checkpoints beyond the end are absent); a line still open ends at the end."""
        for checkpoint, sha, lines in self._open:
            self.prefixes[checkpoint] = Prefix(sha, self.size, lines + 1)
        self._open = []
        return self.prefixes


@dataclass(slots=True)
class FilePlan:
    sha256: str
    size: int
    head: bytes
    chunks: list[tuple[int, int, int]]  # (start, end, first line number)
    single_stream: bool  # compressed or capture: one chunk, read as a stream
    #: checkpoint -> what the pass saw there (only the checkpoints asked for, within the file)
    prefixes: dict[int, Prefix] = field(default_factory=dict)


def is_single_stream(head: bytes) -> bool:
    """Compressed (gzip, zip) or a capture: read as one stream, not cut into byte ranges."""
    return head.startswith((_GZIP, _ZIP, _ZIP_EMPTY)) or sniff_capture(head)


def is_compressed(head: bytes) -> bool:
    return head.startswith((_GZIP, _ZIP, _ZIP_EMPTY))


def plan_file(fileobj: IO[bytes], *, chunk_bytes: int, checkpoints: Iterable[int] = ()) -> FilePlan:
    """Hash the file and cut it into ``chunk_bytes`` ranges ending at newlines, in one streaming pass; the digests
    of the prefixes ending at ``checkpoints`` come from the same pass (:class:`PrefixHasher`)."""
    hasher = PrefixHasher(checkpoints)
    chunks: list[tuple[int, int, int]] = []
    start, start_line, pos, lines = 0, 1, 0, 0
    while block := fileobj.read(BLOCK):
        hasher.update(block)
        i = 0
        while True:
            target = start + chunk_bytes - pos
            if target >= len(block):
                break
            j = block.find(b"\n", max(target, i))
            if j == -1:
                break
            lines += block.count(b"\n", i, j + 1)
            i = j + 1
            chunks.append((start, pos + i, start_line))
            start, start_line = pos + i, lines + 1
        lines += block.count(b"\n", i)
        pos += len(block)
    if pos > start or not chunks:
        chunks.append((start, pos, start_line))
    head = hasher.head
    single = is_single_stream(head)
    if single:
        chunks = [(0, pos, 1)]
    return FilePlan(hasher.digest.hexdigest(), pos, head, chunks, single, hasher.finish())


def tail_chunks(chunks: list[tuple[int, int, int]], *, start: int, first_line: int) -> list[tuple[int, int, int]]:
    """The part of a plan's chunks from byte ``start`` (a line boundary) on: the new tail of an appended file."""
    out = []
    for begin, end, line in chunks:
        if end <= start:
            continue
        if begin < start:
            begin, line = start, first_line
        out.append((begin, end, line))
    return out


@dataclass(slots=True)
class ContentDigest:
    """The decompressed content of a compressed upload: its SHA-256, size, first bytes and checkpoint prefixes."""

    sha256: str
    size: int
    head: bytes
    prefixes: dict[int, Prefix]


def content_head(fileobj: IO[bytes], *, limits: StreamLimits) -> bytes:
    """The first :data:`HEAD_BYTES` of a compressed file's decompressed content."""
    fileobj.seek(0)
    head = b""
    with open_text_stream(fileobj, limits=limits) as stream:
        for block in stream.content_chunks():
            head += block[: HEAD_BYTES - len(head)]
            if len(head) >= HEAD_BYTES:
                break
    return head


def content_digest(fileobj: IO[bytes], *, limits: StreamLimits, checkpoints: Iterable[int] = ()) -> ContentDigest:
    """Decompress a gzip/zip file once, under ``limits`` (raises ``ArchiveLimitExceeded`` past the size cap), and
    hash the content (see :class:`PrefixHasher`). Runs in the worker, never in a web request."""
    fileobj.seek(0)
    hasher = PrefixHasher(checkpoints)
    with open_text_stream(fileobj, limits=limits) as stream:
        for block in stream.content_chunks():
            hasher.update(block)
    prefixes = hasher.finish()
    return ContentDigest(hasher.digest.hexdigest(), hasher.size, hasher.head, prefixes)


def head_sha256(head: bytes) -> str:
    """The digest kept to find a batch's possible continuations: of its content's first :data:`HEAD_BYTES`."""
    return hashlib.sha256(head[:HEAD_BYTES]).hexdigest()


def detect_file_format(fileobj: IO[bytes], head: bytes, *, limits: StreamLimits | None = None) -> str:
    """``pcap`` for a capture, else the log format detected from the first lines (also inside gzip/zip)."""
    if sniff_capture(head):
        return CAPTURE_FORMAT
    fileobj.seek(0)
    stream = open_text_stream(fileobj, limits=limits)
    first, _ = peek_lines(iter(stream), 50)
    return detect_format(first)


def check_content(
    fileobj: IO[bytes],
    head: bytes,
    log_format: str,
    *,
    parser: LogParser,
    limits: StreamLimits | None,
    probe_limit: int,
    max_share: float,
) -> None:
    """Refuse (:class:`~discovery.parsers.content.ContentRefused`) content that ``log_format`` cannot be trusted with:
    ``head`` (the content's first bytes, decompressed) is binary (a PDF, an image, an executable, another archive),
    or more than ``max_share`` of the records of its first ``probe_limit`` lines are malformed. A capture is not
    checked here: the caller reads a capture as one, whatever the source's format says."""
    what = describe_binary(head)
    if what is not None:
        raise ContentRefused(f"the file looks like {what}, not a {log_format} log; nothing was counted")
    if max_share >= 1:  # the malformed check is off
        return
    fileobj.seek(0)
    with open_text_stream(fileobj, limits=limits) as lines:
        probe = probe_lines(parser, lines, limit=probe_limit)
    fileobj.seek(0)
    if probe.exceeds(max_share):
        raise ContentRefused(refusal_text(probe, log_format=log_format, max_share=max_share))


# --- catalog snapshot built from the database ------------------------------------------------------------------


@dataclass(slots=True)
class CatalogSnapshot:
    """The matcher and policies built from the DB rows, cached until a catalog or policy row changes."""

    matcher: CatalogMatcher
    service_ids: dict[str, int]
    policies: dict[str, str]
    exceptions: dict[str, dict[tuple[str, str], str]]
    #: hosts of ``url`` rules: only a host with one of these as a label suffix needs its URL looked at
    url_hosts: frozenset[str] = frozenset()
    #: per host any chunk met: the matcher's verdict on the host alone and whether a url rule could apply, shared by
    #: the chunks parsed with this snapshot (on any thread) so that each host is matched once per process, not once
    #: per chunk (bounded: emptied past HOST_CACHE_MAX)
    host_matches: dict[str, tuple[Match | None, bool]] = field(default_factory=dict)


_SNAPSHOT: dict[str, Any] = {"key": None, "value": None}


def _fingerprint() -> tuple[Any, ...]:
    services = AIService.objects.aggregate(n=Count("id"), t=Max("updated_at"))
    rules = AIServiceRule.objects.aggregate(n=Count("id"), t=Max("updated_at"))
    exceptions = PolicyException.objects.aggregate(n=Count("id"), t=Max("updated_at"))
    return (services["n"], services["t"], rules["n"], rules["t"], exceptions["n"], exceptions["t"])


def catalog_snapshot() -> CatalogSnapshot:
    """Build (or reuse) the matcher from the catalog tables. Three aggregate queries decide whether it is fresh."""
    key = _fingerprint()
    if _SNAPSHOT["key"] == key:
        return _SNAPSHOT["value"]
    by_service: dict[int, list[DomainRule]] = {}
    for rule in AIServiceRule.objects.all():
        by_service.setdefault(rule.service_id, []).append(
            DomainRule(RuleType(rule.rule_type), rule.value, rule.telemetry, rule.upload, rule.weak, rule.source)
        )
    services: list[CatalogService] = []
    ids: dict[str, int] = {}
    policies: dict[str, str] = {}
    for row in AIService.objects.all():
        ids[row.slug] = row.pk
        policies[row.slug] = row.policy
        attrs = RiskAttributes(Training.UNKNOWN, "", Region.UNKNOWN, False, "")  # not needed for matching
        services.append(
            CatalogService(row.slug, row.name, row.vendor, Category.CHAT, tuple(by_service.get(row.pk, ())), attrs)
        )
    exceptions: dict[str, dict[tuple[str, str], str]] = {}
    for exc in PolicyException.objects.select_related("service"):
        scope = ("department", exc.department) if exc.department else ("group", exc.group)
        exceptions.setdefault(exc.service.slug, {})[scope] = exc.policy
    url_hosts = frozenset(
        rule.value.partition("/")[0]
        for rules in by_service.values()
        for rule in rules
        if rule.rule_type is RuleType.URL_PREFIX
    )
    snapshot = CatalogSnapshot(CatalogMatcher(services), ids, policies, exceptions, url_hosts)
    _SNAPSHOT.update(key=key, value=snapshot)
    return snapshot


_RESTRICTIVENESS = {PolicyStatus.UNSANCTIONED: 2, PolicyStatus.TOLERATED: 1, PolicyStatus.SANCTIONED: 0}


def resolve_policy(
    default: str, exceptions: Mapping[tuple[str, str], str], *, department: str, groups: tuple[str, ...] = ()
) -> str:
    """A department exception wins; else the most restrictive matching group exception; else the default."""
    if department and ("department", department) in exceptions:
        return exceptions[("department", department)]
    found = [exceptions[("group", g)] for g in groups if ("group", g) in exceptions]
    if found:
        return max(found, key=lambda p: _RESTRICTIVENESS[PolicyStatus(p)])
    return default


# --- one chunk ---------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class ChunkResult:
    records_read: int = 0
    records_parsed: int = 0
    records_malformed: int = 0
    records_skipped: int = 0
    records_matched: int = 0
    records_unmatched: int = 0
    #: redacted of users and addresses (:mod:`discovery.redaction`): what every role may read
    malformed_samples: list[dict[str, Any]] = field(default_factory=list)
    #: the raw samples, sealed (:func:`discovery.pseudonyms.seal_json`): for holders of the re-identification right
    malformed_samples_sealed: str = ""
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    #: (pseudonym, kind, department, slug, day) -> [requests, uploads, bytes_up, bytes_down, first, last, policy,
    #: largest upload] and, on the rows of a capture only, DNS lookups (:meth:`_Aggregator.add_capture`)
    usage: dict[tuple[str, str, str, str, date], list[Any]] = field(default_factory=dict)
    #: pseudonym -> (kind, encrypted identity)
    identities: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    #: pseudonym -> the same identity's pseudonyms under the ring's other key versions (a ring of several versions
    #: only: a rotation whose re-pseudonymisation has not finished), so the commit can link the old rows to it
    previous: dict[str, tuple[str, ...]] = field(default_factory=dict)


def normalise_user(user: str, *, strip_domain: bool, lowercase: bool) -> str:
    r"""``CORP\JDoe`` / ``jdoe@corp.example`` -> ``jdoe`` (when stripping); lower-cased when asked."""
    user = user.strip()
    if strip_domain:
        user = _DOMAIN_PREFIX.sub("", user).split("@", 1)[0]
    return user.lower() if lowercase else user


def _iter_range_bytes(fh: IO[bytes], start: int, end: int) -> Iterator[bytes]:
    """``fh[start:end]`` (which begins and ends at line boundaries) in blocks of whole lines of about ``size`` bytes,
    each without its last ``\\n`` (a block ending in ``\\n`` ends with an empty line). Constant memory."""
    size = SCAN_BLOCK
    fh.seek(start)
    remaining = end - start
    carry = b""
    if start == 0:  # the file's first chunk: drop a UTF-8 byte-order mark, as the single-stream reader does
        bom = fh.read(min(len(codecs.BOM_UTF8), remaining))
        if bom == codecs.BOM_UTF8:
            remaining -= len(bom)
        else:
            fh.seek(start)
    while remaining > 0:
        data = fh.read(min(size, remaining))
        if not data:
            break
        remaining -= len(data)
        data = carry + data
        cut = data.rfind(b"\n")
        if cut == -1:
            carry = data
            continue
        carry = data[cut + 1 :]
        yield data[:cut]
    if carry:
        yield carry


def _header_lines(head: bytes) -> list[str]:
    """The leading ``#`` lines of a file (W3C ``#Fields``, Zeek ``#fields``): replayed before every later chunk."""
    out = []
    for line in head.decode("utf-8", "replace").split("\n"):
        if not line.startswith("#"):
            break
        out.append(line.rstrip("\r"))
    return out


_gc_lock = threading.Lock()
_gc_pauses = 0  # parses (on any thread) inside gc_paused()
_gc_was_enabled = False


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a chunk is parsed and its rows built. The loops build many
    short-lived lists and no cycles (all of it is freed by reference counting), but every 700 net allocations the
    collector would walk the young objects and, as they pile up in a run, the older generations: a third of the
    fused loop's time, for nothing. The switch is process-wide, so pauses on several threads are counted: the first
    one in turns the collector off, the last one out turns it back on (if it was on)."""
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()


def run_chunk(
    batch: LogBatch, chunk: LogChunk, fh: IO[bytes], *, snapshot: CatalogSnapshot, limits: StreamLimits | None = None
) -> ChunkResult:
    """Parse, match and aggregate one chunk. Pure with respect to the database.

    Lines go to the parser's :meth:`~discovery.parsers.base.LogParser.scan_matched_bytes` in blocks of bytes, with
    the catalog classifier; it yields only the records of catalog services (Squid native reads whole blocks on
    columns with pyarrow and yields them already grouped), and :class:`_Aggregator` folds them into usage rows.
    """
    source = batch.source
    result = ChunkResult()
    aggregator = _Aggregator(result, source=source, snapshot=snapshot)
    with gc_paused():
        if batch.log_format == CAPTURE_FORMAT:
            cstats = CaptureStats()
            fh.seek(0)
            aggregator.add_capture(read_usage(fh, cstats))
        else:
            parser = get_parser(batch.log_format, options=source.format_options, tz=ZoneInfo(source.time_zone or "UTC"))
            stats = ParseStats()
            blocks: Iterator[bytes]
            fh.seek(0)
            if fh.read(len(_ZIP)).startswith((_GZIP, _ZIP, _ZIP_EMPTY)):  # one chunk: the plan does not cut these
                skip = batch.content_skipped
                if skip:  # only the new tail: replay the content's header lines first, as for a later chunk
                    fh.seek(0)
                    with open_text_stream(fh, limits=limits) as head_lines:
                        for header in itertools.takewhile(lambda line: line.startswith("#"), head_lines):
                            with contextlib.suppress(MalformedLine):
                                parse_one(parser, header)
                fh.seek(0)
                # decompressed and decoded (BOM dropped, over-long lines cut), then handed on as bytes like a range
                lines = itertools.batched(open_text_stream(fh, limits=limits, skip_bytes=skip), LINES_PER_BLOCK)
                blocks = ("\n".join(block).encode() for block in lines)
            else:
                blocks = _iter_range_bytes(fh, chunk.start_offset, chunk.end_offset)
                if chunk.start_offset > 0:  # a later chunk, or the new tail of an appended file
                    fh.seek(0)
                    for header in _header_lines(fh.read(HEAD_BYTES).removeprefix(codecs.BOM_UTF8)):
                        with contextlib.suppress(MalformedLine):
                            parse_one(parser, header)
            aggregator.add_all(
                parser.scan_matched_bytes(
                    blocks,
                    stats,
                    aggregator.classify,
                    url_matters=aggregator.url_matters,
                    url_rules=aggregator.url_rules,
                )
            )
    aggregator.finish()
    if batch.log_format == CAPTURE_FORMAT:
        result.records_read = result.records_parsed = result.records_matched + result.records_unmatched
        # a framing error (a capture cut short, or corrupt after good packets) is one malformed record, sampled
        result.records_malformed = cstats.packets_truncated + cstats.packets_undecodable + bool(cstats.read_error)
        result.malformed_samples = list(cstats.malformed_samples)
    else:
        result.records_read, result.records_parsed = stats.records_read, stats.records_parsed
        result.records_malformed, result.records_skipped = stats.records_malformed, stats.records_skipped
        offset = chunk.first_line - 1
        result.malformed_samples = [{**s, "line": s["line"] + offset} for s in stats.malformed_samples]
    _protect_samples(result, sample_layout(batch.log_format, None if batch.log_format == CAPTURE_FORMAT else parser))
    return result


def sample_layout(log_format: str, parser: LogParser | None) -> SampleLayout | None:
    """Where ``log_format`` keeps user and client-address columns, from the fixed layouts or from the parser's
    header/template (as read from the file): None when unknown (the redaction patterns still apply)."""
    fixed = FIXED_LAYOUTS.get(log_format)
    if fixed is not None or parser is None:
        return fixed
    names = getattr(parser, "fields", None)
    if log_format == "zscaler" and names:
        return SampleLayout.of_names(names, separator="csv", delimiter=getattr(parser, "delimiter", ","))
    if log_format in ("w3c", "bluecoat") and names:
        return SampleLayout.of_names(names, separator="whitespace")
    if log_format == "zeek" and names and getattr(parser, "separator", "") == "\t":
        return SampleLayout.of_names(names, separator="tab")
    if log_format == "generic_csv":
        header: dict[str, int] = getattr(parser, "header", None) or {}
        mapping: dict[str, Any] = getattr(parser, "mapping", {})
        positions = {index for name, index in header.items() if is_personal_field(name)}
        for attribute in ("user", "src_ip"):
            source = mapping.get(attribute)
            if isinstance(source, int):
                positions.add(source)
            elif source is not None and str(source).lower() in header:
                positions.add(header[str(source).lower()])
        return SampleLayout("csv", frozenset(positions), delimiter=getattr(parser, "delimiter", ","))
    return None


def _protect_samples(result: ChunkResult, layout: SampleLayout | None) -> None:
    """Seal the raw samples and keep only their redacted copies in the clear: malformed lines name people and
    devices, and every role reads the samples."""
    if not result.malformed_samples:
        return
    result.malformed_samples_sealed = seal_json(result.malformed_samples)
    result.malformed_samples = [redact_sample(sample, layout) for sample in result.malformed_samples]


class _DayOf:
    """UTC day of an epoch timestamp, exactly ``datetime.fromtimestamp(ts, UTC).date()`` (microsecond rounding
    included), without building a datetime per event: the bounds of the last day seen are cached, and only a
    timestamp outside them (or within a microsecond of a boundary) takes the datetime route."""

    __slots__ = ("day", "hi", "lo")

    def __init__(self) -> None:
        self.lo, self.hi = 1.0, 0.0  # empty range: the first call computes
        self.day = date(1970, 1, 1)

    def __call__(self, ts: float) -> date:
        if self.lo <= ts < self.hi:
            return self.day
        day = datetime.fromtimestamp(ts, UTC).date()
        start = (day - date(1970, 1, 1)).days * 86400.0
        # strictly inside the day by a microsecond on each side, where rounding cannot move to a neighbour day
        self.lo, self.hi, self.day = start + 1e-6, start + 86400.0 - 1e-6, day
        return day


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


class _Aggregator:
    """Classifies destinations against the catalog and folds the matched records of one chunk into usage rows.

    :meth:`classify` is what parsers call (``0``: no catalog service, or telemetry, which is not usage; else the
    code of a (service, upload endpoint) pair). It runs the matcher once per distinct host, not once per event: most
    lines repeat a few thousand hosts, and only hosts under a ``url`` rule need their URL looked at.

    Times stay epoch floats while folding (day from :class:`_DayOf`); first/last become datetimes in
    :meth:`finish`, which gives the values comparing the events' datetimes would, the conversion being monotonic.
    """

    def __init__(self, result: ChunkResult, *, source: Any, snapshot: CatalogSnapshot) -> None:
        self.result = result
        self.source = source
        self.snapshot = snapshot
        # code - 1 -> (service slug, is upload endpoint)
        self.targets: list[tuple[str, bool]] = []
        self._target_codes: dict[tuple[str, bool], int] = {}
        # host -> (code without URL, whether a url rule could apply); a URL is never a key (a third of a real log's
        # URLs are unique): for the few hosts that url rules cover, the matcher looks at each URL's path
        self._host_cache: dict[str, tuple[int, bool]] = {}
        # a named user is resolved by name alone; an IP entry attributes only traffic that carries no user name
        self._subjects: dict[str, tuple[str, str, str, tuple[str, ...]]] = {}
        self._policies: dict[tuple[str, str, tuple[str, ...]], str] = {}
        # usage rows with float first/last times while accumulating (datetimes in finish())
        self.rows: dict[tuple[str, str, str, str, date], list[Any]] = {}
        self.day_of = _DayOf()
        self.first: float | None = None
        self.last: float | None = None
        self.matched = 0
        self.unmatched = 0

    def _code(self, hit: Match | None) -> int:
        if hit is None or hit.telemetry:
            return 0
        target = (hit.service_slug, hit.is_upload_endpoint)
        code = self._target_codes.get(target)
        if code is None:
            self.targets.append(target)
            code = self._target_codes[target] = len(self.targets)
        return code

    def classify(self, host: str, url: str | None) -> int:
        """The code of ``host`` (and ``url``, for hosts under a url rule); 0 when it is not counted as usage."""
        cached = self._host_cache.get(host)
        if cached is None:
            if len(self._host_cache) > HOST_CACHE_MAX:
                self._host_cache.clear()
            snapshot = self.snapshot
            known = snapshot.host_matches.get(host)
            if known is None:
                if len(snapshot.host_matches) > HOST_CACHE_MAX:
                    snapshot.host_matches.clear()
                url_hosts = snapshot.url_hosts
                labels = host.split(".")
                has_url_rule = (
                    any(".".join(labels[i:]) in url_hosts for i in range(len(labels))) if url_hosts else False
                )
                known = snapshot.host_matches[host] = (snapshot.matcher.match(host), has_url_rule)
            cached = self._host_cache[host] = (self._code(known[0]), known[1])
        code, has_url_rule = cached
        if has_url_rule and url:
            hit = self.snapshot.matcher.match_url(host, url)
            if hit is not None:  # else the URL matches as its host alone
                code = self._code(hit)
        return code

    def url_matters(self, host: str) -> bool:
        """Whether :meth:`classify` looks at the URL of ``host`` (a ``url`` rule covers it)."""
        self.classify(host, None)
        return self._host_cache[host][1]

    def url_rules(self, host: str) -> list[tuple[str, int]]:
        """For a host whose URL matters: the url rules :meth:`classify` applies to the path of its URLs, in the order
        it tries them, as (regular expression matched from the start of the path, code): the first that matches
        gives the code, and a URL that none matches has the code of ``classify(host, None)``."""
        return [(pattern, self._code(hit)) for pattern, hit in self.snapshot.matcher.url_rules(host)]

    def _subject_of(self, user: str | None, ip: str | None) -> tuple[str, str, str, tuple[str, ...]]:
        source = self.source
        identity_map: Mapping[str, Any] = source.identity_map or {}
        entry: Mapping[str, Any] = {}
        name = (
            normalise_user(user, strip_domain=source.strip_domain, lowercase=source.lowercase_users)
            if user and user != "-"
            else ""
        )
        if name:
            entry = identity_map.get(name) or {}
        elif ip:
            entry = identity_map.get(ip) or {}
        name = name or str(entry.get("user", ""))
        identity = f"user:{name}" if name else f"device:{ip or 'unknown'}"
        kind = SubjectKind.USER.value if name else SubjectKind.DEVICE.value
        pseudonym, token = pseudonymise_with_token(identity)
        identities = self.result.identities
        if pseudonym not in identities:
            identities[pseudonym] = (kind, token)
            previous = previous_pseudonyms(identity)
            if previous:
                self.result.previous[pseudonym] = previous
        return pseudonym, kind, str(entry.get("department", "")), tuple(entry.get("groups", ()))

    def add_all(self, blocks: Iterable[MatchedBlock | GroupedBlock]) -> None:
        """Fold every block (see :meth:`add` and :meth:`add_grouped`)."""
        for block in blocks:
            if isinstance(block, GroupedBlock):
                self.add_grouped(block)
            else:
                self.add(block)

    def _span(self, first: float | None, last: float | None) -> None:
        if first is not None:
            if self.first is None or first < self.first:
                self.first = first
            if self.last is None or last > self.last:  # type: ignore[operator]  # set with first
                self.last = last

    def add_grouped(self, block: GroupedBlock) -> None:
        """Fold a block of matched records already summed per (code, subject key, day): the rows :meth:`add` would
        build from its records one by one. Each subject key not yet known is resolved from the user and client of
        its first record, as :meth:`add` resolves it; the format sees no upload bytes."""
        self._span(block.first, block.last)
        self.matched += block.matched
        self.unmatched += block.records - block.matched
        subjects = self._subjects
        resolved = []
        for who, user, src_ip in zip(block.who_keys, block.who_users, block.who_ips, strict=True):
            subject = subjects.get(who)
            if subject is None:
                subject = subjects[who] = self._subject_of(user, src_ip)
            resolved.append(subject)
        targets = self.targets
        rows = self.rows
        days: dict[int, date] = {}
        groups = zip(
            block.codes,
            block.who,
            block.days,
            block.requests,
            block.download,
            block.first_times,
            block.last_times,
            strict=True,
        )
        for code, who_index, day_number, requests, download, first, last in groups:
            pseudonym, kind, department, subject_groups = resolved[who_index]
            slug, upload = targets[code - 1]
            day = days.get(day_number)
            if day is None:
                day = days[day_number] = _EPOCH_DAY + timedelta(days=day_number)
            key = (pseudonym, kind, department, slug, day)
            row = rows.get(key)
            if row is None:
                policy = self._policy(slug, department, subject_groups)
                rows[key] = [requests, requests if upload else 0, 0, download, first, last, policy, None]
            else:
                row[0] += requests
                if upload:
                    row[1] += requests
                row[3] += download
                if first < row[4]:
                    row[4] = first
                if last > row[5]:
                    row[5] = last

    def add(self, block: MatchedBlock) -> None:
        """Fold one block of matched records into the rows; count its other records as unmatched."""
        self._span(block.first, block.last)
        self.matched += len(block.codes)
        self.unmatched += block.records - len(block.codes)
        targets = self.targets
        subjects = self._subjects
        rows = self.rows
        day_of = self.day_of
        ups: Iterable[int | None] = block.upload if block.upload is not None else itertools.repeat(None)
        downs: Iterable[int | None] = block.download if block.download is not None else itertools.repeat(None)
        day_lo, day_hi, day = day_of.lo, day_of.hi, day_of.day
        columns = zip(block.codes, block.times, block.users, block.src_ips, ups, downs, strict=False)  # repeat()s
        for code, ts, user, src_ip, up, down in columns:
            who = user if user and user != "-" else f"@{src_ip}"
            subject = subjects.get(who)
            if subject is None:
                subject = subjects[who] = self._subject_of(user, src_ip)
            pseudonym, kind, department, groups = subject
            slug, upload = targets[code - 1]
            if not day_lo <= ts < day_hi:  # the day cache's own test, inlined
                day = day_of(ts)
                day_lo, day_hi = day_of.lo, day_of.hi
            key = (pseudonym, kind, department, slug, day)
            row = rows.get(key)
            if row is None:
                rows[key] = [1, int(upload), up or 0, down or 0, ts, ts, self._policy(slug, department, groups), up]
            else:
                row[0] += 1
                if upload:
                    row[1] += 1
                if up:
                    row[2] += up
                    # largest single request, for the "single large upload" alert rule (None: format can't see it)
                    if row[7] is None or up > row[7]:
                        row[7] = up
                if down:
                    row[3] += down
                if ts < row[4]:
                    row[4] = ts
                elif ts > row[5]:
                    row[5] = ts

    def add_capture(self, records: Iterable[CaptureRecord]) -> None:
        """Fold a capture's records (:func:`~discovery.parsers.pcap.read_usage`, one per event), one request per
        request (README, "What counts as a request"): a FLOW record brings its connection's bytes, and is the
        connection's one request unless HTTP request heads were read from it (each HTTP event is then one request,
        without bytes); a TLS/QUIC event is no request of its own (its flow, named by the SNI, is); a DNS question is
        a lookup, counted in the row's ``dns_lookups`` (its 9th value), not as a request. Every event is one record
        (matched or not), as before."""
        classify = self.classify
        subjects = self._subjects
        rows = self.rows
        targets = self.targets
        day_of = self.day_of
        first = self.first
        last = self.last
        count = matched = 0
        for ts, src_ip, host, url, up, down, requests, lookups in records:
            count += 1
            if first is None or last is None:
                first = last = ts
            elif ts < first:
                first = ts
            elif ts > last:
                last = ts
            code = classify(host, url)
            if not code:
                continue
            matched += 1
            if not requests and not lookups and up is None:
                continue  # a TLS/QUIC event (a FLOW record always has bytes, if 0): counted with its flow
            who = f"@{src_ip}"
            subject = subjects.get(who)
            if subject is None:
                subject = subjects[who] = self._subject_of(None, src_ip)
            pseudonym, subject_kind, department, groups = subject
            slug, upload = targets[code - 1]
            key = (pseudonym, subject_kind, department, slug, day_of(ts))
            row = rows.get(key)
            if row is None:
                policy = self._policy(slug, department, groups)
                rows[key] = [requests, requests if upload else 0, up or 0, down or 0, ts, ts, policy, up, lookups]
                continue
            row[0] += requests
            if upload:
                row[1] += requests
            if up:
                row[2] += up
                if row[7] is None or up > row[7]:
                    row[7] = up
            if down:
                row[3] += down
            row[8] += lookups
            if ts < row[4]:
                row[4] = ts
            elif ts > row[5]:
                row[5] = ts
        self.first, self.last = first, last
        self.matched += matched
        self.unmatched += count - matched

    def _policy(self, slug: str, department: str, groups: tuple[str, ...]) -> str:
        key = (slug, department, groups)
        policy = self._policies.get(key)
        if policy is None:
            snapshot = self.snapshot
            policy = self._policies[key] = resolve_policy(
                snapshot.policies[slug], snapshot.exceptions.get(slug, {}), department=department, groups=groups
            )
        return policy

    def finish(self) -> None:
        """Turn the rows' times into datetimes and store rows, time span and counts on the result."""
        result = self.result
        for row in self.rows.values():
            row[4], row[5] = _utc(row[4]), _utc(row[5])
            # each record's bytes are bounded (MAX_RECORD_BYTES), but enough of them could still sum past bigint
            if row[2] > _BIGINT_MAX or row[3] > _BIGINT_MAX:
                row[2], row[3] = min(row[2], _BIGINT_MAX), min(row[3], _BIGINT_MAX)
        result.usage.update(self.rows)
        result.first_seen = _utc(self.first) if self.first is not None else None
        result.last_seen = _utc(self.last) if self.last is not None else None
        result.records_matched, result.records_unmatched = self.matched, self.unmatched


def _aggregate(records: Iterator[FastRecord], result: ChunkResult, *, source: Any, snapshot: CatalogSnapshot) -> None:
    """Classify and aggregate ``(ts, user, src_ip, host, url, up, down)`` records one by one into ``result``."""
    aggregator = _Aggregator(result, source=source, snapshot=snapshot)
    aggregator.add_all(scan_records(records, aggregator.classify))
    aggregator.finish()


ProgressCallback = Callable[[int, int], None]
