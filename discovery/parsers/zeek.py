"""Zeek (formerly Bro) http, ssl, quic, dns and conn logs, in TSV (ASCII writer) or JSON lines.

Layouts follow the Zeek documentation ("Zeek Logs": conn.log, http.log, ssl.log, dns.log, quic.log; "Logging
Framework" > ASCII writer) and the zeek/zeek btest baselines: the TSV header directives ``#separator`` (``\\x09``
escaped), ``#set_separator``, ``#empty_field``, ``#unset_field``, ``#path``, ``#fields`` and ``#types``; JSON
(``LogAscii::use_json=T``) writes one object per line with flat dotted keys and omits unset fields.

Which log a record comes from is taken from ``#path`` (TSV) or ``_path`` when present, else inferred from the
columns/keys (``query`` → dns, ``server_name`` + ``cipher``/``client_initial_dcid`` → ssl/quic, ``method``/``uri``
→ http, ``conn_state``/``orig_bytes`` → conn). Other logs (files, tunnel, weird ...) are skipped, not malformed.

Masked timestamps: zeek's btest canonifiers replace ``ts`` with ``XXXXXXXXXX.XXXXXX`` (also unquoted inside JSON).
Such a value never comes from a running Zeek, so by default the line is reported as malformed ("masked
timestamp"). With option ``allow_masked_timestamps=True`` (used by our regression tests on the upstream
baselines) the event gets the Unix epoch as timestamp and ``extra["timestamp_masked"] = True``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any

from discovery.parsers.base import EventKind, LogParser, MalformedLine, ProxyEvent, Visible
from discovery.parsers.normalise import from_epoch, host_from_url, normalise_host, parse_iso, to_int

MASKED_TS = "XXXXXXXXXX.XXXXXX"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# JSON pipelines rename the connection tuple: all spellings seen in the wild map to the dotted Zeek name
_KEY_ALIASES: dict[str, str] = {
    "id_orig_h": "id.orig_h",
    "src_ip": "id.orig_h",
    "src": "id.orig_h",
    "id_orig_p": "id.orig_p",
    "src_port": "id.orig_p",
    "id_resp_h": "id.resp_h",
    "dest_ip": "id.resp_h",
    "dst": "id.resp_h",
    "id_resp_p": "id.resp_p",
    "dest_port": "id.resp_p",
}


def _decode_separator(value: str) -> str:
    """A ``#separator`` value with its ``\\xHH`` escapes decoded; :class:`MalformedLine` for a bad escape or none."""
    try:
        decoded = value.encode("ascii", "backslashreplace").decode("unicode_escape") if "\\x" in value else value
    except UnicodeDecodeError:
        raise MalformedLine(f"bad #separator escape: {value[:100]!r}") from None
    if not decoded:
        raise MalformedLine("empty #separator")
    return decoded


def _log_type(record: Mapping[str, Any], path: str | None) -> str | None:
    if path:
        base = path.split("_")[0].split(".")[0].lower()
        return base if base in {"http", "ssl", "quic", "dns", "conn"} else None
    if "query" in record and ("qtype" in record or "qtype_name" in record or "trans_id" in record):
        return "dns"
    if "client_initial_dcid" in record:
        return "quic"
    if "server_name" in record or "cipher" in record:
        return "ssl"
    if "method" in record or "uri" in record or "trans_depth" in record:
        return "http"
    if "conn_state" in record or "orig_bytes" in record:
        return "conn"
    return None


class ZeekParser(LogParser):
    """Zeek TSV and JSON logs (http/ssl/quic/dns/conn), see the module docstring for sources.

    Options: ``allow_masked_timestamps`` (bool, default False), ``path`` (force the log type, e.g. when a JSON file
    holds only one log kind whose keys are ambiguous), ``separator`` (TSV separator before any header).
    """

    name = "zeek"
    label = "Zeek (TSV or JSON)"
    visible = frozenset(Visible)

    def __init__(self, *, options: Mapping[str, Any] | None = None, tz: tzinfo = UTC) -> None:
        super().__init__(options=options, tz=tz)
        self.separator = _decode_separator(str(self.options.get("separator", "\t")))
        self.set_separator = ","
        self.empty_field = "(empty)"
        self.unset_field = "-"
        self.path: str | None = self.options.get("path")
        self.fields: list[str] | None = None
        self.allow_masked = bool(self.options.get("allow_masked_timestamps", False))

    # --- TSV header -------------------------------------------------------------------------------------------------
    def _directive(self, line: str) -> None:
        if line.startswith("#separator"):
            self.separator = _decode_separator(line[len("#separator") :].strip() or "\\x09")
            return
        key, _, value = line.partition(self.separator)
        if key == "#set_separator":
            self.set_separator = value
        elif key == "#empty_field":
            self.empty_field = value
        elif key == "#unset_field":
            self.unset_field = value
        elif key == "#path":
            self.path = value
        elif key == "#fields":
            self.fields = value.split(self.separator)

    def parse(self, line: str) -> ProxyEvent | None:
        if line.startswith("#"):
            self._directive(line)
            return None
        if line.lstrip().startswith("{"):
            return self._parse_json(line)
        if self.fields is None:
            raise MalformedLine("TSV data line before any #fields header")
        values = line.split(self.separator)
        if len(values) != len(self.fields):
            raise MalformedLine(f"expected {len(self.fields)} columns from #fields, got {len(values)}")
        record: dict[str, Any] = {}
        for key, value in zip(self.fields, values, strict=True):
            if value == self.unset_field:
                continue
            record[key] = "" if value == self.empty_field else value
        return self._event(record, self.path)

    def _parse_json(self, line: str) -> ProxyEvent | None:
        text = line
        if MASKED_TS in text:
            if not self.allow_masked:
                raise MalformedLine("masked timestamp (XXXXXXXXXX.XXXXXX) from a test baseline")
            text = text.replace(MASKED_TS, '"' + MASKED_TS + '"')
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            raise MalformedLine(f"invalid JSON: {exc.msg}") from None
        record = {_KEY_ALIASES.get(key, key): value for key, value in obj.items()}
        return self._event(record, obj.get("_path") or self.options.get("path"))

    # --- records ----------------------------------------------------------------------------------------------------
    def _timestamp(self, value: Any, extra: dict[str, Any]) -> datetime:
        if value == MASKED_TS:
            if not self.allow_masked:
                raise MalformedLine("masked timestamp (XXXXXXXXXX.XXXXXX) from a test baseline")
            extra["timestamp_masked"] = True
            return _EPOCH
        if value is None:
            raise MalformedLine("record without ts")
        if isinstance(value, str) and ("-" in value[:5] or "T" in value):
            return parse_iso(value.replace("Z", "+00:00"), UTC)
        return from_epoch(value)

    def _event(self, record: dict[str, Any], path: str | None) -> ProxyEvent | None:
        log = _log_type(record, path)
        if log is None:
            return None
        extra: dict[str, Any] = {"log": log}
        if "uid" in record:
            extra["uid"] = record["uid"]
        timestamp = self._timestamp(record.get("ts"), extra)
        resp_h = record.get("id.resp_h")
        common: dict[str, Any] = {
            "timestamp": timestamp,
            "src_ip": record.get("id.orig_h"),
            "dest_ip": resp_h,
            "dest_port": to_int(record.get("id.resp_p")),
            "extra": extra,
        }
        if log == "http":
            return self._http(record, common)
        if log in ("ssl", "quic"):
            host = normalise_host(record.get("server_name")) or normalise_host(resp_h)
            if host is None:
                raise MalformedLine("ssl record without server_name or responder address")
            extra["sni"] = bool(record.get("server_name"))
            for key in ("version", "cipher", "established", "client_protocol"):
                if record.get(key) not in (None, ""):
                    extra[key] = record[key]
            return ProxyEvent(host=host, kind=EventKind.QUIC if log == "quic" else EventKind.TLS, **common)
        if log == "dns":
            host = normalise_host(record.get("query"))
            if host is None:
                return None  # a DNS transaction without a question (e.g. a bare response): nothing to attribute
            for key in ("qtype_name", "rcode_name", "answers"):
                if record.get(key) not in (None, ""):
                    value = record[key]
                    extra[key] = (
                        value.split(self.set_separator) if key == "answers" and isinstance(value, str) else value
                    )
            return ProxyEvent(host=host, kind=EventKind.DNS, **common)
        # conn
        host = normalise_host(resp_h)
        if host is None:
            raise MalformedLine("conn record without id.resp_h")
        for key in ("proto", "service", "conn_state"):
            if record.get(key) not in (None, ""):
                extra[key] = record[key]
        return ProxyEvent(
            host=host,
            kind=EventKind.FLOW,
            upload_bytes=to_int(record.get("orig_bytes")),
            download_bytes=to_int(record.get("resp_bytes")),
            **common,
        )

    def _http(self, record: dict[str, Any], common: dict[str, Any]) -> ProxyEvent:
        method = record.get("method") or None
        uri = record.get("uri") or None
        host_header = record.get("host") or None
        host = host_from_url(uri) if uri and not uri.startswith("/") else None
        host = host or normalise_host(host_header) or normalise_host(common["dest_ip"])
        if host is None:
            raise MalformedLine("http record without host, absolute URI or responder address")
        if uri and (method == "CONNECT" or host_from_url(uri) is not None) and not uri.startswith("/"):
            url = uri
        elif host_header or uri:
            url = f"http://{host_header or host}{uri or '/'}"
        else:
            url = None
        if record.get("user_agent"):
            common["extra"]["user_agent"] = record["user_agent"]
        return ProxyEvent(
            host=host,
            kind=EventKind.HTTP,
            user=record.get("username") or None,
            url=url,
            method=method,
            status=to_int(record.get("status_code")),
            upload_bytes=to_int(record.get("request_body_len")),
            download_bytes=to_int(record.get("response_body_len")),
            **common,
        )

    @classmethod
    def sniff(cls, lines: list[str]) -> float:
        if any(line.startswith("#separator") for line in lines) and any(line.startswith("#fields") for line in lines):
            return 0.95
        score = 0.0
        for line in lines:
            if line.lstrip().startswith("{") and '"uid"' in line and ('"id.orig_h"' in line or '"id_orig_h"' in line):
                score = 0.9
        return score
