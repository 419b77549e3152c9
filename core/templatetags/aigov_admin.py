"""Admin template tags shared by the apps."""

from __future__ import annotations

from typing import Any

from django import template

from core.dashboards import dashboards_for

register = template.Library()


@register.simple_tag(takes_context=True)
def admin_dashboards(context: dict[str, Any]) -> list[dict[str, str]]:
    """``{% admin_dashboards as dashboards %}``: the registered dashboards the request's user may read."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return dashboards_for(user) if user is not None and user.is_authenticated else []
