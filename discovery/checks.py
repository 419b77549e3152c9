"""System checks of discovery: the pseudonym key ring (see :mod:`discovery.pseudonyms`).

``discovery.E001`` refuses a pseudonym key derived from ``SECRET_KEY`` with DEBUG off: rotating SECRET_KEY (a routine
operation) would silently give every user a new pseudonym, so usage baselines and first-use alerts would restart
and no stored row could be re-identified. ``discovery.E002`` reports a bad ring (every process that runs checks
stops: ``migrate``, ``runserver``, ``ingest_logs``, ...). With DEBUG on the derived key only warns (W001).
"""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, Warning

GENERATE_HINT = (
    "Generate a key with `python manage.py pseudonym_key_generate` and set DISCOVERY_PSEUDONYM_KEYS to the line it "
    "prints (or write it to the file DISCOVERY_PSEUDONYM_KEYS_FILE names). Data already pseudonymised with the key "
    "derived from SECRET_KEY: `python manage.py pseudonym_key_generate --pin-derived` prints that key as a ring "
    "entry to keep it readable; then rotate to a generated key (README, 'Rotating the pseudonym key')."
)
DERIVED_MESSAGE = (
    "The pseudonym key is derived from SECRET_KEY (DISCOVERY_PSEUDONYM_KEYS is not set): rotating SECRET_KEY would "
    "silently change every pseudonym, restart usage baselines and make stored identities unreadable."
)


def pseudonym_key_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``discovery.E001`` (DEBUG off) / ``W001`` (DEBUG on): the key is derived from SECRET_KEY; ``E002``: the key
    ring cannot be read; ``W002``: the deprecated single ``DISCOVERY_PSEUDONYM_KEY`` is used."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    from discovery.pseudonyms import KEY_SOURCE_LEGACY, key_ring

    try:
        ring = key_ring()
    except ImproperlyConfigured as exc:
        return [Error(str(exc), hint=GENERATE_HINT, id="discovery.E002")]
    if ring.derived:
        if settings.DEBUG:
            return [Warning(DERIVED_MESSAGE + " Allowed with DEBUG on only.", hint=GENERATE_HINT, id="discovery.W001")]
        return [Error(DERIVED_MESSAGE, hint=GENERATE_HINT, id="discovery.E001")]
    if ring.source == KEY_SOURCE_LEGACY:
        return [
            Warning(
                "DISCOVERY_PSEUDONYM_KEY is deprecated: one secret serves every key version, so bumping "
                "DISCOVERY_PSEUDONYM_KEY_VERSION rotates nothing.",
                hint="`python manage.py pseudonym_key_generate --pin-legacy` prints it as ring entries for "
                "DISCOVERY_PSEUDONYM_KEYS; then unset DISCOVERY_PSEUDONYM_KEY and rotate to a generated key.",
                id="discovery.W002",
            )
        ]
    return []


def require_pseudonym_key() -> None:
    """Raise ``ImproperlyConfigured`` when the key ring is bad, or derived from SECRET_KEY with DEBUG off: the web,
    worker and beat processes call it at start (they run no system checks)."""
    from django.core.exceptions import ImproperlyConfigured

    for message in pseudonym_key_check():
        if message.is_serious():
            raise ImproperlyConfigured(f"{message.msg} {message.hint}")
