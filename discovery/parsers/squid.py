"""Squid access.log parsers: native, common, combined and any custom ``logformat``.

Layouts follow the Squid documentation of the ``logformat`` directive (squid-cache.org, "Squid configuration
directive logformat", Squid 3.2 - 7), which defines the built-in formats as::

    logformat squid      %ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt
    logformat common     %>a %[ui %[un [%tl] "%rm %ru HTTP/%rv" %>Hs %<st %Ss:%Sh
    logformat combined   %>a %[ui %[un [%tl] "%rm %ru HTTP/%rv" %>Hs %<st "%{Referer}>h" "%{User-Agent}>h" %Ss:%Sh

None of the built-in formats records the request size; a deployment that wants upload volumes adds ``%>st`` to a
custom ``logformat`` and feeds it to :class:`SquidLogformatParser` with the same template string.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from itertools import compress
from operator import itemgetter
from typing import TYPE_CHECKING, Any, ClassVar

from discovery.parsers.base import (
    MAX_EPOCH,
    MAX_RECORD_BYTES_DIGITS,
    MIN_EPOCH,
    SQUID_METHOD_PATTERN,
    Classifier,
    EventKind,
    FastRecord,
    GroupedBlock,
    LogParser,
    MalformedLine,
    MatchedBlock,
    ParseStats,
    ProxyEvent,
    UrlMatters,
    UrlRules,
    Visible,
    fast_record,
    malformed_sample,
    parse_one,
    scan_records,
)
from discovery.parsers.normalise import (
    from_epoch,
    host_from_url,
    none_if_empty,
    normalise_host,
    parse_clf_time,
    parse_strftime,
    to_int,
)

if TYPE_CHECKING:
    from discovery.parsers.squid_vector import Columns, LineRecords, MatchedRows

SQUID_NATIVE_FORMAT = "%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt"
SQUID_COMMON_FORMAT = '%>a %[ui %[un [%tl] "%rm %ru HTTP/%rv" %>Hs %<st %Ss:%Sh'
SQUID_COMBINED_FORMAT = '%>a %[ui %[un [%tl] "%rm %ru HTTP/%rv" %>Hs %<st "%{Referer}>h" "%{User-Agent}>h" %Ss:%Sh'
#: the deployment format suggested in the shadow-AI reference (adds request size, UA and SNI)
SQUID_SHADOWAI_FORMAT = '%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt %>st "%{User-Agent}>h" %ssl::>sni'

_NATIVE_RESULT_RE = re.compile(r"^[A-Z_]+/\d{3}$")
_NATIVE_TS_RE = re.compile(r"^\d{9,11}\.\d{3}$")
#: a request method as Squid logs it (GET, CONNECT, PROPFIND, NONE, ...): a field torn by a stray control character
#: (``12\r34`` splits in two) shifts every later field, and the method is where that shows
_METHOD_RE = re.compile(SQUID_METHOD_PATTERN)
_FAST_URL_RE = re.compile(r"[hH][tT][tT][pP][sS]?://([^/:?#@\[\]]+)(?:[:/?#]|$)")
#: distinct CONNECT targets whose host the record fast path remembers, and hosts whose code a column scan keeps
#: (bounded: the cache is emptied when full)
_URL_CACHE_MAX = 100_000
#: epoch seconds in ``[_MIN_EPOCH, _MAX_EPOCH)`` give a timestamp check_event() accepts; outside, parse() says why not
_MIN_EPOCH, _MAX_EPOCH = MIN_EPOCH, MAX_EPOCH
#: lines per run of the fused scan: a malformed line sends only its run down the per-line path, and a run's field
#: lists stay in the CPU cache; large enough that the per-run cost is lost in the per-line cost
_SCAN_RUN = 1024
#: the URL-code caches mark a URL without a host (parse() reports the line as malformed) with this code
_NO_HOST = -1
#: the digits of an elapsed time or status the fast paths read (as the vector path does); a longer number goes to
#: parse(), which refuses one past what int() converts (sys.get_int_max_str_digits, 4300 by default)
_NUMBER_DIGITS = 18
#: a lone surrogate (only a caller's ``surrogateescape`` decoding makes one in a Squid line): check_event() refuses it
#: in the user, client and URL, so a line holding one is left to parse()
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_FIELDS = tuple(itemgetter(i) for i in range(8))
#: matched records of consecutive column blocks grouped together (one group-by, one group per (code, subject, day)
#: of them all for ingestion to fold): a chunk's worth, with memory bounded for a long stream
_GROUP_ROWS = 1 << 18
#: bytes of the largest block handed to one column scan: a larger one (a gigantic line stream) is cut in pieces of
#: whole lines of about this size (far below the 2 GiB one Arrow array holds)
_COLUMN_BLOCK_MAX = 256 * 1024 * 1024

# Squid format codes, longest first so that ``%>st`` is not read as ``%>s`` + "t".
_KNOWN_CODES = sorted(
    {
        ">a",
        ">A",
        ">p",
        "<a",
        "<A",
        "<p",
        "la",
        "lp",
        ">la",
        ">lp",
        "<la",
        "<lp",
        ">eui",
        ">qos",
        "<qos",
        ">nfmark",
        "<nfmark",
        "ts",
        "tu",
        "tl",
        "tg",
        "tr",
        "dt",
        "tS",
        "tt",
        "<pt",
        "<tt",
        "Hs",
        ">Hs",
        "<Hs",
        "Ss",
        "Sh",
        "mt",
        "rm",
        ">rm",
        "<rm",
        "ru",
        ">ru",
        "<ru",
        "rp",
        ">rp",
        "<rp",
        "rv",
        ">rv",
        "<rv",
        ">rd",
        ">rP",
        "<rP",
        ">rs",
        "<rs",
        "un",
        "ul",
        "ui",
        "ue",
        "us",
        "uj",
        "st",
        ">st",
        "<st",
        ">sh",
        "<sh",
        ">h",
        "<h",
        ">ha",
        "<ha",
        "err_code",
        "err_detail",
        "note",
        "ea",
        "et",
        "sn",
        "%",
        "ssl::>sni",
        "ssl::bump_mode",
        "ssl::>cert_subject",
        "ssl::>cert_issuer",
        "ssl::<cert_subject",
        "ssl::<cert_issuer",
        "ssl::>negotiated_version",
        "ssl::<negotiated_version",
        "ssl::>received_hello_version",
        "ssl::<received_hello_version",
        "ssl::>negotiated_cipher",
        "ssl::<negotiated_cipher",
        "ssl::<cert_errors",
    },
    key=len,
    reverse=True,
)
_CODE_RE = re.compile(
    r"%(?P<quote>[\"\[#'/])?(?P<left>-)?(?P<zero>0)?(?P<width>\d+)?(?:\.(?P<prec>\d+))?"
    r"(?:\{(?P<arg>[^}]*)\})?(?P<code>" + "|".join(re.escape(c) for c in _KNOWN_CODES) + r"|[<>]?[A-Za-z_]+)"
    r"(?:\{(?P<arg2>[^}]*)\})?"
)
_USER_CODES = ("un", "ul", "us", "ue", "uj", "ui")
_NUMERIC_CODES = frozenset({"ts", "tu", "tr", "dt", "<pt", "<tt", ">st", "<st", "st", ">sh", "<sh", ">p", "<p"})


@dataclass(frozen=True, slots=True)
class _Field:
    group: str
    key: str  # code, or "code{arg}" for codes with an argument such as ``>h{Host}``
    arg: str | None


class CompiledLogformat:
    """A Squid ``logformat`` template compiled to one anchored regular expression.

    Literal whitespace matches one or more spaces (Squid pads ``%6tr``), possessively: a run of blanks is one
    separator, never split to make an empty field, so that a line with a long run of blanks fails in linear time
    instead of backtracking through every way to cut the run (5000 blanks took minutes). A code's value pattern
    depends on what follows it: the closing quote of a quoted literal, the next literal character, or whitespace.
    """

    def __init__(self, template: str) -> None:
        self.template = template
        self.fields: list[_Field] = []
        parts: list[str] = ["^\\s*+"]
        pos = 0
        in_quotes = False
        in_brackets = False
        matches = list(_CODE_RE.finditer(template))
        if not matches:
            raise ValueError(f"logformat has no %-codes: {template!r}")
        for index, match in enumerate(matches):
            literal = template[pos : match.start()]
            parts.append(self._literal(literal))
            for char in literal:
                if char == '"':
                    in_quotes = not in_quotes
                elif char == "[":
                    in_brackets = True
                elif char == "]":
                    in_brackets = False
            pos = match.end()
            end = matches[index + 1].start() if index + 1 < len(matches) else len(template)
            following = template[pos:end]
            code = match["code"]
            arg = match["arg"] if match["arg"] is not None else match["arg2"]
            if code == "%":
                parts.append("%")
                continue
            group = f"f{len(self.fields)}"
            self.fields.append(_Field(group, f"{code}{{{arg}}}" if arg is not None else code, arg))
            if match["width"] and not match["zero"]:
                parts.append("\\s*+")
            parts.append(f"(?P<{group}>{self._value_pattern(code, arg, following, in_quotes, in_brackets)})")
        parts.append(self._literal(template[pos:]))
        parts.append("\\s*$")
        self.regex = re.compile("".join(parts))

    @staticmethod
    def _literal(text: str) -> str:
        return "".join("\\s++" if chunk.isspace() else re.escape(chunk) for chunk in re.split(r"(\s+)", text) if chunk)

    @staticmethod
    def _value_pattern(code: str, arg: str | None, following: str, in_quotes: bool, in_brackets: bool) -> str:
        nxt = following[:1]
        if in_quotes and nxt == '"':
            return r'(?:[^"\\]|\\.)*'
        if in_brackets and nxt == "]":
            return r"[^\]]*"
        if code in ("tl", "tg") and (not nxt or nxt.isspace()):
            # default "dd/Mon/yyyy:HH:MM:SS +zzzz", or as many space-separated words as the strftime argument has
            return rf"\S+(?:\s\S+){{{len(arg.split()) - 1}}}" if arg else r"\S+\s[+-]\d{4}"
        if code in _NUMERIC_CODES and nxt in (".", "/", ":"):
            return r"-?\d+|-"
        if not nxt or nxt.isspace():
            return r"\S*"
        return rf"[^\s{re.escape(nxt)}]*"

    def match(self, line: str) -> dict[str, str] | None:
        """Values by key (``>a``, ``>h{Host}`` ...); the first non-empty value wins when a code repeats."""
        found = self.regex.match(line)
        if found is None:
            return None
        values: dict[str, str] = {}
        for spec in self.fields:
            value = found[spec.group]
            if spec.key not in values or values[spec.key] in ("", "-"):
                values[spec.key] = value
        return values


class SquidLogformatParser(LogParser):
    """Squid access.log written with a custom ``logformat`` (option ``logformat``, default the native layout).

    Implements the format codes of the Squid ``logformat`` directive documentation: time ``%ts``/``%tu``/``%tl``/
    ``%tg`` (``%{strftime}tl`` too), client ``%>a``, users ``%un %ul %us %ue %ui``, ``%Ss``/``%Sh`` result and
    hierarchy codes, status ``%>Hs``, sizes ``%<st`` (reply = download) and ``%>st`` (request = upload), request
    ``%rm %ru %>rd %rv``, headers ``%{Name}>h``, server ``%<a`` and ``%ssl::>sni``.

    Options: ``logformat`` (template string, or the name of a built-in: ``squid``, ``common``, ``combined``).
    """

    name = "squid_logformat"
    label = "Squid (custom logformat)"
    visible = frozenset(Visible)
    template: ClassVar[str] = SQUID_NATIVE_FORMAT

    BUILTIN: ClassVar[dict[str, str]] = {
        "squid": SQUID_NATIVE_FORMAT,
        "common": SQUID_COMMON_FORMAT,
        "combined": SQUID_COMBINED_FORMAT,
        "shadowai": SQUID_SHADOWAI_FORMAT,
    }

    def __init__(self, *, options: Mapping[str, Any] | None = None, tz: tzinfo = UTC) -> None:
        super().__init__(options=options, tz=tz)
        template = str(self.options.get("logformat") or self.template)
        template = self.BUILTIN.get(template, template)
        self.compiled = CompiledLogformat(template)

    def parse(self, line: str) -> ProxyEvent | None:
        if line.startswith("#"):
            return None
        values = self.compiled.match(line)
        if values is None:
            raise MalformedLine("line does not match the logformat")
        return self._event(values)

    def _timestamp(self, v: dict[str, str]) -> datetime:
        if none_if_empty(v.get("ts")) is not None:
            seconds = v["ts"]
            millis = none_if_empty(v.get("tu"))
            if millis is not None and not (millis.isdecimal() and len(millis) <= 3):
                raise MalformedLine(f"bad millisecond field %tu: {millis[:100]!r}")  # "001%"
            return from_epoch(f"{seconds}.{int(millis):03d}" if millis is not None else seconds)
        for key, value in v.items():
            if key.startswith(("tl{", "tg{")):
                tz = UTC if key.startswith("tg") else self.tz
                fmt = key[3:-1]
                return parse_strftime(value, fmt, tz)
        if none_if_empty(v.get("tl")) is not None:
            return parse_clf_time(v["tl"], self.tz)
        if none_if_empty(v.get("tg")) is not None:
            return parse_clf_time(v["tg"], UTC)
        raise MalformedLine("logformat has no usable time code (%ts, %tl or %tg)")

    def _event(self, v: dict[str, str]) -> ProxyEvent:
        method = none_if_empty(v.get("rm") or v.get(">rm"))
        url = none_if_empty(v.get("ru") or v.get(">ru"))
        host = host_from_url(url) if url else None
        if host is None:
            host = normalise_host(v.get(">rd")) or normalise_host(v.get(">h{Host}"))
            host = host or normalise_host(v.get("ssl::>sni"))
        if host is None:
            if url and url.startswith("error:"):
                raise MalformedLine(f"squid internal error entry without a host: {url}")
            raise MalformedLine("no destination host in line")
        squid_status = none_if_empty(v.get("Ss"))
        status_text = v.get(">Hs") or v.get("Hs")
        user = next((u for u in (none_if_empty(v.get(code)) for code in _USER_CODES) if u is not None), None)
        extra: dict[str, Any] = {}
        if (sh := none_if_empty(v.get("Sh"))) is not None:
            extra["hierarchy"] = sh
        if (mime := none_if_empty(v.get("mt"))) is not None:
            extra["content_type"] = mime
        if (ua := none_if_empty(v.get(">h{User-Agent}"))) is not None:
            extra["user_agent"] = ua
        if (sni := none_if_empty(v.get("ssl::>sni"))) is not None:
            extra["sni"] = sni.lower()
        if (elapsed := none_if_empty(v.get("tr"))) is not None:
            extra["elapsed_ms"] = to_int(elapsed)
        dest_port = to_int(url.rsplit(":", 1)[1]) if method == "CONNECT" and url and ":" in url else None
        return ProxyEvent(
            timestamp=self._timestamp(v),
            host=host,
            kind=EventKind.HTTP,
            user=user,
            src_ip=none_if_empty(v.get(">a")),
            dest_ip=none_if_empty(v.get("<a")),
            dest_port=dest_port,
            url=url,
            method=method,
            status=to_int(status_text) or None,
            upload_bytes=to_int(v[">st"]) if ">st" in v else None,
            download_bytes=to_int(v["<st"]) if "<st" in v else None,
            action=squid_status,
            extra=extra,
        )

    @classmethod
    def sniff(cls, lines: list[str]) -> float:
        # a custom template cannot be sniffed without the template; the built-in subclasses override this
        return 0.0


class SquidCommonParser(SquidLogformatParser):
    """Squid ``common`` format (``logformat common``, Squid docs): CLF plus a trailing ``%Ss:%Sh``. No upload bytes."""

    name = "squid_common"
    label = "Squid (common)"
    visible = frozenset({Visible.USER, Visible.SRC_IP, Visible.HOST, Visible.URL, Visible.DOWNLOAD_BYTES})
    template = SQUID_COMMON_FORMAT

    @classmethod
    def sniff(cls, lines: list[str]) -> float:
        return _sniff_ratio(cls, lines)


class SquidCombinedParser(SquidCommonParser):
    """Squid ``combined`` format (``logformat combined``, Squid docs): common plus Referer and User-Agent."""

    name = "squid_combined"
    label = "Squid (combined)"
    template = SQUID_COMBINED_FORMAT


def _sniff_ratio(cls: type[SquidLogformatParser], lines: list[str]) -> float:
    candidates = [line for line in lines if line.strip() and not line.startswith("#")]
    if not candidates:
        return 0.0
    parser = cls()
    good = 0
    for line in candidates:
        try:
            parse_one(parser, line)
        except MalformedLine:
            continue
        good += 1
    return good / len(candidates)


def _native_host(method: str, url: str) -> str | None:
    """The destination host of a native line, as :meth:`SquidParser.parse` reads it (``None``: malformed)."""
    if method == "CONNECT":
        return normalise_host(url)
    # hot path: a plain http(s)://host/... URL; anything unusual goes through the general helper
    fast = _FAST_URL_RE.match(url)
    return fast[1].lower().rstrip(".") or None if fast else host_from_url(url)


class SquidParser(LogParser):
    """Squid native access.log (``logformat squid``, Squid docs; MDCA source type ``SQUID_NATIVE``).

    Ten whitespace-separated fields ``time elapsed remotehost code/status bytes method URL rfc931 peerstatus/peerhost
    type``; runs of spaces are tolerated (``%6tr`` padding, stray double spaces). For CONNECT the URL is
    ``host:port``. ``bytes`` is the reply size (download); the native format has no request size, so
    ``upload_bytes`` is always ``None``. Extra trailing fields (custom formats that append to the native layout)
    are kept in ``extra["trailing"]``. A hand-written splitter rather than a regex: this is the hot path.
    """

    name = "squid"
    label = "Squid (native access.log)"
    visible = frozenset({Visible.USER, Visible.SRC_IP, Visible.HOST, Visible.URL, Visible.DOWNLOAD_BYTES})

    def parse(self, line: str) -> ProxyEvent | None:
        if line.startswith("#"):
            return None
        parts = line.split()
        if len(parts) < 10:
            raise MalformedLine(f"expected 10 fields, got {len(parts)}")
        ts, elapsed, client, result, size, method, url, user, hier, mime = parts[:10]
        code, sep, status = result.partition("/")
        if not sep:
            raise MalformedLine(f"bad result code field: {result!r}")
        if not _METHOD_RE.fullmatch(method):
            raise MalformedLine(f"bad request method {method!r} (a field split or missing?)")
        host = _native_host(method, url)
        dest_port = None
        if method == "CONNECT":
            host_part, _, port = url.rpartition(":")
            # a port has at most five digits; longer is no port (and past 4,300 digits int() refuses it), and the
            # line still names its host, as the column scan reads it
            dest_port = int(port) if port.isdecimal() and len(port) <= 5 and host_part else None
        if host is None:
            raise MalformedLine(f"no destination host in URL {url!r}")
        try:
            timestamp = datetime.fromtimestamp(float(ts), UTC)
            elapsed_ms, download, status_code = int(elapsed), int(size), int(status)
        except (ValueError, OverflowError, OSError):
            raise MalformedLine(
                f"bad number in time/elapsed/size/status: {ts!r} {elapsed!r} {size!r} {status!r}"
            ) from None
        peer_status, _, peer_host = hier.partition("/")
        extra: dict[str, Any] = {"hierarchy": peer_status, "elapsed_ms": elapsed_ms}
        if mime != "-":
            extra["content_type"] = mime
        if len(parts) > 10:
            extra["trailing"] = parts[10:]
        return ProxyEvent(
            timestamp=timestamp,
            host=host,
            kind=EventKind.HTTP,
            user=None if user == "-" else user,
            src_ip=client,
            dest_ip=None if peer_host in ("-", "") else peer_host,
            dest_port=dest_port,
            url=url,
            method=method,
            status=status_code or None,
            download_bytes=download,
            action=code,
            extra=extra,
        )

    def iter_fast(self, lines: Iterable[str], stats: ParseStats) -> Iterator[FastRecord] | None:
        return self._fast(lines, stats)

    def scan_matched(
        self, blocks: Iterable[Sequence[str]], stats: ParseStats, classify: Classifier
    ) -> Iterator[MatchedBlock]:
        return self._scan(blocks, stats, classify)

    def scan_matched_bytes(
        self,
        blocks: Iterable[bytes],
        stats: ParseStats,
        classify: Classifier,
        *,
        url_matters: UrlMatters | None = None,
        url_rules: UrlRules | None = None,
    ) -> Iterator[MatchedBlock | GroupedBlock]:
        """The vectorised ingestion scan: each block is read on columns (:func:`squid_vector.read_columns`, run ahead
        on the read-ahead threads), its odd lines (those the column checks cannot prove they read as :meth:`parse`
        does: malformed, non-ASCII, an unusual URL...) one by one through :meth:`_numbered`, which decides, counts and
        samples each as :func:`parse_lines` would, and the block's matched records, from both, are classified and
        taken in line order (:func:`squid_vector.match_columns`), so a subject is still resolved from its first
        record; those of consecutive blocks, up to :data:`_GROUP_ROWS` of them, are grouped together
        (:func:`squid_vector.group`). An odd line costs about what a good line costs: the other lines of its block
        stay on columns."""
        from discovery.parsers.squid_vector import HostCodes, group, match_columns, read_ahead  # numpy, pyarrow

        hosts = HostCodes(classify, url_matters, url_rules, limit=_URL_CACHE_MAX)
        line_no = 1
        parts: list[MatchedRows] = []
        matched = 0
        for block, columns in read_ahead(_bounded(blocks)):
            if columns is None:  # one line past what an Arrow array holds: line by line
                if parts:
                    yield group(parts)
                    parts, matched = [], 0
                lines = block.decode("utf-8", "replace").split("\n")
                yield from self._scan([lines], stats, classify, first_line=line_no)
                line_no += len(lines)
                continue
            odd = self._odd_records(block, columns, stats, classify, first_line=line_no) if len(columns.odd) else None
            part = match_columns(columns, hosts, odd)
            stats.records_read += len(columns.rows)
            stats.records_parsed += len(columns.rows)
            line_no += columns.lines
            parts.append(part)
            matched += len(part.codes)
            if matched >= _GROUP_ROWS:
                yield group(parts)
                parts, matched = [], 0
        if parts:
            yield group(parts)

    def _odd_records(
        self, block: bytes, columns: Columns, stats: ParseStats, classify: Classifier, *, first_line: int
    ) -> LineRecords:
        """The odd lines of a block read on columns, each alone through :meth:`_numbered` (counted, and sampled with
        its line number, as :func:`parse_lines` would), and their records classified."""
        from discovery.parsers.squid_vector import LineRecords

        records = LineRecords()
        numbered = ((first_line + line, raw.decode("utf-8", "replace")) for line, raw in columns.odd_lines(block))
        for number, (ts, user, src_ip, host, url, _, down) in self._numbered(numbered, stats):
            records.add(number - first_line, classify(host, url), ts, user, src_ip, down)
        return records

    def _scan(
        self, blocks: Iterable[Sequence[str]], stats: ParseStats, classify: Classifier, *, first_line: int = 1
    ) -> Iterator[MatchedBlock]:
        """The fused ingestion loop: validate, find the host, classify and keep the matched records, run by run.

        A run of :data:`_SCAN_RUN` lines is split once; the checks :meth:`parse` makes line by line are then made
        on whole columns with C-level builtins (every line has ten fields, the time is a float in datetime's range,
        elapsed time and size are decimal, every result code is ``code/status`` with a decimal status, every URL
        has a host), and the classification comes from a cache of the run keyed by URL (per method kind, since CONNECT
        reads ``host:port``), so that a line of no interest costs a split and a few C calls and builds no record. Only
        the matched lines' user, client and size are read. A run in which any check fails goes line by line through
        :meth:`_fast` (which falls back to :meth:`parse` for the lines it does not accept), so counts, malformed
        samples and their line numbers are those of :func:`parse_lines`.
        """
        connect_codes: dict[str, int] = {}
        url_codes: dict[str, int] = {}
        codes_of: dict[str, dict[str, int]] = {}
        line_no = first_line
        for block in blocks:
            for start in range(0, len(block), _SCAN_RUN):
                run = block[start : start + _SCAN_RUN]
                # a URL's code is kept for its run only: a third of a real log's URLs are unique, and the classifier
                # keeps the codes of hosts itself
                connect_codes.clear()
                url_codes.clear()
                if len(codes_of) > 1000:
                    codes_of.clear()
                found = _scan_run(run, classify, codes_of, connect_codes, url_codes)
                if found is None:
                    yield from scan_records(self._fast(run, stats, first_line=line_no), classify, size=len(run))
                else:
                    stats.records_read += len(run)
                    stats.records_parsed += len(run)
                    yield found
                line_no += len(run)

    def _fast(self, lines: Iterable[str], stats: ParseStats, *, first_line: int = 1) -> Iterator[FastRecord]:
        """The ingestion fast path: :func:`parse_lines` over :meth:`parse`, reduced to :data:`FastRecord` tuples (the
        records of :meth:`_numbered`, the lines numbered from ``first_line``)."""
        return (record for _, record in self._numbered(enumerate(lines, first_line), stats))

    def _numbered(self, lines: Iterable[tuple[int, str]], stats: ParseStats) -> Iterator[tuple[int, FastRecord]]:
        """The record fast path over numbered lines: each record with the number of its line (which a malformed
        line's sample carries).

        A line that splits into ten or more fields with a well-formed result code and numbers, and whose URL's host
        is found by the plain-URL fast match, is read right here; every other line (comments, blanks, malformed,
        unusual URLs) goes through :meth:`parse` with the same counting and sampling as ``parse_lines``. The host of
        a CONNECT target is remembered (a URL never is: a third of a real log's URLs are unique).
        """
        connect_hosts: dict[str, str | None] = {}
        methods: dict[str, bool] = {}
        fast_url = _FAST_URL_RE.match
        samples = stats.malformed_samples
        read = parsed = malformed = skipped = 0
        try:
            for number, raw in lines:
                read += 1
                parts = raw.split()
                if len(parts) >= 10 and raw[0] != "#":
                    ts, elapsed, _client, result, size, method, url = parts[:7]
                    if method == "CONNECT":
                        host = connect_hosts.get(url, "")
                        if host == "":
                            if len(connect_hosts) >= _URL_CACHE_MAX:
                                connect_hosts.clear()
                            host = connect_hosts[url] = normalise_host(url)
                    else:
                        found = fast_url(url)
                        host = found[1].lower().rstrip(".") or None if found else host_from_url(url)
                    # int() accepts every str.isdecimal() string: the checks parse() makes, without the conversions
                    # (a size of at most MAX_RECORD_BYTES_DIGITS digits is within check_event's bound)
                    method_ok = methods.get(method)
                    if method_ok is None:
                        method_ok = methods[method] = _METHOD_RE.fullmatch(method) is not None
                    if (
                        host is not None
                        and method_ok
                        and elapsed.isdecimal()
                        and len(elapsed) <= _NUMBER_DIGITS
                        and size.isdecimal()
                        and len(size) <= MAX_RECORD_BYTES_DIGITS
                        and (raw.isascii() or _SURROGATE_RE.search(raw) is None)
                    ):
                        _, sep, status = result.partition("/")
                        if sep and status.isdecimal() and len(status) <= _NUMBER_DIGITS:
                            try:
                                seconds = float(ts)
                            except ValueError:
                                seconds = -1e300  # parse() reports it
                            if _MIN_EPOCH <= seconds < _MAX_EPOCH:  # check_event's range: else parse() says why
                                parsed += 1
                                name = parts[7]
                                user = None if name == "-" else name
                                yield number, (seconds, user, parts[2], host, url, None, int(size))
                                continue
                # anything the fast checks did not accept: the general parser decides, counted like parse_lines
                line = raw.rstrip("\r\n")
                if not parts:
                    skipped += 1
                    continue
                try:
                    event = parse_one(self, line)
                except MalformedLine as exc:
                    malformed += 1
                    if len(samples) < ParseStats.MAX_SAMPLES:
                        samples.append(malformed_sample(number, exc, line))
                    continue
                if event is None:
                    skipped += 1
                    continue
                parsed += 1
                yield number, fast_record(event)
        finally:
            stats.records_read += read
            stats.records_parsed += parsed
            stats.records_malformed += malformed
            stats.records_skipped += skipped

    @classmethod
    def sniff(cls, lines: list[str]) -> float:
        candidates = [line for line in lines if line.strip() and not line.startswith("#")]
        if not candidates:
            return 0.0
        good = 0
        for line in candidates:
            parts = line.split()
            if len(parts) >= 10 and _NATIVE_TS_RE.match(parts[0]) and _NATIVE_RESULT_RE.match(parts[3]):
                good += 1
        return good / len(candidates)


def _bounded(blocks: Iterable[bytes]) -> Iterator[bytes]:
    """``blocks``, each larger than :data:`_COLUMN_BLOCK_MAX` cut into pieces of whole lines."""
    for block in blocks:
        if len(block) <= _COLUMN_BLOCK_MAX:
            yield block
        else:
            yield from _pieces(block, _COLUMN_BLOCK_MAX)


def _pieces(block: bytes, size: int) -> Iterator[bytes]:
    """``block`` cut into pieces of whole lines of about ``size`` bytes (the ``\\n`` between two pieces dropped)."""
    start = 0
    while True:
        cut = block.find(b"\n", start + size) if start + size < len(block) else -1
        if cut == -1:
            yield block[start:]
            return
        yield block[start:cut]
        start = cut + 1


def _scan_run(
    run: Sequence[str],
    classify: Classifier,
    codes_of: dict[str, dict[str, int]],
    connect_codes: dict[str, int],
    url_codes: dict[str, int],
) -> MatchedBlock | None:
    """One run of :meth:`SquidParser._scan` on columns; ``None`` when a line needs the per-line path."""
    rows = [line.split() for line in run]
    if not rows or min(map(len, rows)) < 10:
        return None  # blank, short or comment lines
    get_ts, get_elapsed, get_client, get_result, get_size, get_method, get_url, get_user = _FIELDS
    try:
        times = list(map(float, map(get_ts, rows)))  # a "#" comment line fails here too
    except ValueError:
        return None
    first, last = min(times), max(times)
    total = sum(times)
    if total != total or not (first >= _MIN_EPOCH and last < _MAX_EPOCH):
        return None  # NaN (which min/max do not see reliably), infinities, out of check_event's range
    # non-empty fields joined are decimal exactly when each one is: str.isdecimal is what int() accepts here
    sizes = list(map(get_size, rows))
    elapsed = list(map(get_elapsed, rows))
    if not ("".join(elapsed).isdecimal() and "".join(sizes).isdecimal()):
        return None
    if max(map(len, elapsed)) > _NUMBER_DIGITS:
        return None  # past what int() converts (4300 digits): parse() decides
    if max(map(len, sizes)) > MAX_RECORD_BYTES_DIGITS:
        return None  # a size that may be over check_event's bound: parse() decides
    text = "".join(run)
    if not text.isascii() and _SURROGATE_RE.search(text) is not None:
        return None  # a lone surrogate, which check_event refuses in a user, client or URL: parse() decides
    for result in set(map(get_result, rows)):
        _, sep, status = result.partition("/")
        if not (sep and status.isdecimal() and len(status) <= _NUMBER_DIGITS):
            return None
    for method in set(map(get_method, rows)).difference(codes_of):
        if not _METHOD_RE.fullmatch(method):
            return None  # parse() says why
        codes_of[method] = connect_codes if method == "CONNECT" else url_codes
    codes: list[int | None] = list(map(dict.get, map(codes_of.__getitem__, map(get_method, rows)), map(get_url, rows)))
    if None in codes:
        for i, code in enumerate(codes):
            if code is None:
                method, url = rows[i][5], rows[i][6]
                host = _native_host(method, url)
                codes[i] = codes_of[method][url] = _NO_HOST if host is None else classify(host, url)
    if _NO_HOST in codes:
        return None
    if not any(codes):
        return MatchedBlock(len(rows), first, last, [], [], [], [], None, [])
    matched = list(compress(rows, codes))
    return MatchedBlock(
        len(rows),
        first,
        last,
        list(filter(None, codes)),
        list(compress(times, codes)),
        [None if user == "-" else user for user in map(get_user, matched)],
        list(map(get_client, matched)),
        None,
        list(map(int, map(get_size, matched))),
    )
