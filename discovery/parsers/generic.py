"""Generic CSV and JSON-lines logs with a user-supplied column mapping (the "custom log parser" idea of Microsoft
Defender for Cloud Apps: map each required attribute to a column; date, destination host or URL are required).

Option ``mapping`` maps our attributes to source columns: ``timestamp`` and ``host`` or ``url`` are required,
optional ``user``, ``src_ip``, ``dest_ip``, ``dest_port``, ``method``, ``status``, ``upload_bytes``,
``download_bytes``, ``action``. For CSV a source is a header name or a 0-based column index; for JSON a key or a
dotted path into nested objects (``source.ip``). Attributes left unmapped are looked up under common names
(``timestamp``/``time``/``ts``, ``host``/``hostname``/``domain``, ``url``, ``user``/``username`` ...).

Option ``timestamp_format``: ``"iso"`` (default; also accepts epoch numbers), ``"epoch"`` (s/ms/us/ns by
magnitude) or a ``strptime`` pattern; naive times are in ``self.tz``.
"""

from __future__ import annotations

import json
from abc import abstractmethod
from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any

from discovery.parsers.base import EventKind, LogParser, MalformedLine, ProxyEvent, Visible, parse_one
from discovery.parsers.normalise import (
    csv_row,
    from_epoch,
    host_from_url,
    none_if_empty,
    normalise_host,
    parse_iso,
    parse_strftime,
    to_int,
)

ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "timestamp": ("timestamp", "time", "ts", "datetime", "date", "@timestamp", "eventtime"),
    "host": ("host", "hostname", "domain", "dest_host", "dst_host", "server_name", "sni"),
    "url": ("url", "uri", "request_url", "dest_url"),
    "user": ("user", "username", "user_name", "login", "src_user"),
    "src_ip": ("src_ip", "source_ip", "client_ip", "cip", "src"),
    "dest_ip": ("dest_ip", "dst_ip", "destination_ip", "server_ip", "sip", "dst"),
    "dest_port": ("dest_port", "dst_port", "destination_port", "port"),
    "method": ("method", "http_method", "request_method"),
    "status": ("status", "status_code", "http_status"),
    "upload_bytes": ("upload_bytes", "bytes_out", "bytes_sent", "sent_bytes", "request_size", "reqsize"),
    "download_bytes": ("download_bytes", "bytes_in", "bytes_received", "received_bytes", "response_size"),
    "action": ("action", "disposition", "verdict"),
}


class _MappedParser(LogParser):
    """Shared mapping logic: ``_value(record, attribute)`` resolves the mapped or conventional column."""

    visible = frozenset(Visible)

    def __init__(self, *, options: Mapping[str, Any] | None = None, tz: tzinfo = UTC) -> None:
        super().__init__(options=options, tz=tz)
        mapping = self.options.get("mapping") or {}
        unknown = set(mapping) - set(ATTRIBUTES)
        if unknown:
            raise ValueError(f"unknown mapping attribute(s): {', '.join(sorted(unknown))}")
        self.mapping: dict[str, Any] = dict(mapping)
        self.timestamp_format = str(self.options.get("timestamp_format", "iso"))

    @abstractmethod
    def _lookup(self, record: Any, source: Any) -> Any:
        """The raw value of ``source`` (a column name/index or key path) in ``record``, ``None`` when absent."""

    def _value(self, record: Any, attribute: str) -> Any:
        if attribute in self.mapping:
            return self._lookup(record, self.mapping[attribute])
        for candidate in ATTRIBUTES[attribute]:
            value = self._lookup(record, candidate)
            if value is not None:
                return value
        return None

    def _timestamp(self, value: Any) -> datetime:
        if value is None or value == "":
            raise MalformedLine("no timestamp column value")
        text = str(value)
        if self.timestamp_format == "epoch" or (
            self.timestamp_format == "iso" and text.replace(".", "", 1).lstrip("-").isdigit()
        ):
            return from_epoch(text)
        if self.timestamp_format == "iso":
            return parse_iso(text.replace("Z", "+00:00"), self.tz)
        return parse_strftime(text, self.timestamp_format, self.tz)

    def _event(self, record: Any) -> ProxyEvent:
        def text(attribute: str) -> str | None:
            value = self._value(record, attribute)
            if value is None or isinstance(value, dict | list):
                return None  # a nested object is not a value: map a dotted path to the leaf instead
            return none_if_empty(str(value))

        url = text("url")
        host = normalise_host(text("host")) or (host_from_url(url) if url else None)
        if host is None:
            raise MalformedLine("no host or URL with a host")
        return ProxyEvent(
            timestamp=self._timestamp(self._value(record, "timestamp")),
            host=host,
            kind=EventKind.HTTP if url else EventKind.FLOW,
            user=text("user"),
            src_ip=text("src_ip"),
            dest_ip=text("dest_ip"),
            dest_port=to_int(text("dest_port")),
            url=url,
            method=text("method"),
            status=to_int(text("status")),
            upload_bytes=to_int(text("upload_bytes")),
            download_bytes=to_int(text("download_bytes")),
            action=text("action"),
        )


class GenericCSVParser(_MappedParser):
    """Generic delimited text with a header row (or ``has_header=False`` and integer column indexes).

    Options: ``mapping``, ``timestamp_format``, ``delimiter`` (default ``,``), ``has_header`` (default True).
    """

    name = "generic_csv"
    label = "Generic CSV (column mapping)"

    def __init__(self, *, options: Mapping[str, Any] | None = None, tz: tzinfo = UTC) -> None:
        super().__init__(options=options, tz=tz)
        self.delimiter = str(self.options.get("delimiter", ","))
        self.header: dict[str, int] | None = None if self.options.get("has_header", True) else {}

    def _lookup(self, record: list[str], source: Any) -> str | None:
        if isinstance(source, int):
            return record[source] if 0 <= source < len(record) else None
        assert self.header is not None
        index = self.header.get(str(source).lower())
        return record[index] if index is not None and index < len(record) else None

    def parse(self, line: str) -> ProxyEvent | None:
        if line.startswith("#"):
            return None
        row = csv_row(line, self.delimiter)
        if self.header is None:
            self.header = {name.strip().lower(): index for index, name in enumerate(row)}
            return None
        return self._event(row)

    @classmethod
    def sniff(cls, lines: list[str]) -> float:
        # a weak, last-resort guess: a header row naming a time column and a host/url column
        if not lines or lines[0].lstrip().startswith(("{", "#")):
            return 0.0
        header = {name.strip().strip('"').lower() for name in csv_row(lines[0])}
        has_time = bool(header & set(ATTRIBUTES["timestamp"]))
        has_dest = bool(header & (set(ATTRIBUTES["host"]) | set(ATTRIBUTES["url"])))
        return 0.5 if has_time and has_dest else 0.0


class GenericJSONParser(_MappedParser):
    """Generic JSON lines (one object per line); mapping sources are keys or dotted paths.

    Options: ``mapping``, ``timestamp_format``.
    """

    name = "generic_jsonl"
    label = "Generic JSON lines (key mapping)"

    def _lookup(self, record: dict[str, Any], source: Any) -> Any:
        key = str(source)
        if key in record:
            return record[key]
        value: Any = record
        for part in key.split("."):
            if not isinstance(value, dict) or part not in value:
                return None
            value = value[part]
        return value

    def parse(self, line: str) -> ProxyEvent | None:
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise MalformedLine(f"invalid JSON: {exc.msg}") from None
        if not isinstance(record, dict):
            raise MalformedLine("JSON line is not an object")
        return self._event(record)

    @classmethod
    def sniff(cls, lines: list[str]) -> float:
        candidates = [line for line in lines if line.strip()]
        if not candidates or not all(line.lstrip().startswith("{") for line in candidates):
            return 0.0
        parser = cls()
        good = 0
        for line in candidates:
            try:
                parse_one(parser, line)
            except MalformedLine:
                continue
            good += 1
        return 0.5 * good / len(candidates)
