"""The registry of audit-log event types: every ``AuditLogEntry.event_type`` the service writes is declared here.

Each app declares its event types at module level in ``<app>/events.py`` with :func:`event_type_declare` (which
returns the name, so the module's constants are what the services pass to ``audit_log_record``), and its
``AppConfig.ready()`` imports that module, so the registry is complete once Django has started. A name has one
style, ``<app>.<entity>.<verb>``: the app label that writes it, the model (or domain noun) it is about in
snake_case, and a past-tense verb (``audits.audit_run.retried``, ``governance.ai_system.classified``); a compound
verb keeps the past tense at its end or start (``discovery.log_batch.samples_revealed``,
``notifications.delivery.dead_lettered``).

``core.services.audit_log_record`` refuses a name that is not registered when strict checking is on (tests and
``DEBUG``; ``AUDIT_LOG_STRICT_EVENT_TYPES``) and otherwise logs an error and writes the row anyway: see
:func:`event_type_check` for why.

Plain Python (no Django import) so the registry can be read from anywhere, settings included.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Final

logger = logging.getLogger(__name__)

#: ``<app>.<entity>.<verb>``: three lower-case snake_case parts. ``AuditLogEntry.event_type`` holds 64 characters.
NAME_PATTERN: Final = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*(?:\.[a-z][a-z0-9]*(?:_[a-z0-9]+)*){2}$")
NAME_MAX_LENGTH: Final = 64


class EventTypeError(ValueError):
    """A declaration breaks the naming rule or contradicts an earlier one."""


class UnregisteredEventType(LookupError):
    """An audit-log row was about to be written with an event type nobody declared."""


@dataclass(frozen=True, slots=True)
class EventType:
    """One kind of audit-log event.

    ``evidences`` names what the event is evidence of for an auditor (an EU AI Act article, a GDPR article, an
    internal control), empty when it is operational only.
    """

    name: str
    description: str
    evidences: str = ""

    @property
    def app_label(self) -> str:
        """The app that writes it: the first part of the name."""
        return self.name.split(".", 1)[0]


_REGISTRY: dict[str, EventType] = {}


def event_type_declare(name: str, description: str, *, evidences: str = "") -> str:
    """Register an event type and return its name (``RUN_RETRIED = event_type_declare("audits.audit_run.retried",
    ...)``). Declaring the same type twice with the same text is harmless (a module imported again); declaring a
    name twice with different text is an error, as is a name outside the ``<app>.<entity>.<verb>`` style."""
    if len(name) > NAME_MAX_LENGTH or not NAME_PATTERN.match(name):
        raise EventTypeError(
            f"event type {name!r} is not '<app>.<entity>.<verb>' in lower snake_case (at most {NAME_MAX_LENGTH} chars)"
        )
    if not description.strip():
        raise EventTypeError(f"event type {name!r} needs a one-line description")
    declared = EventType(name=name, description=description.strip(), evidences=evidences.strip())
    existing = _REGISTRY.get(name)
    if existing is not None and existing != declared:
        raise EventTypeError(f"event type {name!r} declared twice with different descriptions")
    _REGISTRY[name] = declared
    return name


def event_type_get(name: str) -> EventType | None:
    """The declaration of ``name``, or ``None`` when it is not registered."""
    return _REGISTRY.get(name)


def event_type_list() -> list[EventType]:
    """Every registered event type, sorted by name."""
    return [_REGISTRY[name] for name in sorted(_REGISTRY)]


def event_type_choices() -> list[tuple[str, str]]:
    """``(name, name)`` pairs for a form field or filter: the stored value is what the user reads."""
    return [(event.name, event.name) for event in event_type_list()]


def event_type_check(name: str, *, strict: bool) -> None:
    """Refuse (``strict``) or report an event type that is not registered.

    Strict in tests and development, so a misspelt or undeclared name fails the test that writes it. In production
    the row is still written and an error is logged instead: the audit log is evidence, the domain change it
    records is committing in the same transaction, and raising there would either roll back the user's change over
    a naming slip or, where a caller catches errors, silently drop the row. A row under a wrong name can be
    renamed by a migration later; a row that was never written cannot be recovered.
    """
    if name in _REGISTRY:
        return
    if strict:
        raise UnregisteredEventType(
            f"audit-log event type {name!r} is not registered: declare it in the writing app's events.py "
            "with core.events.event_type_declare"
        )
    logger.error("audit-log event type %r is not registered; the entry is written anyway", name)


#: Old name -> new name of the one-style rename (core migration 0004): the names rows written before it carry.
#: Frozen history: a later rename gets its own mapping and migration rather than an edit here, so migrating back
#: and forth through 0004 always means the same thing. Injective, so the migration reverses exactly.
RENAMED_2026_ONE_STYLE: Final[dict[str, str]] = {
    "audit_run.scheduled": "audits.audit_run.scheduled",
    "audit_run.requested": "audits.audit_run.requested",
    "audit_run.retried": "audits.audit_run.retried",
    "audit_run.succeeded": "audits.audit_run.succeeded",
    "audit_run.failed": "audits.audit_run.failed",
    "finding.opened": "audits.finding.opened",
    "evidence_pack.requested": "evidence.pack.requested",
    "evidence_pack.built": "evidence.pack.built",
    "evidence_pack.failed": "evidence.pack.failed",
    "evidence_pack.downloaded": "evidence.pack.downloaded",
    "governance.transition": "governance.ai_system.transitioned",
    "governance.classify": "governance.ai_system.classified",
    "governance.obligation_reminder": "governance.obligation.reminder_sent",
}

#: Old name -> new name when alerting and the outbox left the discovery app for ``alerts`` and ``notifications``
#: (core migration 0005). Frozen like the mapping above; injective.
RENAMED_2026_ALERTS_APP: Final[dict[str, str]] = {
    "discovery.alert.raised": "alerts.alert.raised",
    "discovery.alert.transitioned": "alerts.alert.transitioned",
    "discovery.alert.assigned": "alerts.alert.assigned",
    "discovery.alert.commented": "alerts.alert.commented",
    "discovery.silence.created": "alerts.silence.created",
    "discovery.audit_finding.queued": "notifications.delivery.queued",
    "discovery.alert_delivery.dead_lettered": "notifications.delivery.dead_lettered",
    "discovery.alert_delivery.resent": "notifications.delivery.resent",
}


# --- core's own event types ----------------------------------------------------------------------------------------

USER_DEACTIVATED = event_type_declare(
    "core.user.deactivated",
    "An account was deactivated (it can no longer log in; its name stays on the trail).",
    evidences="EU AI Act Art. 12 (who acted stays identifiable)",
)
AUDIT_LOG_EVENT_TYPES_RENAMED = event_type_declare(
    "core.audit_log.event_types_renamed",
    "A migration relabelled audit-log rows to new event-type names (which names, how many rows).",
    evidences="EU AI Act Art. 12 (the record-keeping itself stays traceable)",
)

# --- identity: API tokens and MFA (issue 18) -------------------------------------------------------------------------

API_TOKEN_CREATED = event_type_declare(
    "core.api_token.created",
    "An API token was created for an account (name, prefix, expiry; never the secret).",
    evidences="EU AI Act Art. 12 (who can act through the API, since when)",
)
API_TOKEN_REVOKED = event_type_declare(
    "core.api_token.revoked",
    "An API token was revoked (by its owner, a superuser or an operator).",
    evidences="EU AI Act Art. 12 (access withdrawn, by whom)",
)
API_TOKEN_LEGACY_MIGRATED = event_type_declare(
    "core.api_token.legacy_migrated",
    "A migration moved DRF authtoken keys (stored in plaintext) to hashed API tokens with an expiry.",
    evidences="EU AI Act Art. 12 (the change of credential storage stays traceable)",
)
MFA_DEVICE_ENROLLED = event_type_declare(
    "core.mfa_device.enrolled",
    "An account confirmed a TOTP authenticator (second factor) and received backup codes.",
    evidences="EU AI Act Art. 15 (cybersecurity: access control)",
)
MFA_DEVICE_RESET = event_type_declare(
    "core.mfa_device.reset",
    "An account's second-factor devices were removed (it must enrol again).",
    evidences="EU AI Act Art. 15 (cybersecurity: access control)",
)
