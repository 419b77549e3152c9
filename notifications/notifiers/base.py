"""The notifier contract: one small class per delivery channel (Healthchecks ``hc/integrations/<kind>``).

A notifier renders one :class:`~notifications.notifiers.message.Message` on its channel and knows nothing about what
the message is about. The topics turn their events into a ``Message``: here, for now, a shadow-AI
:class:`AlertPayload` and a fairness-audit :class:`AuditFindingPayload` (``to_message``; they move to their owning
apps). A notifier raises :class:`NotifierError` when delivery failed; ``permanent`` tells the outbox not to retry
(bad URL, 4xx), ``retry_after`` carries a server's ``Retry-After`` (429) so the next attempt waits at least that
long. Notifiers never see raw identities: a message holds the pseudonym only.
"""

from __future__ import annotations

import abc
import email.utils
import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

from notifications.notifiers.message import Message

#: seconds before an HTTP or socket delivery gives up (short: a slow receiver must not hold the alerts queue)
DEFAULT_TIMEOUT = 10.0


class NotifierError(Exception):
    """Delivery failed. ``permanent``: do not retry. ``retry_after``: the receiver asked us to wait (seconds)."""

    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.retry_after = retry_after


class Notifier(abc.ABC):
    """One channel. ``config`` is the channel's admin-edited settings; :meth:`validate_config` checks its shape."""

    kind: ClassVar[str]
    required: ClassVar[tuple[str, ...]] = ()
    #: config keys holding credentials (write-only: never shown by the API, admin or history); the first one is
    #: the channel's main secret, the one the admin's write-only field sets. See :mod:`notifications.secrets`.
    secret_keys: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = dict(config)

    @classmethod
    def validate_config(cls, config: Mapping[str, Any]) -> list[str]:
        """Problems with ``config`` (empty: fine)."""
        return [f"'{key}' is required" for key in cls.required if not config.get(key)]

    @abc.abstractmethod
    def send(self, message: Message) -> None:
        """Deliver one message, or raise :class:`NotifierError`."""


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
        # never echo the URL itself into ``last_error``: a chat webhook URL is a credential
        scheme = url.partition(":")[0][:12] if ":" in url else "none"
        raise NotifierError(f"not an http(s) URL (scheme {scheme!r})", permanent=True)
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
