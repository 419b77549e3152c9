"""The admin's dashboards, listed at the top of the admin index for the users who may read them: each app
registers its own in ``AppConfig.ready()`` (governance its overview, alerts the security team's home), so the
shared index needs no import of the apps above it (the layers contract in pyproject.toml)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse


@dataclass(frozen=True, slots=True)
class Dashboard:
    """One landing page: its title, URL name, a line saying what it shows, the permission that may read it, and its
    place in the list (lower first)."""

    title: str
    url_name: str
    description: str
    permission: str
    order: int = 100


_DASHBOARDS: dict[str, Dashboard] = {}


def dashboard_register(dashboard: Dashboard) -> None:
    """Add (or replace, by URL name) a dashboard."""
    _DASHBOARDS[dashboard.url_name] = dashboard


def dashboards_for(user: Any) -> list[dict[str, str]]:
    """The dashboards ``user`` may read, in order: title, url and description."""
    return [
        {"title": d.title, "url": reverse(d.url_name), "description": d.description}
        for d in sorted(_DASHBOARDS.values(), key=lambda d: (d.order, d.title))
        if user.has_perm(d.permission)
    ]
