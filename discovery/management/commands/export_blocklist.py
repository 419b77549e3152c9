"""``manage.py export_blocklist --format F [--output PATH]``: the block list of unsanctioned AI services."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from discovery.blocklist import BlocklistFormat
from discovery.selectors import blocklist_render


class Command(BaseCommand):
    help = "Write the domains of unsanctioned AI services as a plain list, Squid ACL, PAN-OS EDL or DNS RPZ zone."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--format", dest="fmt", default="plain", choices=[f.value for f in BlocklistFormat], help="Default: plain"
        )
        parser.add_argument("--output", "-o", default="", help="File to write (default: standard output).")

    def handle(self, *args: Any, **options: Any) -> None:
        text = blocklist_render(fmt=options["fmt"])
        if not options["output"]:
            self.stdout.write(text, ending="")
            return
        path = Path(options["output"])
        if not path.parent.is_dir():
            raise CommandError(f"no such directory: {path.parent}")
        path.write_text(text, encoding="utf-8")
        lines = sum(1 for line in text.splitlines() if line and not line.startswith(("#", ";", "$", "@")))
        self.stdout.write(f"wrote {lines} entries to {path}")
