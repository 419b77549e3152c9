"""Verify an evidence pack offline: signature, every file's hash and size, no file added or removed, trusted key,
and the RFC 3161 timestamp (TSA signature, timeStamping EKU, chain to the TSA CA) with its genTime."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from cryptography import x509
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from evidence.pack import verify_pack
from evidence.signing import public_key_check, retired_public_keys, signing_key_load, tsa_trust_anchors


class Command(BaseCommand):
    help = (
        "Verify an evidence-pack ZIP against this service's current and retired signing keys. Exits non-zero and "
        "names the failing file on any mismatch."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--trust-key",
            action="append",
            type=Path,
            default=[],
            help="Also trust this public key PEM (repeatable), e.g. one published by another organisation.",
        )
        parser.add_argument(
            "--tsa-ca",
            action="append",
            type=Path,
            default=[],
            help="Trust this TSA CA certificate PEM for manifest.tsr (repeatable), besides EVIDENCE_TSA_CA_CERT.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc}") from exc
        pems = retired_public_keys() + [p.read_bytes() for p in options["trust_key"]]
        with contextlib.suppress(ImproperlyConfigured):  # no current key: retired and given keys only
            pems.append(signing_key_load().public_key_pem)
        keyring = {public_key_check(pem): pem for pem in pems}
        try:
            anchors = tsa_trust_anchors() + [
                cert for ca in options["tsa_ca"] for cert in x509.load_pem_x509_certificates(ca.read_bytes())
            ]
        except (OSError, ValueError, ImproperlyConfigured) as exc:
            raise CommandError(f"--tsa-ca / EVIDENCE_TSA_CA_CERT: {exc}") from exc
        report = verify_pack(data, trusted_keys=keyring, tsa_anchors=anchors or None)
        if not report.ok:
            for error in report.errors:
                self.stderr.write(f"FAILED {error}")
            failed = ", ".join(report.failed_files) or path.name
            raise CommandError(f"{path.name}: verification FAILED ({len(report.errors)} problem(s)): {failed}")
        files = len((report.manifest or {}).get("files", []))
        if report.timestamp_gen_time is not None:
            anchor = "a trusted TSA CA" if report.timestamp_anchored else "the CA in the pack (NOT ANCHORED: --tsa-ca)"
            timestamp = (
                f"rfc3161, genTime {report.timestamp_gen_time.isoformat().replace('+00:00', 'Z')} by "
                f"{report.timestamp_tsa}, TSA signature valid, chains to {anchor}"
            )
        else:
            timestamp = report.timestamp_status or "none"
        self.stdout.write(
            f"{path.name}: OK - signature valid, {files} files match manifest.json, signed by trusted key "
            f"{report.key_id}, timestamp: {timestamp}"
        )
