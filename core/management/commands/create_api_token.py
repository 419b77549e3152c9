"""Ops: create an API token for an account and print it (once), e.g. for a service account or a locked-out user."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from core.exceptions import ApplicationError
from core.services import api_token_create


class Command(BaseCommand):
    help = (
        "Create an API token for USERNAME and print it: it is shown only now (only its SHA-256 is stored). "
        "The expiry defaults to API_TOKEN_DEFAULT_DAYS and may not exceed API_TOKEN_MAX_DAYS."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", required=True, help="what the token is for (shown in the token lists)")
        parser.add_argument("--days", type=int, default=None, help="days until it expires")
        parser.add_argument("--reason", default="created with manage.py create_api_token", help="for the audit log")

    def handle(self, *args: Any, username: str, name: str, days: int | None, reason: str, **options: Any) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No account named {username!r}.")
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1.")
        expires_at = timezone.now() + timedelta(days=days) if days is not None else None
        try:
            token, plaintext = api_token_create(user=user, name=name, expires_at=expires_at, actor=None, reason=reason)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stderr.write(
            f"Token {token.prefix}… ({token.name}) for {username}, expires {token.expires_at:%Y-%m-%d %H:%M %Z}. "
            "It is shown only now:"
        )
        self.stdout.write(plaintext)
