"""Which channel ``config`` keys are secrets, and the three things done with them (no Django imports).

Secrets are **write-only**: they are stored in ``Channel.config`` because the notifiers need them, but nothing
renders them back. The one definition of what is secret is here:

- :data:`ALWAYS_SECRET`: keys secret on every channel kind (``secret``, ``token``, ``password`` such as an SMTP
  password, ``api_key``...);
- plus each notifier's ``secret_keys`` (:class:`notifications.notifiers.base.Notifier`): the webhook's HMAC ``secret``,
  the Splunk HEC ``token``, the Slack and Teams ``url`` (a chat webhook URL embeds its credential).

What is done with them:

- :func:`config_masked` replaces every set secret by :data:`MASK` (API responses, admin change form and read-only
  view), or by ``MASK:<tag>`` where the tag is a keyed HMAC of the value (the history rows: a diff still shows
  *that* a secret was rotated, never the secret, and the tag cannot be reversed without the server key);
- :func:`config_merge_secrets` applies a submitted config to the stored one: a secret that is missing, blank or
  still masked keeps its stored value; ``None`` removes it. So updating a channel without sending the secret
  keeps it;
- :func:`secret_keys` answers "is this key secret for this kind".
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from notifications.notifiers import NOTIFIERS

#: keys that hold credentials on any channel kind (checked case-insensitively)
ALWAYS_SECRET = frozenset({"secret", "token", "password", "api_key", "apikey", "auth", "authorization"})
#: what a set secret is shown as; a submitted value starting with it means "unchanged"
MASK = "***"
#: hex characters of the HMAC tag stored in history rows (32 bits: enough to see a rotation, useless to guess)
TAG_HEX_CHARS = 8


def secret_keys(kind: str) -> frozenset[str]:
    """The config keys of a channel of ``kind`` that are secret (lower-case): :data:`ALWAYS_SECRET` plus the
    notifier's own ``secret_keys``."""
    notifier = NOTIFIERS.get(kind)
    own = {key.lower() for key in notifier.secret_keys} if notifier is not None else set()
    return ALWAYS_SECRET | own


def primary_secret_key(kind: str) -> str | None:
    """The channel kind's main secret (what the admin's write-only field sets), or None when it has none."""
    notifier = NOTIFIERS.get(kind)
    return notifier.secret_keys[0] if notifier is not None and notifier.secret_keys else None


def is_secret(kind: str, key: str) -> bool:
    return key.lower() in secret_keys(kind)


def is_masked(value: Any) -> bool:
    """True for a value that is (a rendering of) a mask rather than a secret."""
    return isinstance(value, str) and value.startswith(MASK)


def _tag(value: Any, tag_key: bytes) -> str:
    digest = hmac.new(tag_key, repr(value).encode("utf-8"), hashlib.sha256).hexdigest()
    return f"{MASK}:{digest[:TAG_HEX_CHARS]}"


def config_masked(kind: str, config: Any, *, tag_key: bytes | None = None) -> Any:
    """``config`` with every set secret replaced by :data:`MASK` (or by a keyed ``MASK:<tag>`` with ``tag_key``).

    Empty secrets stay empty (so "not set" is visible); a value already masked stays as it is; anything that is
    not a dict is returned unchanged.
    """
    if not isinstance(config, Mapping):
        return config
    masked: dict[str, Any] = {}
    for key, value in config.items():
        if is_secret(kind, str(key)) and value not in (None, "") and not is_masked(value):
            masked[key] = _tag(value, tag_key) if tag_key is not None else MASK
        elif is_secret(kind, str(key)) and is_masked(value) and tag_key is None:
            masked[key] = MASK  # a history row's tag is not shown outside the history
        else:
            masked[key] = value
    return masked


def config_merge_secrets(kind: str, stored: Any, submitted: Any) -> Any:
    """The config to store when ``submitted`` replaces ``stored``: a secret key of ``kind`` that is absent,
    blank or masked in ``submitted`` keeps its stored value; an explicit ``None`` removes it. Non-secret keys
    are taken from ``submitted`` as they are (a missing one is removed)."""
    if not isinstance(submitted, Mapping):
        return submitted
    old = stored if isinstance(stored, Mapping) else {}
    merged: dict[str, Any] = {}
    for key, value in submitted.items():
        if not is_secret(kind, str(key)):
            merged[key] = value
        elif value is None:
            continue  # an explicit null removes the secret
        elif value == "" or is_masked(value):
            if old.get(key) not in (None, "") and not is_masked(old.get(key)):
                merged[key] = old[key]
        else:
            merged[key] = value
    for key, value in old.items():
        if key not in submitted and is_secret(kind, str(key)) and value not in (None, "") and not is_masked(value):
            merged[key] = value
    return merged


def secret_keys_set(kind: str, config: Any) -> list[str]:
    """The secret keys that hold a value in ``config`` (sorted), for "currently set: ..." hints."""
    if not isinstance(config, Mapping):
        return []
    return sorted(str(k) for k, v in config.items() if is_secret(kind, str(k)) and v not in (None, ""))
