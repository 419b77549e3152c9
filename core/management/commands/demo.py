"""Load demo data: one user per role, then each app's ``<app>/demo.py``. Idempotent: safe to run twice."""

from __future__ import annotations

import importlib
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from core.roles import AUDITOR, COMPLIANCE_OFFICER, SECURITY_ANALYST

DEMO_PASSWORD = "demo-password-123"  # demo users only; printed so people can log in as each role

DEMO_USERS = {
    "alice": COMPLIANCE_OFFICER,
    "audrey": AUDITOR,
    "sam": SECURITY_ANALYST,
}

#: apps whose ``demo.load(users=...)`` runs, in dependency order
DEMO_APPS = ("governance", "audits", "discovery", "alerts", "evidence")


class Command(BaseCommand):
    help = "Load demo data (role users, AI systems, audits, log sources). Safe to run more than once."

    def handle(self, *args: Any, **options: Any) -> None:
        user_model = get_user_model()
        users: dict[str, Any] = {}
        with transaction.atomic():
            for username, role in DEMO_USERS.items():
                user, created = user_model.objects.get_or_create(username=username, defaults={"is_staff": True})
                if created:
                    user.set_password(DEMO_PASSWORD)
                    user.save()
                user.groups.add(Group.objects.get(name=role))
                users[username] = user
        for app in DEMO_APPS:
            # each app's loader commits its own steps, so a long one (log ingestion, audit runs) shows progress
            importlib.import_module(f"{app}.demo").load(users=users)
            self.stdout.write(f"  {app}: demo data loaded")
        listing = ", ".join(f"{u} ({r})" for u, r in DEMO_USERS.items())
        self.stdout.write(f"Demo data loaded. Role users (password {DEMO_PASSWORD!r}): {listing}")
