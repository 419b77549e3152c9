"""The notifier contract: one small class per delivery channel (Healthchecks ``hc/integrations/<kind>``).

A notifier turns an :class:`AlertPayload` into one message on its channel. It raises :class:`NotifierError` when
delivery failed; ``permanent`` tells the outbox not to retry (bad URL, 4xx), ``retry_after`` carries a server's
``Retry-After`` (429) so the next attempt waits at least that long. Notifiers never see raw identities: the payload
holds the pseudonym only.
"""

from __future__ import annotations

import abc
import email.utils
import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

#: seconds before an HTTP or socket delivery gives up (short: a slow receiver must not hold the alerts queue)
DEFAULT_TIMEOUT = 10.0
#: CEF severity (0-10) per severity label
SEVERITY_SCORE = {"low": 3, "medium": 5, "high": 8, "critical": 10}


class NotifierError(Exception):
    """Delivery failed. ``permanent``: do not retry. ``retry_after``: the receiver asked us to wait (seconds)."""

    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class AlertPayload:
    """What every channel receives: stable ids, rule, severity, counts, pseudonymous subject, service, link."""

    alert_id: str
    fingerprint: str
    rule_id: str
    rule_name: str
    rule_kind: str
    severity: str
    status: str
    subject: str
    subject_kind: str
    service_slug: str
    service_name: str
    domain: str
    count: int
    first_seen: datetime
    last_seen: datetime
    summary: str
    link: str
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def severity_score(self) -> int:
        return SEVERITY_SCORE.get(self.severity, 5)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["first_seen"] = self.first_seen.isoformat()
        data["last_seen"] = self.last_seen.isoformat()
        data["severity_score"] = self.severity_score
        data["details"] = dict(self.details)
        return data

    def to_ecs(self) -> dict[str, Any]:
        """An Elastic Common Schema shaped event (``event.kind=alert``) for JSON receivers."""
        return {
            "@timestamp": self.last_seen.isoformat(),
            "event": {
                "kind": "alert",
                "category": ["network", "web"],
                "type": ["info"],
                "action": self.rule_kind,
                "severity": self.severity_score,
                "id": self.alert_id,
                "start": self.first_seen.isoformat(),
                "end": self.last_seen.isoformat(),
                "url": self.link,
            },
            "rule": {"id": self.rule_id, "name": self.rule_name},
            "user": {"id": self.subject},
            "url": {"domain": self.domain},
            "message": self.summary,
            "aigov": self.to_dict(),
        }


class Notifier(abc.ABC):
    """One channel. ``config`` is the channel's admin-edited settings; :meth:`validate_config` checks its shape."""

    kind: ClassVar[str]
    required: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = dict(config)

    @classmethod
    def validate_config(cls, config: Mapping[str, Any]) -> list[str]:
        """Problems with ``config`` (empty: fine)."""
        return [f"'{key}' is required" for key in cls.required if not config.get(key)]

    @abc.abstractmethod
    def send(self, alert_payload: AlertPayload) -> None:
        """Deliver one alert or raise :class:`NotifierError`."""


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds: delta-seconds or an HTTP date (RFC 9110 10.2.3); None when absent/invalid."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def http_post(
    url: str, body: bytes, *, headers: Mapping[str, str] | None = None, timeout: float = DEFAULT_TIMEOUT
) -> int:
    """POST ``body`` and map failures onto :class:`NotifierError`: 429 -> transient with ``retry_after``; 408 and
    5xx -> transient; other 4xx -> permanent; connection errors and timeouts -> transient."""
    if not url.startswith(("http://", "https://")):
        raise NotifierError(f"not an http(s) URL: {url[:60]!r}", permanent=True)
    request = urllib.request.Request(url, data=body, method="POST")
    for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read(1024)
            return int(response.status)
    except urllib.error.HTTPError as exc:
        code = exc.code
        detail = exc.read(300).decode("utf-8", "replace") if exc.fp is not None else ""
        message = f"HTTP {code} from receiver: {detail}".strip()
        if code == 429:
            raise NotifierError(message, retry_after=parse_retry_after(exc.headers.get("Retry-After"))) from exc
        if code == 408 or code >= 500:
            raise NotifierError(message, retry_after=parse_retry_after(exc.headers.get("Retry-After"))) from exc
        raise NotifierError(message, permanent=True) from exc
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise NotifierError(f"connection failed: {reason}") from exc


def json_bytes(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":"), sort_keys=True, default=str).encode()
