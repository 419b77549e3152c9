"""HTTP/1.x request-head parsing for the pcap reader.

Private helper of :mod:`discovery.parsers.pcap`. Pure Python, no Django imports.

* Request line, header fields, message body length rules: RFC 9112 sections 3, 5 and 6.3
  (Transfer-Encoding chunked wins over Content-Length; a request with neither has no body).
* Chunked transfer coding: RFC 9112 section 7.1.
* Request-target forms (origin, absolute, authority for CONNECT): RFC 9112 section 3.2; Host: RFC 9110 section 7.2.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: a request head larger than this is not buffered (servers commonly refuse > 8-64 KiB too)
MAX_HEAD = 64 * 1024

_REQUEST_LINE = re.compile(rb"([A-Z][A-Z0-9_-]{0,31}) (\S+) HTTP/(\d\.\d)\r?")
METHOD_PREFIX = re.compile(rb"[A-Z][A-Z0-9_-]{0,31} ")
METHOD_PARTIAL = re.compile(rb"[A-Z][A-Z0-9_-]{0,31}")
HEAD_END = re.compile(rb"\r?\n\r?\n")
_ABSOLUTE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)")


class HttpError(ValueError):
    """Not a well-formed HTTP/1.x request head."""


@dataclass(slots=True)
class RequestHead:
    method: str
    target: str
    version: str
    host_header: str | None
    content_length: int | None
    chunked: bool

    @property
    def authority(self) -> str | None:
        """The authority the request is for: absolute-form target > CONNECT target > Host header."""
        match = _ABSOLUTE.match(self.target)
        if match:
            return match.group(2).rpartition("@")[2]
        if self.method == "CONNECT":
            return self.target
        return self.host_header

    @property
    def url(self) -> str:
        """An absolute URL for the request (the CONNECT authority for tunnels)."""
        if _ABSOLUTE.match(self.target) or self.method == "CONNECT":
            return self.target
        if self.host_header:
            return f"http://{self.host_header}{self.target if self.target.startswith('/') else '/' + self.target}"
        return self.target


def normalize_host(authority: str) -> str:
    """Lower-case host without port, brackets or trailing dot (``[::1]:80`` → ``::1``, ``A.com.:8080`` → ``a.com``)."""
    host = authority.strip()
    if host.startswith("["):
        host = host[1 : host.find("]")] if "]" in host else host[1:]
    elif host.count(":") == 1:
        host = host.partition(":")[0]
    return host.rstrip(".").lower()


def parse_request_head(head: bytes) -> RequestHead:
    """Parse the request line and the header fields we need (Host, Content-Length, Transfer-Encoding)."""
    lines = head.split(b"\n")
    match = _REQUEST_LINE.fullmatch(lines[0])
    if match is None:
        raise HttpError(f"bad request line {lines[0][:80]!r}")
    host: str | None = None
    content_length: int | None = None
    chunked = False
    for raw in lines[1:]:
        line = raw.rstrip(b"\r")
        if not line:
            continue
        name, sep, value = line.partition(b":")
        if not sep:
            raise HttpError(f"bad header line {line[:80]!r}")
        key = name.strip().lower()
        text = value.strip().decode("latin-1")
        if key == b"host" and host is None:
            host = text
        elif key == b"content-length":
            try:
                content_length = int(text.split(",")[0])
            except ValueError as exc:
                raise HttpError(f"bad Content-Length {text!r}") from exc
            if content_length < 0:
                raise HttpError(f"negative Content-Length {text!r}")
        elif key == b"transfer-encoding" and text.lower().rstrip().endswith("chunked"):
            chunked = True
    method, target, version = (g.decode("latin-1") for g in match.groups())
    return RequestHead(method, target, version, host, content_length, chunked)
