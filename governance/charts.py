"""Charts for the admin overview, drawn with matplotlib's object API (``Figure``, never pyplot: thread-safe)."""

from __future__ import annotations

import io
from collections.abc import Sequence

CLASS_COLOURS = {
    "Unclassified": "#9e9e9e",
    "Prohibited (Art. 5)": "#b71c1c",
    "High risk (Art. 6)": "#e65100",
    "Limited risk (Art. 50)": "#f9a825",
    "Minimal risk": "#2e7d32",
    "Out of scope (Art. 2 / 3(1))": "#546e7a",
}


def bar_chart_svg(data: Sequence[tuple[str, int]], *, title: str, colours: dict[str, str] | None = None) -> str:
    """A horizontal bar chart as an inline SVG string."""
    from matplotlib.figure import Figure  # heavy: loaded when a chart is drawn, not when the app starts
    from matplotlib.ticker import MaxNLocator

    labels = [label for label, _ in data]
    values = [value for _, value in data]
    fig = Figure(figsize=(5.5, 0.45 * max(len(data), 2) + 0.8), dpi=96)
    ax = fig.add_subplot()
    bar_colours = [(colours or {}).get(label, "#417690") for label in labels]
    bars = ax.barh(labels, values, color=bar_colours)
    ax.bar_label(bars, padding=3)
    ax.invert_yaxis()
    ax.set_title(title, fontsize=11, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_xlim(0, max([*values, 1]) * 1.15)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.tight_layout()
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg")
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]
