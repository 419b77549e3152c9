"""Charts for the discovery admin report, drawn with matplotlib's object API (``Figure``, never ``pyplot``, which
keeps global state and is not thread-safe in a web process)."""

from __future__ import annotations

import base64
import io
from collections import defaultdict
from datetime import date
from typing import Any

from discovery.choices import PolicyStatus

_COLOURS = {
    PolicyStatus.SANCTIONED: "#2e7d32",
    PolicyStatus.TOLERATED: "#f9a825",
    PolicyStatus.UNSANCTIONED: "#c62828",
}


def trend_chart_png(per_day: list[dict[str, Any]]) -> str:
    """A stacked bar chart of AI-service requests per day by policy status, as a base64 PNG (``""`` if no data)."""
    if not per_day:
        return ""
    from matplotlib.figure import Figure  # heavy: loaded when a chart is drawn, not when the app starts

    days = sorted({row["day"] for row in per_day})
    counts: dict[str, dict[date, int]] = defaultdict(dict)
    for row in per_day:
        counts[row["policy_status"]][row["day"]] = row["requests"] or 0
    figure = Figure(figsize=(8, 3), dpi=100)
    axes = figure.add_subplot()
    bottom = [0] * len(days)
    for status in (PolicyStatus.SANCTIONED, PolicyStatus.TOLERATED, PolicyStatus.UNSANCTIONED):
        values = [counts[status.value].get(day, 0) for day in days]
        axes.bar([d.isoformat() for d in days], values, bottom=bottom, label=status.label, color=_COLOURS[status])
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    axes.set_ylabel("requests")
    axes.set_title("AI-service requests per day")
    axes.legend(loc="upper left", fontsize="small")
    axes.tick_params(axis="x", labelrotation=45, labelsize="small")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode()
