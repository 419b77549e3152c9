"""Zscaler Internet Access NSS web logs: CSV with an admin-defined field template, or JSON.

Field names and the default web feed order come from Zscaler's help page "NSS Feed Output Format: Web Logs"
(help.zscaler.com) as confirmed by Elastic's ``zscaler_zia`` web sample: ``%s{time}``, ``%s{login}``,
``%s{proto}``, ``%s{eurl}`` (URL without scheme, ``%HH``-escaped), ``%s{action}``, ``%s{appname}``,
``%s{appclass}``, ``%d{reqsize}`` (request incl. headers: **upload**), ``%d{respsize}``, ... ``%s{cip}``,
``%s{sip}``, ``%s{reqmethod}``, ``%s{respcode}``, ``%s{ua}`` ... ``%s{devicehostname}``.
``time`` looks like ``Mon Jun 20 15:29:11 2022`` without a zone: it is read in ``self.tz`` (the feed's configured
time zone); ``epochtime`` is preferred when the template has it.

Because the feed format is admin-defined, option ``fields`` accepts either the template string
(``"%s{time}","%s{login}",...``) or a list of field names. JSON lines may be flat or wrapped as NSS's
``{"sourcetype": "zscalernss-web", "event": {...}}``; their keys are the template field names.
"""

from __future__ import annotations

import json
import re
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
    unescape_percent,
)

#: the 33-field default web feed order from the reference, plus the unverified 34th ``keyprotectiontype``
DEFAULT_FIELDS: tuple[str, ...] = (
    "time", "login", "proto", "eurl", "action", "appname", "appclass", "reqsize", "respsize", "stime", "ctime",
    "urlclass", "urlsupercat", "urlcat", "malwarecat", "threatname", "riskscore", "dlpeng", "dlpdict", "location",
    "dept", "cip", "sip", "reqmethod", "respcode", "ua", "ereferer", "ruletype", "rulelabel", "contenttype",
    "unscannabletype", "deviceowner", "devicehostname", "keyprotectiontype",
)  # fmt: skip
_TEMPLATE_FIELD_RE = re.compile(r"%[a-z0-9]*\{([A-Za-z0-9_]+)\}")
_TIME_FORMAT = "%a %b %d %H:%M:%S %Y"
_EXTRA_KEYS = (
    "appname", "appclass", "urlcat", "urlsupercat", "urlclass", "app_risk_score", "app_status", "activity", "dept",
    "location", "devicehostname", "deviceowner", "rulelabel", "ruletype", "proto", "upload_filename", "ua",
)  # fmt: skip


def template_fields(template: str | list[str] | tuple[str, ...]) -> list[str]:
    """Field names of an NSS feed template (``"%s{time}","%d{reqsize}"``) or of a list of names."""
    if isinstance(template, list | tuple):
        return [str(name) for name in template]
    names = _TEMPLATE_FIELD_RE.findall(template)
    if not names:
        names = [name.strip().strip('"') for name in template.split(",") if name.strip()]
    return names


class ZscalerParser(LogParser):
    """Zscaler NSS web log (CSV by template, or JSON); see the module docstring for the vendor layout.

    Options: ``fields`` (template string or list of names; default: the 33-field web feed plus one),
    ``delimiter`` (CSV delimiter, default ``,``; use ``"\\t"`` for tab-separated feeds).
    """

    name = "zscaler"
    label = "Zscaler NSS web log (CSV/JSON)"
    visible = frozenset(Visible)

    def __init__(self, *, options: Mapping[str, Any] | None = None, tz: tzinfo = UTC) -> None:
        super().__init__(options=options, tz=tz)
        self.fields = template_fields(self.options.get("fields") or DEFAULT_FIELDS)
        self.required = len(self.fields) - (1 if self.fields[-1] == "keyprotectiontype" else 0)
        self.delimiter = str(self.options.get("delimiter", ","))

    def parse(self, line: str) -> ProxyEvent | None:
        if line.startswith("#"):
            return None
        if line.lstrip().startswith("{"):
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise MalformedLine(f"invalid JSON: {exc.msg}") from None
            event = obj.get("event")
            record = event if isinstance(event, dict) else obj
            return self._event({str(k): None if v is None else str(v) for k, v in record.items()})
        values = csv_row(line, self.delimiter)
        if len(values) < self.required:
            raise MalformedLine(f"expected {self.required} fields from the feed template, got {len(values)}")
        if values[0] == self.fields[0] and values[1:3] == self.fields[1:3]:
            return None  # a header row naming the fields
        return self._event(dict(zip(self.fields, values, strict=False)))

    def _timestamp(self, record: dict[str, str | None]) -> datetime:
        if (epoch := none_if_empty(record.get("epochtime"))) is not None:
            return from_epoch(epoch)
        value = none_if_empty(record.get("time") or record.get("datetime"))
        if value is None:
            raise MalformedLine("no time/epochtime field")
        if value[:4].isdigit():
            return parse_iso(value, self.tz)
        return parse_strftime(value, _TIME_FORMAT, self.tz)

    def _event(self, record: dict[str, str | None]) -> ProxyEvent:
        raw_url = none_if_empty(record.get("eurl") or record.get("url"))
        url = unescape_percent(raw_url) if raw_url else None
        host = host_from_url(url) if url else None
        host = host or normalise_host(record.get("host") or record.get("ehost") or record.get("hostname"))
        if host is None:
            raise MalformedLine("no eurl/url/host field with a host")
        extra = {key: value for key in _EXTRA_KEYS if (value := none_if_empty(record.get(key))) is not None}
        return ProxyEvent(
            timestamp=self._timestamp(record),
            host=host,
            kind=EventKind.HTTP,
            user=none_if_empty(record.get("login") or record.get("user")),
            src_ip=none_if_empty(record.get("cip") or record.get("clientip")),
            dest_ip=none_if_empty(record.get("sip") or record.get("serverip")),
            url=url,
            method=none_if_empty(record.get("reqmethod")),
            status=to_int(record.get("respcode")),
            upload_bytes=to_int(record.get("reqsize")),
            download_bytes=to_int(record.get("respsize")),
            action=none_if_empty(record.get("action")),
            extra=extra,
        )

    @classmethod
    def sniff(cls, lines: list[str]) -> float:
        candidates = [line for line in lines if line.strip() and not line.startswith("#")]
        if not candidates:
            return 0.0
        if all(line.lstrip().startswith("{") for line in candidates):
            hits = sum(1 for line in candidates if "zscalernss" in line or ('"reqsize"' in line and '"login"' in line))
            return 0.9 * hits / len(candidates)
        parser = cls()
        good = 0
        for line in candidates:
            try:
                if parse_one(parser, line) is not None:
                    good += 1
            except MalformedLine:
                continue
        return 0.85 * good / len(candidates)
