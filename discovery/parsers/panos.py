"""Palo Alto Networks PAN-OS traffic and URL-filtering (threat, subtype ``url``) logs in CSV syslog form.

Positions follow the PAN-OS 9.1 Administrator's Guide "Syslog Field Descriptions": "Traffic Log Fields" and
"Threat Log Fields" (1-based): 2 Receive Time, 3 Serial, 4 Type, 5 Subtype, 7 Generated Time, 8 Source
Address, 9 Destination Address, 12 Rule, 13 Source User, 15 Application, 23 Session ID, 25/26 ports, 30
Protocol, 31 Action; traffic 32 Bytes, 33 Bytes Sent (client to server: **upload**), 34 Bytes Received,
38 Category; threat 32 URL/Filename (no scheme), 34 Category, 47 User Agent, 49 X-Forwarded-For, 50 Referer.
URL logs carry no byte counts (join to traffic on Session ID). An optional syslog header (``<14>Nov 30 16:09:08
PA-220 ``, RFC 3164 or 5424) before the CSV is skipped. Times are the firewall's local time: ``self.tz``.
Other log types (SYSTEM, CONFIG, threat subtypes other than url) are skipped.
"""

from __future__ import annotations

import re
from typing import Any

from discovery.parsers.base import EventKind, LogParser, MalformedLine, ProxyEvent, Visible
from discovery.parsers.normalise import csv_row, host_from_url, none_if_empty, normalise_host, parse_strftime, to_int

_CSV_START_RE = re.compile(r"(?:^|[\s>])([^,\s]*,\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2},[^,]*,[A-Z]+,)")
_TIME_FORMAT = "%Y/%m/%d %H:%M:%S"
_TRAFFIC_MIN_FIELDS = 34
_THREAT_MIN_FIELDS = 34


class PanOSParser(LogParser):
    """PAN-OS CSV syslog: TRAFFIC and THREAT/url records (see module docstring for the documented positions).

    Options: none (time zone via ``tz``).
    """

    name = "panos"
    label = "Palo Alto Networks PAN-OS (traffic / URL)"
    visible = frozenset(Visible)

    def parse(self, line: str) -> ProxyEvent | None:
        match = _CSV_START_RE.search(line)
        if match is None:
            raise MalformedLine("no PAN-OS CSV record (FUTURE_USE,receive time,serial,type,...)")
        fields = csv_row(line[match.start(1) :])
        log_type, subtype = fields[3], fields[4]
        if log_type == "TRAFFIC":
            if len(fields) < _TRAFFIC_MIN_FIELDS:
                raise MalformedLine(f"traffic record with {len(fields)} fields, expected >= {_TRAFFIC_MIN_FIELDS}")
            return self._traffic(fields)
        if log_type == "THREAT" and subtype == "url":
            if len(fields) < _THREAT_MIN_FIELDS:
                raise MalformedLine(f"url record with {len(fields)} fields, expected >= {_THREAT_MIN_FIELDS}")
            return self._url(fields)
        return None

    def _common(self, f: list[str]) -> dict[str, Any]:
        extra: dict[str, Any] = {
            "log_type": f[3],
            "subtype": f[4],
            "serial": f[2],
            "rule": f[11],
            "application": f[14],
            "session_id": f[22],
        }
        return {
            "timestamp": parse_strftime(f[6] or f[1], _TIME_FORMAT, self.tz),
            "user": none_if_empty(f[12]),
            "src_ip": none_if_empty(f[7]),
            "dest_ip": none_if_empty(f[8]),
            "dest_port": to_int(f[25]),
            "action": none_if_empty(f[30]),
            "extra": extra,
        }

    def _traffic(self, f: list[str]) -> ProxyEvent:
        common = self._common(f)
        host = normalise_host(f[8])
        if host is None:
            raise MalformedLine("traffic record without destination address")
        if len(f) > 37 and f[37]:
            common["extra"]["category"] = f[37]
        return ProxyEvent(
            host=host,
            kind=EventKind.FLOW,
            upload_bytes=to_int(f[32]),
            download_bytes=to_int(f[33]),
            **common,
        )

    def _url(self, f: list[str]) -> ProxyEvent:
        common = self._common(f)
        url = none_if_empty(f[31])
        host = host_from_url(url) or normalise_host(f[8])
        if host is None:
            raise MalformedLine("url record without URL or destination address")
        if f[33]:
            common["extra"]["category"] = f[33]
        if len(f) > 46 and f[46]:
            common["extra"]["user_agent"] = f[46]
        return ProxyEvent(host=host, kind=EventKind.HTTP, url=url, **common)

    @classmethod
    def sniff(cls, lines: list[str]) -> float:
        candidates = [line for line in lines if line.strip()]
        if not candidates:
            return 0.0
        hits = 0
        for line in candidates:
            match = _CSV_START_RE.search(line)
            if match and (",TRAFFIC," in match.group(1) or ",THREAT," in match.group(1) or line.count(",") > 30):
                hits += 1
        return 0.9 * hits / len(candidates)
