"""ArcSight CEF over syslog (RFC 5424 framing), UDP or TCP with octet counting (RFC 6587 3.4.1).

CEF escaping (ArcSight "Implementing ArcSight CEF"): in header fields ``\\`` and ``|`` are backslash-escaped and
line breaks are not allowed; in extension values ``\\`` and ``=`` are escaped and CR/LF become ``\\r``/``\\n``;
extension keys are alphanumeric.

Shadow-AI alerts have the signature ``shadow-ai.<rule kind>`` and the syslog MSGID ``shadow-ai``; fairness-audit
findings ``audit.<finding kind>`` (``audit.failing``, ``audit.run_error``), category ``fairness-audit`` and the
MSGID ``fairness-audit``, so a SIEM can route or ignore them by either.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

from notifications.notifiers.base import (
    DEFAULT_TIMEOUT,
    AlertPayload,
    AuditFindingPayload,
    Notifier,
    NotifierError,
    Payload,
)

CEF_VENDOR = "AIGov"
CEF_PRODUCT = "AIGov"
CEF_VERSION = "1.0"
#: syslog severity per alert severity (RFC 5424 6.2.1: 2 critical, 3 error, 4 warning, 5 notice)
SYSLOG_SEVERITY = {"critical": 2, "high": 3, "medium": 4, "low": 5}
#: facility 13 = "log audit" (RFC 5424 table 1)
DEFAULT_FACILITY = 13
_KEY = re.compile(r"^[A-Za-z0-9_]+$")
#: a finding's ``msg`` is cut to this many characters: classic syslog receivers drop frames beyond a few kB
FINDING_MSG_LIMIT = 1000
#: failing metric values listed in a finding's ``msg``
MAX_METRIC_LINES = 5


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


def cef_line(payload: Payload, *, vendor: str = CEF_VENDOR, product: str = CEF_PRODUCT) -> str:
    """``CEF:0|vendor|product|version|signature|name|severity|extension`` for one alert or audit finding."""
    if isinstance(payload, AuditFindingPayload):
        return cef_finding_line(payload, vendor=vendor, product=product)
    return cef_alert_line(payload, vendor=vendor, product=product)


def _cef(vendor: str, product: str, signature: str, name: str, severity: object, fields: list[tuple[str, Any]]) -> str:
    """One CEF record: the escaped header, then the extension's ``key=value`` pairs."""
    header = "|".join(cef_header_escape(part) for part in (vendor, product, CEF_VERSION, signature, name, severity))
    return f"CEF:0|{header}|{cef_extension(fields)}"


def cef_alert_line(payload: AlertPayload, *, vendor: str = CEF_VENDOR, product: str = CEF_PRODUCT) -> str:
    return _cef(
        vendor,
        product,
        f"shadow-ai.{payload.rule_kind}",
        payload.rule_name,
        payload.severity_score,
        [
            ("rt", int(payload.last_seen.timestamp() * 1000)),
            ("start", int(payload.first_seen.timestamp() * 1000)),
            ("end", int(payload.last_seen.timestamp() * 1000)),
            ("suser", payload.subject),
            ("dhost", payload.domain),
            ("app", payload.service_name),
            ("act", "observed"),
            ("cat", "shadow-ai"),
            ("cnt", payload.count),
            ("msg", payload.summary),
            ("cs1Label", "ruleId"),
            ("cs1", payload.rule_id),
            ("cs2Label", "alertId"),
            ("cs2", payload.alert_id),
            ("cs3Label", "fingerprint"),
            ("cs3", payload.fingerprint),
            ("cs4Label", "link"),
            ("cs4", payload.link),
            ("cs5Label", "status"),
            ("cs5", payload.status),
        ],
    )


def _finding_message(payload: AuditFindingPayload) -> str:
    if payload.error:
        text = payload.error
    else:
        failing = [m.line() for m in payload.metrics if m.verdict == "fail"]
        text = f"verdict {payload.verdict}" + (": " + "; ".join(failing[:MAX_METRIC_LINES]) if failing else "")
        if len(failing) > MAX_METRIC_LINES:
            text += f"; and {len(failing) - MAX_METRIC_LINES} more"
    text = f"{payload.title}. {text}"
    return text if len(text) <= FINDING_MSG_LIMIT else text[: FINDING_MSG_LIMIT - 3] + "..."


def cef_finding_line(payload: AuditFindingPayload, *, vendor: str = CEF_VENDOR, product: str = CEF_PRODUCT) -> str:
    """The CEF line of a fairness-audit finding: signature ``audit.<kind>``, the finding kind as the name."""
    return _cef(
        vendor,
        product,
        payload.signature,
        payload.finding_kind_label,
        payload.severity_score,
        [
            ("rt", int(payload.occurred_at.timestamp() * 1000)),
            ("start", int(payload.run_slot.timestamp() * 1000)),
            ("externalId", payload.event_id),
            ("act", payload.finding_kind),
            ("cat", "fairness-audit"),
            ("outcome", "failure"),
            ("msg", _finding_message(payload)),
            ("cs1Label", "auditId"),
            ("cs1", payload.definition_id),
            ("cs2Label", "findingId"),
            ("cs2", payload.finding_id),
            ("cs3Label", "aiSystem"),
            ("cs3", payload.system_name),
            ("cs4Label", "link"),
            ("cs4", payload.link),
            ("cs5Label", "verdict"),
            ("cs5", payload.verdict or "error"),
            ("cs6Label", "legalBasis"),
            ("cs6", payload.legal_basis),
            ("cn1Label", "auditRunId"),
            ("cn1", payload.run_id),
            ("cn2Label", "aiSystemId"),
            ("cn2", payload.system_id),
        ],
    )


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

    def frame(self, payload: Payload) -> bytes:
        finding = isinstance(payload, AuditFindingPayload)
        return rfc5424_frame(
            cef_line(payload),
            severity=SYSLOG_SEVERITY.get(payload.severity, 4),
            facility=int(self.config.get("facility", DEFAULT_FACILITY)),
            hostname=str(self.config.get("hostname", "")),
            app_name=str(self.config.get("app_name", "aigov")),
            msgid="fairness-audit" if finding else "shadow-ai",
            timestamp=payload.occurred_at if isinstance(payload, AuditFindingPayload) else payload.last_seen,
        )

    def send(self, payload: Payload) -> None:
        host = str(self.config["host"])
        port = int(self.config.get("port", 514))
        protocol = str(self.config.get("protocol", "udp")).lower()
        timeout = float(self.config.get("timeout", DEFAULT_TIMEOUT))
        frame = self.frame(payload)
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
