"""Real local receivers for the delivery tests: an HTTP server and UDP/TCP syslog listeners, each in a thread.

Nothing about the protocols is mocked: notifiers open real sockets to 127.0.0.1, and the tests parse what arrived.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HTTPReceiver:
    """Records every POST; answers with the queued (status, headers) responses, then 200."""

    server: ThreadingHTTPServer
    requests: list[Received] = field(default_factory=list)
    responses: list[tuple[int, dict[str, str]]] = field(default_factory=list)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/hook"

    def respond(self, *responses: tuple[int, dict[str, str]]) -> None:
        self.responses.extend(responses)


def start_http_receiver() -> HTTPReceiver:
    receiver: HTTPReceiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            receiver.requests.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            status, headers = receiver.responses.pop(0) if receiver.responses else (200, {})
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver = HTTPReceiver(server)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    return receiver


class SyslogUDPListener:
    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(5)
        self.port = self.sock.getsockname()[1]

    def receive(self) -> bytes:
        data, _ = self.sock.recvfrom(65535)
        return data

    def close(self) -> None:
        self.sock.close()


class SyslogTCPListener:
    """Accepts connections and splits the stream by RFC 6587 octet counting."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.sock.settimeout(5)
        self.port = self.sock.getsockname()[1]
        self.messages: list[bytes] = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.done.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                buffer = b""
                while chunk := conn.recv(65536):
                    buffer += chunk
                self.messages.extend(split_octet_counted(buffer))

    def close(self) -> None:
        self.done.set()
        self.sock.close()


def split_octet_counted(buffer: bytes) -> Iterator[bytes]:
    while buffer:
        length, _, rest = buffer.partition(b" ")
        size = int(length)
        yield rest[:size]
        buffer = rest[size:]


def parse_rfc5424(frame: bytes) -> dict[str, Any]:
    """``<PRI>1 TS HOST APP PROCID MSGID SD MSG`` -> fields (SD must be NILVALUE here)."""
    text = frame.decode()
    assert text.startswith("<"), text
    pri, _, rest = text[1:].partition(">")
    version, ts, host, app, procid, msgid, sd, msg = rest.split(" ", 7)
    return {
        "pri": int(pri),
        "version": version,
        "timestamp": ts,
        "host": host,
        "app": app,
        "procid": procid,
        "msgid": msgid,
        "sd": sd,
        "msg": msg,
    }


def parse_cef(line: str) -> tuple[list[str], dict[str, str]]:
    """Split a CEF line into its 7 unescaped header fields and the unescaped extension dict."""
    assert line.startswith("CEF:"), line
    fields: list[str] = []
    current: list[str] = []
    i = 4
    while len(fields) < 7:
        ch = line[i]
        if ch == "\\":
            current.append(line[i + 1])
            i += 2
            continue
        if ch == "|":
            fields.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    extension = line[i:]
    result: dict[str, str] = {}
    key: str | None = None
    buf: list[str] = []
    j = 0
    while j < len(extension):
        ch = extension[j]
        if ch == "\\":
            nxt = extension[j + 1]
            buf.append({"n": "\n", "r": "\r"}.get(nxt, nxt))
            j += 2
            continue
        if ch == "=":
            text = "".join(buf)
            value, _, new_key = text.rpartition(" ")
            if key is not None:
                result[key] = value
            key, buf = new_key, []
        else:
            buf.append(ch)
        j += 1
    if key is not None:
        result[key] = "".join(buf)
    return fields, result
