"""ArcSight CEF over syslog (RFC 5424 framing), UDP or TCP with octet counting (RFC 6587 3.4.1).

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

import re
import socket
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
    """RFC 6587 octet-counting for TCP: ``MSG-LEN SP SYSLOG-MSG``."""
    return str(len(frame)).encode() + b" " + frame


class SyslogCEFNotifier(Notifier):
    """``config``: ``host``, ``port`` (514), ``protocol`` (``udp`` or ``tcp``), optional ``facility``, ``hostname``,
    ``app_name``, ``timeout``."""

    kind: ClassVar[str] = "syslog_cef"
    required = ("host",)

    @classmethod
    def validate_config(cls, config: Mapping[str, Any]) -> list[str]:
        problems = super().validate_config(config)
        if str(config.get("protocol", "udp")).lower() not in {"udp", "tcp"}:
            problems.append("'protocol' must be udp or tcp")
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

    def send(self, message: Message) -> None:
        host = str(self.config["host"])
        port = int(self.config.get("port", 514))
        protocol = str(self.config.get("protocol", "udp")).lower()
        timeout = float(self.config.get("timeout", DEFAULT_TIMEOUT))
        frame = self.frame(message)
        try:
            if protocol == "tcp":
                with socket.create_connection((host, port), timeout=timeout) as sock:
                    sock.sendall(octet_count(frame))
            elif protocol == "udp":
                family = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
                with socket.socket(family[0], socket.SOCK_DGRAM) as sock:
                    sock.settimeout(timeout)
                    sock.sendto(frame, family[4])
            else:
                raise NotifierError(f"unknown protocol {protocol!r}", permanent=True)
        except socket.gaierror as exc:
            raise NotifierError(f"cannot resolve {host}: {exc}") from exc
        except OSError as exc:
            raise NotifierError(f"syslog {protocol} {host}:{port}: {exc}") from exc
