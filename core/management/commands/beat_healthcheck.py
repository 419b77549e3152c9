"""Health check of the celery beat process (docker-compose.yml ``beat`` service): did it tick recently?"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.beat import DEFAULT_MAX_AGE, beat_heartbeat_age, beat_heartbeat_path


class Command(BaseCommand):
    help = (
        "Exit 0 when celery beat ticked within --max-age seconds (its scheduler touches BEAT_HEARTBEAT_FILE on every "
        "tick), else print why and exit 1."
    )
    # a health check runs every minute: it needs no database and no system checks
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--max-age", type=float, default=DEFAULT_MAX_AGE, help="seconds (default %(default)s)")

    def handle(self, *args: Any, max_age: float, **options: Any) -> None:
        path = beat_heartbeat_path()
        age = beat_heartbeat_age(path)
        if age is None:
            raise CommandError(f"beat has not ticked: no heartbeat file {path}")
        if age > max_age:
            raise CommandError(f"beat last ticked {age:.0f}s ago (more than {max_age:.0f}s): {path}")
        self.stdout.write(f"beat ok: last tick {age:.1f}s ago")
