"""Small, allocation-light helpers shared by the format parsers: host/URL normalisation, numbers and timestamps.

Every helper raises :class:`~discovery.parsers.base.MalformedLine` (never a bare ``ValueError``) for input that
cannot be read, so a parser can call them without wrapping each call.
"""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from urllib.parse import unquote

from discovery.parsers.base import MalformedLine

#: tokens vendors write for "no value"
EMPTY_VALUES: frozenset[str] = frozenset({"", "-", "(empty)", "N/A", "None", "none", "null"})

MONTHS: dict[str, int] = {
    m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)
}

_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_CLF_TIME_RE = re.compile(r"^(\d{1,2})/([A-Za-z]{3})/(\d{4}):(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:\s+([+-]\d{4}))?$")


def none_if_empty(value: str | None) -> str | None:
    """``None`` for the vendor "no value" markers (``-``, empty, ``(empty)`` ...), else the value unchanged."""
    if value is None or value in EMPTY_VALUES:
        return None
    return value


def normalise_host(value: str | None) -> str | None:
    """Lower-case host without port, brackets, userinfo or trailing dot; ``None`` when there is none.

    Accepts ``host``, ``host:port``, ``[v6]:port``, bare IPv6 (``2001:db8::1``) and ``user@host``.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise MalformedLine(f"host is not text: {value!r}")
    host = value.strip()
    if not host or host in EMPTY_VALUES:
        return None
    if "@" in host:
        host = host.rsplit("@", 1)[1]
    if host.startswith("["):
        end = host.find("]")
        host = host[1:end] if end != -1 else host[1:]
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    host = host.rstrip(".").lower()
    return host or None


def host_from_url(url: str | None) -> str | None:
    """Host of an absolute URL (any scheme case), of ``host:port`` (CONNECT) or of a scheme-less ``host/path``.

    Returns ``None`` for origin-form targets (``/path``) and for URLs without an authority.
    """
    if url is None:
        return None
    if not isinstance(url, str):
        raise MalformedLine(f"URL is not text: {url!r}")
    url = url.strip()
    if not url or url.startswith("/") or url in EMPTY_VALUES:
        return None
    match = _SCHEME_RE.match(url)
    rest = url[match.end() :] if match else url
    if not match:
        authority = rest.split("/", 1)[0]
        if authority.count(":") == 1 and not authority.rsplit(":", 1)[1].isdigit():
            return None  # "error:invalid-request", "mailto:x": a scheme without an authority
    for stop in "/?#":
        cut = rest.find(stop)
        if cut != -1:
            rest = rest[:cut]
    return normalise_host(rest)


def to_int(value: str | int | float | None) -> int | None:
    """Integer byte/status counts; ``None`` for empty markers; ``MalformedLine`` for anything else non-numeric."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise MalformedLine(f"not a number: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise MalformedLine(f"not a number: {value!r}")
        return int(value)
    if not isinstance(value, str):
        raise MalformedLine(f"not a number: {value!r}")
    if value in EMPTY_VALUES:
        return None
    try:
        return int(value)
    except ValueError:
        try:
            return int(float(value))
        except (ValueError, OverflowError):  # not a number at all, NaN, or beyond a float (infinity)
            raise MalformedLine(f"not a number: {value[:100]!r}") from None


def from_epoch(value: str | int | float) -> datetime:
    """UTC datetime from epoch seconds (``1677971735.123``); ms/us/ns epochs are recognised by magnitude."""
    if isinstance(value, bool):
        raise MalformedLine(f"bad epoch timestamp: {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an integer beyond a float
        raise MalformedLine(f"bad epoch timestamp: {str(value)[:100]!r}") from None
    magnitude = abs(number)
    if magnitude >= 1e17:  # nanoseconds (FortiGate 6.2+ eventtime)
        number /= 1e9
    elif magnitude >= 1e14:  # microseconds
        number /= 1e6
    elif magnitude >= 1e11:  # milliseconds
        number /= 1e3
    try:
        return datetime.fromtimestamp(number, UTC)
    except (OverflowError, OSError, ValueError):
        raise MalformedLine(f"epoch timestamp out of range: {value!r}") from None


def parse_tz_offset(value: str) -> tzinfo:
    """``+0100`` / ``-08:00`` / ``Z`` to a fixed-offset tzinfo."""
    text = value.strip().replace(":", "")
    if text in {"Z", "z", "UTC", "GMT", ""}:
        return UTC
    # isdecimal: what int() reads (isdigit also takes superscripts, which int() does not)
    if len(text) != 5 or text[0] not in "+-" or not text[1:].isdecimal() or int(text[3:5]) > 59:
        raise MalformedLine(f"bad time-zone offset: {value!r}")
    minutes = int(text[1:3]) * 60 + int(text[3:5])
    if minutes >= 24 * 60:  # +9999: a tzinfo offset must be under a day
        raise MalformedLine(f"time-zone offset out of range: {value!r}")
    return timezone(timedelta(minutes=-minutes if text[0] == "-" else minutes))


def parse_clf_time(value: str, default_tz: tzinfo = UTC) -> datetime:
    """Common Log Format time ``13/Jan/2016:19:31:16 +0000`` (brackets optional), locale-independent, to UTC."""
    match = _CLF_TIME_RE.match(value.strip().strip("[]"))
    if match is None:
        raise MalformedLine(f"bad CLF timestamp: {value!r}")
    day, mon, year, hh, mm, ss, frac, offset = match.groups()
    month = MONTHS.get(mon.lower())
    if month is None:
        raise MalformedLine(f"bad month in timestamp: {value!r}")
    tz = parse_tz_offset(offset) if offset else default_tz
    micro = int((frac or "0")[:6].ljust(6, "0"))
    try:
        stamp = datetime(int(year), month, int(day), int(hh), int(mm), int(ss), micro, tzinfo=tz)
    except ValueError:
        raise MalformedLine(f"bad CLF timestamp: {value!r}") from None
    return _to_utc(stamp, value)


def _to_utc(stamp: datetime, value: str) -> datetime:
    """``stamp`` in UTC; :class:`MalformedLine` when that leaves datetime's range (01/Jan/0001 +0100)."""
    try:
        return stamp.astimezone(UTC)
    except (OverflowError, ValueError):
        raise MalformedLine(f"timestamp out of range: {value[:100]!r}") from None


def parse_iso(value: str, default_tz: tzinfo = UTC) -> datetime:
    """ISO-8601 (``2022-11-18T00:15:50.936753+0100``, ``2021-04-01 00:00:21``, ``...Z``) to UTC."""
    try:
        stamp = datetime.fromisoformat(value.strip())
    except ValueError:
        raise MalformedLine(f"bad ISO timestamp: {value[:100]!r}") from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=default_tz)
    return _to_utc(stamp, value)


def parse_strftime(value: str, fmt: str, default_tz: tzinfo = UTC) -> datetime:
    """``strptime`` with a clear ``MalformedLine``; naive results are taken in ``default_tz``; returns UTC."""
    try:
        stamp = datetime.strptime(value.strip(), fmt)
    except ValueError:
        raise MalformedLine(f"timestamp {value[:100]!r} does not match {fmt!r}") from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=default_tz)
    return _to_utc(stamp, value)


def csv_row(line: str, delimiter: str = ",") -> list[str]:
    """The fields of one CSV line; :class:`MalformedLine` for what the ``csv`` module refuses (a bare ``\r`` in an
    unquoted field, a field over its size limit)."""
    try:
        return next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error as exc:
        raise MalformedLine(f"bad CSV: {exc}") from None


def unescape_percent(value: str) -> str:
    """Decode ``%HH`` escapes (Zscaler ``e``-prefixed fields); invalid escapes are left as they are."""
    return unquote(value) if "%" in value else value


def build_url(scheme: str | None, host: str, port: int | None, path: str | None, query: str | None) -> str:
    """Reassemble ``scheme://host[:port]/path?query`` from split W3C/ELFF columns, omitting default ports."""
    scheme = (scheme or ("https" if port == 443 else "http")).lower()
    default = {"http": 80, "https": 443}.get(scheme)
    if ":" in host:
        host = f"[{host}]"  # IPv6 literal (RFC 3986 IP-literal)
    netloc = host if port is None or port == default else f"{host}:{port}"
    path = path or "/"
    if query:
        path = f"{path}{query}" if query.startswith("?") else f"{path}?{query}"
    return f"{scheme}://{netloc}{path}"
