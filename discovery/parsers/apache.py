"""Apache httpd / nginx access logs of a *forward proxy* (Common and Combined Log Format).

Layouts: Apache ``mod_log_config`` (httpd.apache.org/docs/current/mod/mod_log_config.html)
``LogFormat "%h %l %u %t \\"%r\\" %>s %b \\"%{Referer}i\\" \\"%{User-Agent}i\\"" combined`` (and ``common``
without the last two), optionally prefixed by ``%v:%p`` (``vhost_combined``); nginx ``log_format combined``
(nginx.org/en/docs/http/ngx_http_log_module.html) is the same layout. With ``mod_proxy`` the request line is
absolute-form (``GET http://host/path HTTP/1.1``) or ``CONNECT host:443 HTTP/1.1``: that gives the destination.
An origin-form request (``GET /path``) is a web-server access, not a proxied request; it is reported as
malformed unless the line has a ``%v`` virtual-host prefix (then that vhost is the host).

``%b`` is the response body size (download). Option ``trailing`` names extra space-separated fields appended after
the User-Agent, e.g. ``["upload_bytes"]`` for nginx ``$request_length`` or ``["upload_bytes", "download_bytes"]``
for Apache ``%I %O`` (mod_logio); unknown names are kept in ``extra``.
"""

from __future__ import annotations

import re
from typing import Any

from discovery.parsers.base import EventKind, LogParser, MalformedLine, ProxyEvent, Visible, parse_one
from discovery.parsers.normalise import host_from_url, none_if_empty, normalise_host, parse_clf_time, to_int

_LINE_RE = re.compile(
    r"^(?:(?P<vhost>\S+:\d+)\s+)?(?P<client>\S+)\s+(?P<ident>\S+)\s+(?P<user>\S+)\s+\[(?P<time>[^\]]+)\]\s+"
    r'"(?P<request>(?:[^"\\]|\\.)*)"\s+(?P<status>\d{3}|-)\s+(?P<bytes>\d+|-)'
    r'(?:\s+"(?P<referer>(?:[^"\\]|\\.)*)"\s+"(?P<ua>(?:[^"\\]|\\.)*)")?(?P<rest>(?:\s+\S+)*)\s*$'
)
_SQUID_TAIL_RE = re.compile(r"\s[A-Z_]+:[A-Z_]+\s*$")


class ApacheProxyParser(LogParser):
    """Apache/nginx common or combined log of a forward proxy (see module docstring for the layout).

    Options: ``trailing`` (list of names for fields after the User-Agent: ``upload_bytes``, ``download_bytes``).
    """

    name = "apache"
    label = "Apache / nginx forward-proxy access log (combined)"
    visible = frozenset({Visible.USER, Visible.SRC_IP, Visible.HOST, Visible.URL, Visible.DOWNLOAD_BYTES})

    def parse(self, line: str) -> ProxyEvent | None:
        match = _LINE_RE.match(line)
        if match is None:
            raise MalformedLine("not a common/combined log line")
        parts = match["request"].split()
        if len(parts) < 2:
            raise MalformedLine(f"bad request line: {match['request']!r}")
        method, target = parts[0], parts[1]
        host = normalise_host(target) if method == "CONNECT" else host_from_url(target)
        url: str | None = target
        extra: dict[str, Any] = {}
        if host is None:
            vhost = normalise_host(match["vhost"])
            if vhost is None:
                raise MalformedLine("origin-form request (web-server log, not a forward proxy)")
            host = vhost
            scheme = "https" if match["vhost"].endswith(":443") else "http"
            url = f"{scheme}://{host}{target}"
            extra["origin_form"] = True
        if match["ua"]:
            extra["user_agent"] = match["ua"]
        upload: int | None = None
        download = to_int(match["bytes"])
        rest = match["rest"].split()
        for name, value in zip(self.options.get("trailing", ()), rest, strict=False):
            if name == "upload_bytes":
                upload = to_int(value)
            elif name == "download_bytes":
                download = to_int(value)
            else:
                extra[name] = value
        dest_port = None
        if method == "CONNECT" and target.rsplit(":", 1)[-1].isdecimal():
            dest_port = int(target.rsplit(":", 1)[1])
        return ProxyEvent(
            timestamp=parse_clf_time(match["time"], self.tz),
            host=host,
            kind=EventKind.HTTP,
            user=none_if_empty(match["user"]),
            src_ip=match["client"],
            dest_port=dest_port,
            url=url,
            method=method,
            status=to_int(match["status"]),
            upload_bytes=upload,
            download_bytes=download,
            extra=extra,
        )

    @classmethod
    def sniff(cls, lines: list[str]) -> float:
        candidates = [line for line in lines if line.strip()]
        if not candidates:
            return 0.0
        parser = cls()
        good = clf = 0
        for line in candidates:
            if _LINE_RE.match(line) and not _SQUID_TAIL_RE.search(line):
                clf += 1
            try:
                parse_one(parser, line)
            except MalformedLine:
                continue
            good += 1
        # a web-server log still *looks* like this format: score it lower than a real proxy log
        return (0.8 * good + 0.2 * clf) / len(candidates)
