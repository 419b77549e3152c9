"""Suricata EVE JSON: tls, quic, http, dns (v2 and v3) and flow events.

Field names follow the Suricata user guide "Eve JSON Format" (``doc/userguide/output/eve/eve-json-format.rst``)
and ``etc/schema.json`` (OISF/suricata master): common ``timestamp`` (ISO-8601 with offset), ``event_type``,
``src_ip``/``src_port``/``dest_ip``/``dest_port``, ``proto``, ``app_proto``, ``flow_id``; ``tls.sni``;
``quic.sni``; ``http.hostname``/``url``/``http_method``/``status``/``length``; ``flow.bytes_toserver``/
``bytes_toclient``.

DNS comes in two layouts. v2 (Suricata 7 default): ``{"dns": {"type": "query", "rrname": ...}}`` for requests and
``"type": "answer"`` for responses. v3 (Suricata 8 default): ``{"dns": {"version": 3, "type": "request",
"queries": [{"rrname": ...}]}}``, where a ``response`` carries the *responder* as ``src_ip``. Only requests are
turned into events (the first query name; any others go to ``extra``); responses are skipped so that hosts are
not counted twice and the v3 address swap never attributes a lookup to the DNS server. Other event types (alert,
fileinfo, stats ...) are skipped.
"""

from __future__ import annotations

import json
from typing import Any

from discovery.parsers.base import EventKind, LogParser, MalformedLine, ProxyEvent, Visible
from discovery.parsers.normalise import host_from_url, normalise_host, parse_iso, to_int

_REQUEST_BODY_KEYS = ("request_body_len", "request_length", "http_request_body_len")


class SuricataEveParser(LogParser):
    """Suricata EVE JSON lines (see module docstring for the documented layout). No options."""

    name = "suricata"
    label = "Suricata EVE JSON"
    visible = frozenset({Visible.SRC_IP, Visible.HOST, Visible.URL, Visible.UPLOAD_BYTES, Visible.DOWNLOAD_BYTES})

    def parse(self, line: str) -> ProxyEvent | None:
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise MalformedLine(f"invalid JSON: {exc.msg}") from None
        if not isinstance(obj, dict) or "event_type" not in obj:
            raise MalformedLine("not an EVE record (no event_type)")
        kind = obj["event_type"]
        if kind not in ("tls", "quic", "http", "dns", "flow"):
            return None
        if "timestamp" not in obj:
            raise MalformedLine("EVE record without timestamp")
        common: dict[str, Any] = {
            "timestamp": parse_iso(str(obj["timestamp"]), self.tz),
            "src_ip": obj.get("src_ip"),
            "dest_ip": obj.get("dest_ip"),
            "dest_port": to_int(obj.get("dest_port")),
            "extra": {"event_type": kind, **({"flow_id": obj["flow_id"]} if "flow_id" in obj else {})},
        }
        if obj.get("app_proto"):
            common["extra"]["app_proto"] = obj["app_proto"]
        body = obj.get(kind)
        if kind != "flow" and not isinstance(body, dict):
            raise MalformedLine(f"{kind} event without a {kind!r} object")
        if kind in ("tls", "quic"):
            assert isinstance(body, dict)
            host = normalise_host(body.get("sni")) or normalise_host(obj.get("dest_ip"))
            if host is None:
                raise MalformedLine(f"{kind} event without sni or dest_ip")
            common["extra"]["sni"] = bool(body.get("sni"))
            if body.get("version"):
                common["extra"]["version"] = body["version"]
            return ProxyEvent(host=host, kind=EventKind.TLS if kind == "tls" else EventKind.QUIC, **common)
        if kind == "http":
            assert isinstance(body, dict)
            return self._http(body, common)
        if kind == "dns":
            assert isinstance(body, dict)
            return self._dns(body, common)
        return self._flow(obj, common)

    @staticmethod
    def _http(body: dict[str, Any], common: dict[str, Any]) -> ProxyEvent:
        url = body.get("url") or None
        hostname = body.get("hostname") or None
        host = (host_from_url(url) if url and not url.startswith("/") else None) or normalise_host(hostname)
        host = host or normalise_host(common["dest_ip"])
        if host is None:
            raise MalformedLine("http event without hostname or dest_ip")
        if url and url.startswith("/"):
            port = body.get("http_port")
            netloc = f"{hostname or host}:{port}" if port and port not in (80, 443) else (hostname or host)
            url = f"http://{netloc}{url}"
        if body.get("http_user_agent"):
            common["extra"]["user_agent"] = body["http_user_agent"]
        upload = next((to_int(body[key]) for key in _REQUEST_BODY_KEYS if key in body), None)
        return ProxyEvent(
            host=host,
            kind=EventKind.HTTP,
            url=url,
            method=body.get("http_method"),
            status=to_int(body.get("status")),
            upload_bytes=upload,
            download_bytes=to_int(body.get("length")),
            **common,
        )

    @staticmethod
    def _dns(body: dict[str, Any], common: dict[str, Any]) -> ProxyEvent | None:
        dns_type = body.get("type")
        if dns_type in ("answer", "response"):
            return None
        if "queries" in body:  # v3
            names = [q.get("rrname") for q in body["queries"] if isinstance(q, dict)]
            rrtypes = [q.get("rrtype") for q in body["queries"] if isinstance(q, dict)]
            common["extra"]["dns_version"] = body.get("version", 3)
        elif dns_type == "query" or "rrname" in body:  # v2 (and v1)
            names, rrtypes = [body.get("rrname")], [body.get("rrtype")]
            common["extra"]["dns_version"] = body.get("version", 2)
        else:
            raise MalformedLine("dns event without rrname or queries")
        hosts = [(host, rrtype) for host, rrtype in zip(map(normalise_host, names), rrtypes, strict=True) if host]
        if not hosts:
            raise MalformedLine("dns request without a query name")
        # real resolvers send one question per query; any further ones are kept, not turned into extra events
        host, rrtype = hosts[0]
        if rrtype:
            common["extra"]["rrtype"] = rrtype
        if len(hosts) > 1:
            common["extra"]["other_queries"] = [h for h, _ in hosts[1:]]
        return ProxyEvent(host=host, kind=EventKind.DNS, **common)

    @staticmethod
    def _flow(obj: dict[str, Any], common: dict[str, Any]) -> ProxyEvent:
        flow = obj.get("flow")
        if not isinstance(flow, dict):
            raise MalformedLine("flow event without a 'flow' object")
        host = normalise_host(obj.get("dest_ip"))
        if host is None:
            raise MalformedLine("flow event without dest_ip")
        for key in ("state", "reason", "proto"):
            value = flow.get(key) if key != "proto" else obj.get("proto")
            if value is not None:
                common["extra"][key] = value
        return ProxyEvent(
            host=host,
            kind=EventKind.FLOW,
            upload_bytes=to_int(flow.get("bytes_toserver")),
            download_bytes=to_int(flow.get("bytes_toclient")),
            **common,
        )

    @classmethod
    def sniff(cls, lines: list[str]) -> float:
        hits = [line for line in lines if line.lstrip().startswith("{") and '"event_type"' in line]
        return 0.95 if hits else 0.0
