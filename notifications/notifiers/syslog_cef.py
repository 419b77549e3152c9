"""ArcSight CEF over syslog (RFC 5424 framing): UDP, TCP with octet counting (RFC 6587 3.4.1), or TLS (RFC 5425).

Over TLS (``"protocol": "tls"``, port 6514 by default) each frame is octet-counted as RFC 5425 4.3 requires
(``MSG-LEN SP SYSLOG-MSG``). The receiver's certificate is always verified, against ``ca_file`` (a PEM bundle; the
system trust store when unset), and so is its name (``server_name``, default ``host``) unless ``check_hostname`` is
false; ``client_cert_file``/``client_key_file`` add a client certificate for mutual TLS. TLS 1.2 is the minimum
(RFC 9662). A refused certificate or a failed handshake is a transient error, retried by the outbox (the receiver
may be mid-renewal); a CA, certificate or key file that cannot be loaded is a permanent one (fix the channel).
Syslog has no acknowledgement: over TLS 1.3 a receiver refuses a client certificate only after the client's
handshake, so with a client certificate configured each send first waits up to :data:`CLIENT_AUTH_REFUSAL_WAIT`
for that refusal; a receiver that demands a certificate from a channel configured without one is noticed only if
its alert arrives before the close_notify exchange ends.

CEF escaping (ArcSight "Implementing ArcSight CEF"): in header fields ``\\`` and ``|`` are backslash-escaped and
line breaks are not allowed; in extension values ``\\`` and ``=`` are escaped and CR/LF become ``\\r``/``\\n``;
extension keys are alphanumeric.

One record per :class:`~notifications.notifiers.message.Message`: the header's signature, name and severity are the
message's; the extension has ``rt`` (when it happened), ``start``/``end`` (when it has a span), ``externalId``
(the event id), ``cat`` (the category), ``msg`` (the summary, bounded), ``request`` (the link), then the topic's
own pairs (:attr:`~notifications.notifiers.message.Message.cef`), which win over the generic ones. The syslog MSGID is
the category (else the topic), so a SIEM can route or ignore events by either: shadow-AI alerts have the signature
``shadow-ai.<rule kind>`` and category ``shadow-ai``, fairness-audit findings ``audit.<finding kind>`` and
``fairness-audit``.
"""

from __future__ import annotations

import contextlib
import re
import select
import socket
import ssl
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

from notifications.notifiers.base import DEFAULT_TIMEOUT, Notifier, NotifierError
from notifications.notifiers.message import Message, shorten

CEF_VENDOR = "AIGov"
CEF_PRODUCT = "AIGov"
CEF_VERSION = "1.0"
#: syslog severity per alert severity (RFC 5424 6.2.1: 2 critical, 3 error, 4 warning, 5 notice)
SYSLOG_SEVERITY = {"critical": 2, "high": 3, "medium": 4, "low": 5}
#: facility 13 = "log audit" (RFC 5424 table 1)
DEFAULT_FACILITY = 13
_KEY = re.compile(r"^[A-Za-z0-9_]+$")
#: ``msg`` is cut to this many characters: classic syslog receivers drop frames beyond a few kB
MSG_LIMIT = 1000
PROTOCOLS = ("udp", "tcp", "tls")
#: RFC 5426 (udp) and RFC 6587 (tcp) use 514; RFC 5425 registers 6514 for syslog over TLS
DEFAULT_PORTS = {"udp": 514, "tcp": 514, "tls": 6514}
#: config keys that apply to ``protocol: tls`` only
TLS_FILE_KEYS = ("ca_file", "client_cert_file", "client_key_file")
TLS_KEYS = (*TLS_FILE_KEYS, "server_name", "check_hostname")
#: seconds to wait, with a client certificate over TLS 1.3, for the receiver to refuse it before sending: TLS 1.3
#: servers check the client certificate after the client's handshake is done, and tell with an alert one round trip
#: later; without waiting, a refused message would count as delivered (syslog receivers never answer otherwise)
CLIENT_AUTH_REFUSAL_WAIT = 1.0


def cef_header_escape(value: object) -> str:
    text = str(value).replace("\\", "\\\\").replace("|", "\\|")
    return text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")


def cef_value_escape(value: object) -> str:
    text = str(value).replace("\\", "\\\\").replace("=", "\\=")
    return text.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\r")


def cef_extension(pairs: Iterable[tuple[str, object]]) -> str:
    out = []
    for key, value in pairs:
        if not _KEY.match(key):
            raise ValueError(f"invalid CEF extension key {key!r}")
        if value is None or value == "":
            continue
        out.append(f"{key}={cef_value_escape(value)}")
    return " ".join(out)


def _millis(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def cef_line(message: Message, *, vendor: str = CEF_VENDOR, product: str = CEF_PRODUCT) -> str:
    """``CEF:0|vendor|product|version|signature|name|severity|extension`` for one message."""
    pairs: dict[str, object] = {"rt": _millis(message.occurred_at)}
    if message.start is not None:
        pairs["start"] = _millis(message.start)
        pairs["end"] = _millis(message.occurred_at)
    pairs["externalId"] = message.event_id
    pairs["cat"] = message.category
    pairs["msg"] = shorten(message.summary or message.title, MSG_LIMIT)
    pairs["request"] = message.link
    pairs.update(message.cef)  # the topic's pairs win (a key keeps its first position)
    header = (vendor, product, CEF_VERSION, message.signature, message.name, message.severity_score)
    return f"CEF:0|{'|'.join(cef_header_escape(part) for part in header)}|{cef_extension(pairs.items())}"


def _header_token(value: str, limit: int) -> str:
    """RFC 5424 header fields are PRINTUSASCII without spaces; ``-`` is NILVALUE."""
    token = "".join(ch for ch in value if 33 <= ord(ch) <= 126)[:limit]
    return token or "-"


def rfc5424_frame(
    message: str,
    *,
    severity: int,
    facility: int = DEFAULT_FACILITY,
    hostname: str = "",
    app_name: str = "aigov",
    msgid: str = "shadow-ai",
    timestamp: datetime | None = None,
) -> bytes:
    """``<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA MSG`` (no BOM: MSG-ANY)."""
    pri = facility * 8 + severity
    ts = (timestamp or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    head = " ".join(
        [
            f"<{pri}>1",
            ts,
            _header_token(hostname or socket.gethostname(), 255),
            _header_token(app_name, 48),
            "-",
            _header_token(msgid, 32),
            "-",
        ]
    )
    return f"{head} {message}".encode()


def octet_count(frame: bytes) -> bytes:
    """Octet counting, ``MSG-LEN SP SYSLOG-MSG``: RFC 6587 3.4.1 for TCP, RFC 5425 4.3 for TLS."""
    return str(len(frame)).encode() + b" " + frame


def tls_context(
    *,
    ca_file: str | None = None,
    client_cert_file: str | None = None,
    client_key_file: str | None = None,
    check_hostname: bool = True,
) -> ssl.SSLContext:
    """A client context that always verifies the receiver's chain (``ca_file``, else the system store) and, unless
    told otherwise, its name; with a client certificate for mutual TLS when given. Raises ``OSError`` or
    ``ssl.SSLError`` when a file cannot be loaded."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca_file or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = check_hostname
    context.verify_mode = ssl.CERT_REQUIRED
    if client_cert_file:
        context.load_cert_chain(client_cert_file, client_key_file or None)
    return context


def tls_send(
    data: bytes,
    *,
    host: str,
    port: int,
    context: ssl.SSLContext,
    server_name: str,
    timeout: float,
    client_auth: bool = False,
) -> None:
    """Connect, handshake, send ``data``, then close with a TLS close_notify and wait (up to ``timeout``) for the
    receiver's own, so closing never resets the connection before the receiver read the message (RFC 5425 4.4). A
    receiver's alert at any point raises ``ssl.SSLError``. With ``client_auth`` over TLS 1.3 it first waits
    :data:`CLIENT_AUTH_REFUSAL_WAIT` for a refusal of the client certificate (see there)."""
    with (
        socket.create_connection((host, port), timeout=timeout) as raw,
        context.wrap_socket(raw, server_hostname=server_name) as sock,
    ):
        if client_auth and sock.version() == "TLSv1.3":
            _await_refusal(sock, wait=min(timeout, CLIENT_AUTH_REFUSAL_WAIT))
        sock.sendall(data)
        _close_notify(sock)


def _close_notify(sock: ssl.SSLSocket) -> None:
    """Send close_notify, then read until the receiver's close_notify (or its closing the connection, or the
    timeout: the message was sent either way; only an alert is a failure)."""
    timeout = sock.gettimeout()
    sock.setblocking(False)
    try:
        sock.unwrap()  # both close_notify exchanged already
        return
    except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
        pass
    except (ssl.SSLEOFError, ssl.SSLZeroReturnError, ConnectionError):
        return
    finally:
        sock.settimeout(timeout)
    with contextlib.suppress(ssl.SSLZeroReturnError, ssl.SSLEOFError, TimeoutError, ConnectionError):
        while sock.recv(4096):
            pass


def _await_refusal(sock: ssl.SSLSocket, *, wait: float) -> None:
    """Read what the receiver sends during ``wait`` seconds: its alert raises ``ssl.SSLError``, its closing raises
    ``ConnectionError``; a session ticket (the receiver accepted us) ends the wait early."""
    deadline = time.monotonic() + wait
    previous_timeout = sock.gettimeout()
    sock.setblocking(False)
    try:
        while True:
            try:
                if sock.recv(4096) == b"":
                    raise ConnectionAbortedError("the receiver closed the connection after the TLS handshake")
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                pass
            session = sock.session
            left = deadline - time.monotonic()
            if (session is not None and session.has_ticket) or left <= 0:
                return
            select.select([sock], [], [], left)
    finally:
        sock.settimeout(previous_timeout)


class SyslogCEFNotifier(Notifier):
    """``config``: ``host``, ``port`` (514; 6514 for tls), ``protocol`` (``udp``, ``tcp`` or ``tls``), optional
    ``facility``, ``hostname``, ``app_name``, ``timeout``; for tls also ``ca_file``, ``client_cert_file``,
    ``client_key_file`` (paths on the worker), ``server_name`` (default ``host``) and ``check_hostname`` (true)."""

    kind: ClassVar[str] = "syslog_cef"
    required = ("host",)

    @classmethod
    def validate_config(cls, config: Mapping[str, Any]) -> list[str]:
        problems = super().validate_config(config)
        protocol = str(config.get("protocol", "udp")).lower()
        if protocol not in PROTOCOLS:
            problems.append("'protocol' must be udp, tcp or tls")
        if protocol != "tls":
            problems.extend(f"'{key}' applies to protocol tls only" for key in TLS_KEYS if key in config)
            return problems
        for key in (*TLS_FILE_KEYS, "server_name"):
            if key in config and not (isinstance(config[key], str) and config[key].strip()):
                problems.append(
                    f"'{key}' must be a non-empty string (a path on the worker)"
                    if key != "server_name"
                    else "'server_name' must be a non-empty string"
                )
        if "check_hostname" in config and not isinstance(config["check_hostname"], bool):
            problems.append("'check_hostname' must be true or false")
        if config.get("client_key_file") and not config.get("client_cert_file"):
            problems.append("'client_key_file' needs 'client_cert_file'")
        return problems

    def frame(self, message: Message) -> bytes:
        return rfc5424_frame(
            cef_line(message),
            severity=SYSLOG_SEVERITY.get(message.severity, 4),
            facility=int(self.config.get("facility", DEFAULT_FACILITY)),
            hostname=str(self.config.get("hostname", "")),
            app_name=str(self.config.get("app_name", "aigov")),
            msgid=message.category or message.topic,
            timestamp=message.occurred_at,
        )

    def _tls_context(self) -> ssl.SSLContext:
        files = {key: str(self.config[key]) for key in TLS_FILE_KEYS if self.config.get(key)}
        try:
            return tls_context(**files, check_hostname=bool(self.config.get("check_hostname", True)))
        except (OSError, ssl.SSLError) as exc:
            # the worker cannot read the channel's CA/certificate/key: retrying will not help, the channel needs a fix
            named = ", ".join(f"{key}={value}" for key, value in files.items()) or "the system trust store"
            raise NotifierError(f"syslog tls: cannot load {named}: {exc}", permanent=True) from exc

    def send(self, message: Message) -> None:
        host = str(self.config["host"])
        protocol = str(self.config.get("protocol", "udp")).lower()
        port = int(self.config.get("port", DEFAULT_PORTS.get(protocol, 514)))
        timeout = float(self.config.get("timeout", DEFAULT_TIMEOUT))
        frame = self.frame(message)
        try:
            if protocol == "tcp":
                with socket.create_connection((host, port), timeout=timeout) as sock:
                    sock.sendall(octet_count(frame))
            elif protocol == "tls":
                server_name = str(self.config.get("server_name") or host)
                tls_send(
                    octet_count(frame),
                    host=host,
                    port=port,
                    context=self._tls_context(),
                    server_name=server_name,
                    timeout=timeout,
                    client_auth=bool(self.config.get("client_cert_file")),
                )
            elif protocol == "udp":
                family = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
                with socket.socket(family[0], socket.SOCK_DGRAM) as sock:
                    sock.settimeout(timeout)
                    sock.sendto(frame, family[4])
            else:
                raise NotifierError(f"unknown protocol {protocol!r}", permanent=True)
        except socket.gaierror as exc:
            raise NotifierError(f"cannot resolve {host}: {exc}") from exc
        except ssl.SSLCertVerificationError as exc:
            raise NotifierError(
                f"syslog tls {host}:{port}: the receiver's certificate was refused: {exc.verify_message or exc}"
            ) from exc
        except ssl.SSLError as exc:
            raise NotifierError(f"syslog tls {host}:{port}: TLS failed: {exc.reason or exc}") from exc
        except OSError as exc:
            raise NotifierError(f"syslog {protocol} {host}:{port}: {exc}") from exc
