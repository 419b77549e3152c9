"""``manage.py pseudonym_key_generate [--key-version N] [--pin]``: print a pseudonym key ring entry.

Runs without a database and without system checks, so it works where the ``discovery.E001`` check stops every
other command (a production setting without a key ring).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from discovery.pseudonyms import KEY_SOURCE_RING, MAX_KEY_VERSION, key_ring, secret_encode, secret_generate


class Command(BaseCommand):
    help = (
        "Print a new pseudonym key ring entry 'version:secret' (32 random bytes, base64url) to add to "
        "DISCOVERY_PSEUDONYM_KEYS (or its _FILE). --pin prints instead the entries that reproduce the key in use "
        "when it is derived from SECRET_KEY or is the deprecated DISCOVERY_PSEUDONYM_KEY, to keep existing "
        "pseudonyms readable in the ring."
    )
    requires_system_checks: list[str] = []  # the checks refuse exactly the configuration this command repairs

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--key-version",
            dest="key_version",
            type=int,
            default=None,
            help="Key version of the new entry (default: one above the highest version configured).",
        )
        parser.add_argument(
            "--pin",
            action="store_true",
            help="Print the configured derived (SECRET_KEY) or legacy (DISCOVERY_PSEUDONYM_KEY) key as ring entries.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            ring = key_ring()
        except ImproperlyConfigured as exc:
            if options["pin"] or options["key_version"] is None:
                raise CommandError(f"{exc} (give --key-version N to generate an entry anyway)") from exc
            ring = None
        if options["pin"]:
            assert ring is not None
            if ring.source == KEY_SOURCE_RING:
                raise CommandError("the key ring is configured already (DISCOVERY_PSEUDONYM_KEYS): nothing to pin")
            for version in ring.versions:
                self.stdout.write(f"{version}:{secret_encode(ring.secret(version))}")
            self.stderr.write(
                "Set DISCOVERY_PSEUDONYM_KEYS to these entries (comma-separated, or one a line in the file "
                "DISCOVERY_PSEUDONYM_KEYS_FILE names), keep DISCOVERY_PSEUDONYM_KEY_VERSION, unset "
                "DISCOVERY_PSEUDONYM_KEY; then rotate to a generated key (README, 'Rotating the pseudonym key')."
            )
            return
        version = options["key_version"]
        if version is None:
            assert ring is not None
            version = max(ring.versions, default=0) + 1
        if not 1 <= version <= MAX_KEY_VERSION:
            raise CommandError(f"--key-version must be within 1..{MAX_KEY_VERSION}")
        if ring is not None and ring.source == KEY_SOURCE_RING and version in ring.secrets:
            raise CommandError(f"key version {version} is in the key ring already: a version's secret never changes")
        self.stdout.write(f"{version}:{secret_generate()}")
        self.stderr.write(
            f"Add this entry to DISCOVERY_PSEUDONYM_KEYS (keep the older ones), set DISCOVERY_PSEUDONYM_KEY_VERSION="
            f"{version} on every process, restart, then run `python manage.py pseudonym_rotate`."
        )
