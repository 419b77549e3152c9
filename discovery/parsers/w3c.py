"""W3C Extended Log File Format: Microsoft IIS / TMG and Blue Coat (Symantec) ProxySG ELFF.

Implements the W3C Working Draft "Extended Log File Format" (WD-logfile-960323): directives ``#Version``,
``#Fields``, ``#Software``, ``#Date``, ``#Remark``; field identifiers with ``c``/``s``/``r``/``cs``/``sc``/``sr``/
``rs`` prefixes; ``date`` and ``time`` in **GMT**; ``-`` for a missing value; strings containing spaces quoted.
Microsoft's IIS W3C logging documentation (learn.microsoft.com, "W3C Logging") describes the IIS field set and the
``+`` substitution for spaces in ``cs(User-Agent)``. The Blue Coat/Symantec ProxySG "Access Log Formats" reference
(ELFF ``bcreportermain_v1`` and main) adds ``cs-host``, ``cs-uri-scheme``, ``cs-uri-port``, ``cs-uri-path``,
``s-action``, ``sc-filter-result``, ``cs-categories``, ``sc-bytes`` and ``cs-bytes`` (client-to-proxy: upload).

The parser is stateful and reads every ``#Fields:`` directive, so concatenated files and mid-file header changes
work. Runs of spaces separate fields (the IIS samples contain stray double spaces that do not mark an empty field).
Fields named ``date-local``/``time-local``/``localtime`` (or option ``local_time=True``) are in ``self.tz``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any, ClassVar

from discovery.parsers.base import EventKind, LogParser, MalformedLine, ProxyEvent, Visible
from discovery.parsers.normalise import (
    build_url,
    from_epoch,
    host_from_url,
    none_if_empty,
    normalise_host,
    parse_clf_time,
    parse_iso,
    to_int,
)

#: Blue Coat SGOS 5.x ``bcreportermain_v1`` field list (ProxySG access-log formats reference)
BLUECOAT_MAIN_FIELDS = (
    "date time time-taken c-ip cs-username cs-auth-group x-exception-id sc-filter-result cs-categories cs(Referer) "
    "sc-status s-action cs-method rs(Content-Type) cs-uri-scheme cs-host cs-uri-port cs-uri-path cs-uri-query "
    "cs-uri-extension cs(User-Agent) s-ip sc-bytes cs-bytes x-virus-id"
)

_TOKEN_RE = re.compile(r'"((?:[^"]|"")*)"|(\S+)')
_HOST_KEYS = ("cs-host", "x-cs-host", "cs(host)", "r-host", "s-hostname")
_DEST_IP_KEYS = ("r-ip", "s-supplier-ip", "cs-ip", "s-ip")
_PORT_KEYS = ("cs-uri-port", "r-port", "s-port")


def split_w3c(line: str) -> list[str]:
    """Space-separated tokens; ``"quoted strings"`` are one token with ``""`` unescaped to ``"``."""
    return [m[1].replace('""', '"') if m[1] is not None else m[2] for m in _TOKEN_RE.finditer(line)]


class W3CParser(LogParser):
    """IIS / TMG / generic W3C extended logs, parsed by the ``#Fields:`` directive.

    Options: ``fields`` (a ``#Fields`` value to use until the file supplies one), ``local_time`` (bool: treat
    ``date``/``time`` as ``self.tz`` instead of GMT; IIS writes UTC unless "Use local time for file naming and
    rollover" style exports converted it).
    """

    name = "w3c"
    label = "W3C extended / IIS"
    visible = frozenset(Visible)
    default_fields: ClassVar[str | None] = None

    def __init__(self, *, options: Mapping[str, Any] | None = None, tz: tzinfo = UTC) -> None:
        super().__init__(options=options, tz=tz)
        configured = self.options.get("fields") or self.default_fields
        self.fields: list[str] | None = self._read_fields(configured) if configured else None
        self.header_date: str | None = None
        self.software: str | None = None

    @staticmethod
    def _read_fields(value: str) -> list[str]:
        return [name.lower() for name in value.split()]

    def _directive(self, line: str) -> None:
        key, _, value = line[1:].partition(":")
        key = key.strip().lower()
        if key == "fields":
            self.fields = self._read_fields(value)
        elif key == "date":
            self.header_date = value.strip().split(" ")[0] or None
        elif key == "software":
            self.software = value.strip()

    def parse(self, line: str) -> ProxyEvent | None:
        if line.startswith("#"):
            self._directive(line)
            return None
        if self.fields is None:
            raise MalformedLine("data line before any #Fields: directive")
        tokens = split_w3c(line)
        if len(tokens) != len(self.fields):
            raise MalformedLine(f"expected {len(self.fields)} fields from #Fields:, got {len(tokens)}")
        row = {name: (None if value == "-" else value) for name, value in zip(self.fields, tokens, strict=True)}
        return self._event(row)

    def _timestamp(self, row: dict[str, str | None]) -> datetime:
        local = bool(self.options.get("local_time"))
        if (unix := row.get("x-timestamp-unix")) is not None:
            return from_epoch(unix)
        if (stamp := row.get("localtime")) is not None:
            return parse_clf_time(stamp, self.tz)
        date, time = row.get("date"), row.get("time")
        if row.get("date-local") or row.get("time-local"):
            date, time, local = row.get("date-local") or date, row.get("time-local") or time, True
        date = date or self.header_date
        if date is None or time is None:
            raise MalformedLine("no date/time in line")
        return parse_iso(f"{date} {time}", self.tz if local else UTC)

    def _event(self, row: dict[str, str | None]) -> ProxyEvent:
        uri = row.get("cs-uri")
        host = host_from_url(uri) if uri else None
        host = host or next((h for h in map(normalise_host, (row.get(k) for k in _HOST_KEYS)) if h), None)
        port = next((p for p in (to_int(row.get(k)) for k in _PORT_KEYS) if p is not None), None)
        dest_ip = next((ip for ip in (row.get(k) for k in _DEST_IP_KEYS) if ip is not None), None)
        url = uri if uri and host_from_url(uri) else None
        path = row.get("cs-uri-path") or row.get("cs-uri-stem") or (uri if uri and uri.startswith("/") else None)
        if host is None:
            # a web-server log without a host column: the destination is the server address itself
            host = normalise_host(dest_ip)
            if host is None:
                raise MalformedLine("no destination host or server address in line")
        method = row.get("cs-method")
        if url is None and method == "CONNECT":
            url = f"{host}:{port}" if port else host
        elif url is None and path is not None:
            url = build_url(row.get("cs-uri-scheme"), host, port, path, row.get("cs-uri-query"))
        extra: dict[str, Any] = {}
        for key, target in (
            ("cs(user-agent)", "user_agent"),
            ("cs-categories", "categories"),
            ("sc-filter-result", "filter_result"),
            ("x-bluecoat-application-name", "application"),
            ("x-bluecoat-application-operation", "application_operation"),
            ("rs(content-type)", "content_type"),
        ):
            if (value := row.get(key)) is not None:
                extra[target] = value.replace("+", " ") if key == "cs(user-agent)" else value
        return ProxyEvent(
            timestamp=self._timestamp(row),
            host=host,
            kind=EventKind.HTTP,
            user=none_if_empty(row.get("cs-username")),
            src_ip=row.get("c-ip"),
            dest_ip=dest_ip,
            dest_port=port,
            url=url,
            method=method,
            status=to_int(row.get("sc-status")),
            upload_bytes=to_int(row.get("cs-bytes")),
            download_bytes=to_int(row.get("sc-bytes")),
            action=row.get("s-action") or row.get("sc-filter-result"),
            extra=extra,
        )

    @classmethod
    def sniff(cls, lines: list[str]) -> float:
        has_fields = any(line.lower().startswith("#fields:") for line in lines)
        if not has_fields:
            return 0.0
        software = next((line for line in lines if line.lower().startswith("#software:")), "")
        return 0.6 if "sgos" in software.lower() else 0.9


class BlueCoatParser(W3CParser):
    """Blue Coat / Symantec ProxySG ELFF access log (ProxySG "Access Log Formats": ``bcreportermain_v1``, main).

    Same engine as :class:`W3CParser`; when a file has no ``#Fields:`` header the SGOS 5.x ``bcreportermain_v1``
    field list is assumed (option ``fields`` overrides it). ``cs-bytes`` is the upload volume.
    """

    name = "bluecoat"
    label = "Blue Coat / Symantec ProxySG (ELFF)"
    visible = frozenset(Visible)
    default_fields = BLUECOAT_MAIN_FIELDS

    @classmethod
    def sniff(cls, lines: list[str]) -> float:
        software = next((line for line in lines if line.lower().startswith("#software:")), "")
        if "sgos" in software.lower():
            return 0.95
        fields = next((line.lower() for line in lines if line.lower().startswith("#fields:")), "")
        return 0.8 if "sc-filter-result" in fields or "x-exception-id" in fields else 0.0
