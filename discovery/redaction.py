"""Redaction of personal data from the malformed-line samples shown to every role (plain Python, no Django).

A malformed line is shown so that whoever runs the ingest can see *why* it did not parse, but the line itself names
people and devices. :func:`redact_sample_text` removes, in this order:

1. the fields that hold a user or a client address **by position**, when the format's layout is known
   (:class:`SampleLayout`: Squid native client/user columns, CLF ident/authuser, CSV formats' user/IP columns from
   their header or feed template, W3C/Zeek columns named in ``#Fields``);
2. the value of any ``key=value`` / ``"key": value`` pair whose key names a user, login, account, owner, client or
   source address, or MAC (FortiGate, JSON formats, URL query strings);
3. anything that looks like a person or a device wherever it stands: e-mail addresses and ``user@realm``,
   ``DOMAIN\\user`` (also ``%5C``-encoded), MAC addresses, IPv4 and IPv6 addresses (validated with :mod:`ipaddress`).

Over-redaction is the safe side: a version number ``1.2.3.4`` becomes ``<ip>``. The raw line is kept only sealed
(encrypted) for holders of the re-identification permission.
"""

from __future__ import annotations

import csv
import io
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

USER = "<user>"
IP = "<ip>"
MAC = "<mac>"
EMAIL = "<email>"
REDACTED = "<redacted>"

#: field (column or key) names that hold a person or a client device (lower-case substrings)
_PERSONAL_KEY_PARTS = ("user", "login", "account", "owner", "mac", "email", "principal", "ident")
#: field names that are exactly a client/source address (a substring test would hit e.g. "description")
_PERSONAL_KEYS = frozenset(
    {
        "c-ip",
        "cip",
        "client",
        "clientip",
        "client_ip",
        "client-ip",
        "src",
        "srcip",
        "src_ip",
        "src-ip",
        "source_ip",
        "sourceip",
        "id.orig_h",
        "orig_h",
        "x-forwarded-for",
        "x-client-ip",
        "devicehostname",
        "hostname_client",
        "srcmac",
        "src_mac",
        "cs-userdn",
        "remote_addr",
        "remote_user",
    }
)


def is_personal_field(name: str) -> bool:
    """Whether a column or key named ``name`` holds a user or a client address (``cs-username``, ``srcip``, ...)."""
    key = name.strip().strip("\"'").lower()
    return key in _PERSONAL_KEYS or any(part in key for part in _PERSONAL_KEY_PARTS)


Separator = Literal["whitespace", "csv", "tab"]


@dataclass(frozen=True, slots=True)
class SampleLayout:
    """Where a format keeps its user and client-address fields: columns ``positions`` (0-based) of lines split on
    ``separator`` (runs of whitespace, CSV with ``delimiter``, or ``tab``)."""

    separator: Separator
    positions: frozenset[int] = field(default_factory=frozenset)
    delimiter: str = ","

    @classmethod
    def of_names(cls, names: Iterable[str], *, separator: Separator, delimiter: str = ",") -> SampleLayout:
        """The layout of a header/template listing column ``names``: its personal columns by position."""
        positions = frozenset(i for i, name in enumerate(names) if is_personal_field(name))
        return cls(separator=separator, positions=positions, delimiter=delimiter)


#: layouts of the formats whose columns are fixed (formats with a header or template build theirs from it)
FIXED_LAYOUTS: dict[str, SampleLayout] = {
    # ts elapsed client code/status bytes method url user hierarchy type
    "squid": SampleLayout("whitespace", frozenset({2, 7})),
    # CLF: host ident authuser [date] "request" status bytes ...
    "squid_common": SampleLayout("whitespace", frozenset({0, 1, 2})),
    "squid_combined": SampleLayout("whitespace", frozenset({0, 1, 2})),
    "apache": SampleLayout("whitespace", frozenset({0, 1, 2})),
    # PAN-OS CSV: 7 source address, 12 source user (8 destination address is not personal)
    "panos": SampleLayout("csv", frozenset({7, 12})),
}

_WHITESPACE_RE = re.compile(r"(\s+)")
_EMAIL_RE = re.compile(r"(?<![\w.+%-])[\w.+%-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_USER_AT_REALM_RE = re.compile(r"(?<![\w.+%/:-])[\w.+%$-]+@[\w.-]+")
_DOMAIN_USER_RE = re.compile(r"(?<![\w.-])[\w.-]+(?:\\+|%5[cC])[\w.$-]+")
_MAC_RE = re.compile(
    r"(?<![0-9A-Fa-f:-])(?:[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){4}|"
    r"[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})(?![0-9A-Fa-f:-])"
)
_IPV4_RE = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.]*\d)")
_IPV6_CANDIDATE_RE = re.compile(r"(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:\.\d{1,3}){0,3}(?:%\w+)?")
_KEY_VALUE_RE = re.compile(
    r"""(?P<key>["']?(?P<name>[A-Za-z_][\w.-]*)["']?)(?P<sep>\s*(?:=|:(?!//))\s*)"""
    r"""(?P<value>"(?:[^"\\]|\\.)*"|'[^']*'|[^\s,;&}\]"']+)"""
)


def _ipv4(match: re.Match[str]) -> str:
    text = match.group(0)
    return IP if all(int(octet) <= 255 for octet in text.split(".")) else text


def _ipv6(match: re.Match[str]) -> str:
    text = match.group(0)
    for candidate in (text, text.rstrip(":.")):
        address = candidate.split("%", 1)[0]
        if address.count(":") >= 2:
            try:
                ipaddress.IPv6Address(address)
            except ValueError:
                continue
            return IP + text[len(candidate) :]
    return text


def _key_value(match: re.Match[str]) -> str:
    if not is_personal_field(match.group("name")):
        return match.group(0)
    value = match.group("value")
    quote = value[0] if value[:1] in "\"'" else ""
    return f"{match.group('key')}{match.group('sep')}{quote}{REDACTED}{quote}"


def redact_patterns(text: str) -> str:
    """``text`` with personal key/value pairs, e-mail addresses, ``user@realm``, ``DOMAIN\\user``, MAC, IPv4 and
    IPv6 addresses replaced by placeholders."""
    text = _KEY_VALUE_RE.sub(_key_value, text)
    text = _EMAIL_RE.sub(EMAIL, text)
    text = _USER_AT_REALM_RE.sub(USER, text)
    text = _DOMAIN_USER_RE.sub(USER, text)
    text = _MAC_RE.sub(MAC, text)
    text = _IPV6_CANDIDATE_RE.sub(_ipv6, text)
    return _IPV4_RE.sub(_ipv4, text)


def _redact_whitespace(text: str, positions: frozenset[int]) -> str:
    parts = _WHITESPACE_RE.split(text)  # tokens at even indexes, the whitespace between them at odd ones
    offset = 1 if parts and parts[0] == "" else 0  # leading whitespace: the first token is parts[2]
    for index in range(offset * 2, len(parts), 2):
        if (index // 2 - offset) in positions and parts[index] not in ("", "-"):
            parts[index] = REDACTED
    return "".join(parts)


def _redact_delimited(text: str, positions: frozenset[int], delimiter: str) -> str:
    try:
        row = next(csv.reader([text], delimiter=delimiter), [])
    except csv.Error:
        return text  # not splittable: the patterns still apply
    if not any(i < len(row) for i in positions):
        return text
    row = [REDACTED if i in positions and value not in ("", "-") else value for i, value in enumerate(row)]
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="").writerow(row)
    return out.getvalue()


def redact_fields(text: str, layout: SampleLayout) -> str:
    """``text`` with the columns ``layout`` names replaced by ``<redacted>`` (missing columns are left alone)."""
    if not layout.positions:
        return text
    if layout.separator == "whitespace":
        return _redact_whitespace(text, layout.positions)
    if layout.separator == "tab":
        cells = text.split("\t")
        return "\t".join(REDACTED if i in layout.positions and c not in ("", "-") else c for i, c in enumerate(cells))
    return _redact_delimited(text, layout.positions, layout.delimiter)


def redact_sample_text(text: str, layout: SampleLayout | None = None) -> str:
    """A malformed line fit to show to every role: its personal fields by position (when the layout is known),
    then every personal pattern."""
    if layout is not None:
        text = redact_fields(text, layout)
    return redact_patterns(text)


def redact_sample(sample: dict[str, Any], layout: SampleLayout | None = None) -> dict[str, Any]:
    """A copy of one malformed-line or capture sample that is safe to show: ``text`` and ``error`` redacted, the
    packet bytes (``hex``: MAC and IP headers) dropped."""
    out = dict(sample)
    if isinstance(out.get("text"), str):
        out["text"] = redact_sample_text(out["text"], layout)
    if isinstance(out.get("error"), str):
        out["error"] = redact_patterns(out["error"])
    if "hex" in out:
        out["hex"] = ""
    return out
