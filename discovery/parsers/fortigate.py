"""Fortinet FortiGate / FortiOS key=value logs: traffic, UTM web filter and DNS.

Field names follow the FortiOS "Log Message Reference" (docs.fortinet.com) and Elastic's fortinet_fortigate
samples: ``date=2019-05-10 time=11:37:47 logid="0000000013" type="traffic" subtype="forward" ... eventtime=...
tz="-0800" srcip srcport dstip dstport ... action ... sentbyte rcvdbyte``; web filter ``type="utm"
subtype="webfilter" hostname="..." url="/..." catdesc action`` (unverified list); DNS (logid 54000) ``qname
qtype``. Values may or may not be quoted, several spaces may separate pairs and a syslog ``<PRI>``/device prefix may
precede them. ``sentbyte`` is the upload volume. ``eventtime`` (ns on FortiOS 6.2+, s on older) is preferred;
else ``date``+``time`` in ``tz=`` when present, otherwise in ``self.tz``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from discovery.parsers.base import EventKind, LogParser, MalformedLine, ProxyEvent, Visible
from discovery.parsers.normalise import (
    from_epoch,
    host_from_url,
    none_if_empty,
    normalise_host,
    parse_iso,
    parse_tz_offset,
    to_int,
)

_PAIR_RE = re.compile(r'(?:^|[\s>])([A-Za-z_][\w-]*)=("(?:[^"\\]|\\.)*"|\S*)')
_EXTRA_KEYS = ("logid", "subtype", "eventtype", "app", "appcat", "catdesc", "service", "policyid", "msg", "devname")


def parse_pairs(line: str) -> dict[str, str]:
    """``key=value`` / ``key="quoted value"`` pairs of one line (quotes removed, ``\\"`` unescaped)."""
    pairs: dict[str, str] = {}
    for key, value in _PAIR_RE.findall(line):
        if value.startswith('"') and value.endswith('"') and len(value) >= 2:
            value = value[1:-1].replace('\\"', '"')
        pairs[key] = value
    return pairs


class FortiGateParser(LogParser):
    """FortiGate key=value traffic, utm/webfilter and dns logs (see module docstring). Options: none."""

    name = "fortigate"
    label = "Fortinet FortiGate (key=value)"
    visible = frozenset(Visible)

    def parse(self, line: str) -> ProxyEvent | None:
        kv = parse_pairs(line)
        if "type" not in kv or ("date" not in kv and "eventtime" not in kv):
            raise MalformedLine("not a FortiGate key=value record (no type/date)")
        log_type, subtype = kv["type"], kv.get("subtype", "")
        if log_type == "traffic":
            kind = EventKind.FLOW
        elif log_type == "utm" and subtype == "webfilter":
            kind = EventKind.HTTP
        elif (log_type == "utm" and subtype == "dns") or (log_type == "dns") or "qname" in kv:
            kind = EventKind.DNS
        else:
            return None  # event/system logs and other UTM subtypes carry no destination of interest
        timestamp = self._timestamp(kv)
        url: str | None = none_if_empty(kv.get("url"))
        if kind == EventKind.DNS:
            host = normalise_host(kv.get("qname"))
        else:
            host = normalise_host(kv.get("hostname")) or (host_from_url(url) if url else None)
            host = host or normalise_host(kv.get("dstip"))
        if host is None:
            raise MalformedLine("no hostname, url, qname or dstip")
        if url is not None and url.startswith("/") and kv.get("hostname"):
            scheme = "https" if kv.get("service", "").upper() == "HTTPS" or kv.get("dstport") == "443" else "http"
            url = f"{scheme}://{kv['hostname'].lower()}{url}"
        extra: dict[str, Any] = {key: kv[key] for key in _EXTRA_KEYS if kv.get(key)}
        extra["log_type"] = log_type
        return ProxyEvent(
            timestamp=timestamp,
            host=host,
            kind=kind,
            user=none_if_empty(kv.get("user") or kv.get("srcuser") or kv.get("unauthuser")),
            src_ip=none_if_empty(kv.get("srcip")),
            dest_ip=none_if_empty(kv.get("dstip")),
            dest_port=to_int(kv.get("dstport")),
            url=url,
            upload_bytes=to_int(kv.get("sentbyte")),
            download_bytes=to_int(kv.get("rcvdbyte")),
            action=none_if_empty(kv.get("action") or kv.get("utmaction")),
            extra=extra,
        )

    def _timestamp(self, kv: dict[str, str]) -> datetime:
        if kv.get("eventtime"):
            return from_epoch(kv["eventtime"])
        if not kv.get("time"):
            raise MalformedLine("date without time")
        tz = parse_tz_offset(kv["tz"]) if kv.get("tz") else self.tz
        return parse_iso(f"{kv['date']} {kv['time']}", tz)

    @classmethod
    def sniff(cls, lines: list[str]) -> float:
        candidates = [line for line in lines if line.strip()]
        if not candidates:
            return 0.0
        hits = sum(
            1
            for line in candidates
            if "logid=" in line and "type=" in line and ("date=" in line or "eventtime=" in line)
        )
        return 0.95 * hits / len(candidates)
