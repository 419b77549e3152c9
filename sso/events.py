"""Audit-log event types of single sign-on (registered in ``core.events`` by ``SsoConfig.ready()``)."""

from __future__ import annotations

from core.events import event_type_declare

_WHO = "EU AI Act Art. 12 and 26(2) (who acted, and that the people assigned to oversight hold the role)"

USER_PROVISIONED = event_type_declare(
    "sso.user.provisioned",
    "An account was created at its first single sign-on login (issuer, subject).",
    evidences=_WHO,
)
USER_ROLES_CHANGED = event_type_declare(
    "sso.user.roles_changed",
    "A single sign-on login recomputed an account's roles from the IdP's groups and they changed (added, removed).",
    evidences=_WHO,
)
USER_LOGGED_IN = event_type_declare(
    "sso.user.logged_in",
    "An account logged in with single sign-on (issuer, subject, the IdP groups and the roles they map to).",
    evidences=_WHO,
)
LOGIN_REFUSED = event_type_declare(
    "sso.login.refused",
    "A single sign-on login was refused (an ID token that failed verification, a local account, no account).",
    evidences="EU AI Act Art. 15 (resilience against attempts to gain unauthorised access)",
)
