"""HTTP/1.x request-head parsing for the pcap reader.

Decoder of the :mod:`discovery.parsers.pcap` package. Pure Python, no Django imports.

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
#: lengths of b"host", b"content-length", b"transfer-encoding"
_FIELD_NAME_LENGTHS = frozenset({4, 14, 17})
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
        match = None if self.target.startswith("/") else _ABSOLUTE.match(self.target)  # origin form: the usual case
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


def find_head_end(data: bytes | bytearray, start: int = 0, end: int | None = None) -> tuple[int, int] | None:
    """``(start, end)`` of the first empty line ending a request head in ``data[start:end]`` (:data:`HEAD_END`'s
    leftmost match, found with two ``find`` calls instead of a regex tried at every position); ``None`` if none."""
    if end is None:
        end = len(data)
    lf = data.find(b"\n\n", start, end)
    crlf = data.find(b"\n\r\n", start, end)
    if lf >= 0 and (crlf < 0 or lf < crlf):
        first, stop = lf, lf + 2
    elif crlf >= 0:
        first, stop = crlf, crlf + 3
    else:
        return None
    if first > start and data[first - 1] == 0x0D:  # the CR of the line that the empty line ends
        first -= 1
    return first, stop


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
        colon = raw.find(b":")
        if colon < 0:
            line = raw.rstrip(b"\r")
            if line:
                raise HttpError(f"bad header line {line[:80]!r}")
            continue
        key = raw[:colon].strip()
        if len(key) not in _FIELD_NAME_LENGTHS:  # not one of the three fields read here
            continue
        key = key.lower()
        if key == b"host":
            if host is None:
                host = raw[colon + 1 :].strip().decode("latin-1")
        elif key == b"content-length":
            text = raw[colon + 1 :].strip().decode("latin-1")
            try:
                content_length = int(text.split(",")[0])
            except ValueError as exc:
                raise HttpError(f"bad Content-Length {text!r}") from exc
            if content_length < 0:
                raise HttpError(f"negative Content-Length {text!r}")
        elif key == b"transfer-encoding" and raw[colon + 1 :].strip().decode("latin-1").lower().rstrip().endswith(
            "chunked"
        ):
            chunked = True
    method, target, version = match.groups()
    return RequestHead(
        method.decode("latin-1"), target.decode("latin-1"), version.decode("latin-1"), host, content_length, chunked
    )
