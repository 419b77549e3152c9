"""Replace the evidence-pack signing key; the old public key stays trusted so old packs keep verifying."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from evidence.pack import EvidencePackError
from evidence.signing import signing_key_rotate


class Command(BaseCommand):
    help = (
        "Generate a new Ed25519 evidence-pack signing key in EVIDENCE_SIGNING_KEY_FILE (or --key-file) and keep "
        "the old public key in EVIDENCE_TRUSTED_KEYS_DIR. Publish the new key id to your auditors."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--key-file", type=Path, help="Write the new private key here (default: the configured file)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            rotation = signing_key_rotate(key_file=options["key_file"])
        except (ImproperlyConfigured, EvidencePackError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        if rotation.old_key_id:
            self.stdout.write(f"Retired key {rotation.old_key_id}: public key kept in {rotation.retired_public_key}")
        self.stdout.write(f"New signing key {rotation.new_key_id} written to {rotation.key_file} (mode 0600).")
        if options["key_file"]:
            self.stdout.write(f"Point EVIDENCE_SIGNING_KEY_FILE at {rotation.key_file} and restart web and workers.")
        else:
            self.stdout.write("Restart web and workers so they sign with the new key.")
