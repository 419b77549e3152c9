"""Charts of audit results, drawn with matplotlib's object API (``Figure``, never pyplot: thread-safe, no global
state in web or worker processes). Input is the stored result JSON, so a chart can be re-rendered at any time."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_COLOURS = {"pass": "#2e7d32", "warn": "#f9a825", "fail": "#c62828"}
_NEUTRAL = "#607d8b"


def _render(fig: Figure, fmt: str) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, bbox_inches="tight")
    return buffer.getvalue()


def group_metrics(analysis: dict[str, Any]) -> set[str]:
    """The group metrics :func:`group_bars` can draw for ``analysis`` (those of its first stratum's groups)."""
    stratum = (analysis.get("strata") or [{}])[0]
    return {name for group in stratum.get("groups", []) for name in (group.get("metrics") or {})}


def group_bars(analysis: dict[str, Any], metric: str, *, fmt: str = "png") -> bytes:
    """Per-group bars of ``metric`` (first stratum) with bootstrap CI whiskers, coloured by the group's verdict."""
    from matplotlib.figure import Figure  # heavy: loaded when a chart is drawn, not when the app starts

    stratum = (analysis.get("strata") or [{}])[0]
    groups = [g for g in stratum.get("groups", []) if g.get("count")]
    labels, values, lows, highs, colours = [], [], [], [], []
    for g in groups:
        est = g["metrics"].get(metric) or {}
        value = est.get("value")
        labels.append(f"{g['group']}\n(n={g['count']:,})")
        values.append(value if value is not None else 0.0)
        low, high = est.get("ci_low"), est.get("ci_high")
        lows.append(max(0.0, value - low) if value is not None and low is not None else 0.0)
        highs.append(max(0.0, high - value) if value is not None and high is not None else 0.0)
        colours.append(_COLOURS.get(g.get("verdict", ""), _NEUTRAL))
    fig = Figure(figsize=(max(6.0, 0.9 * len(labels) + 2), 4.0))
    ax = fig.subplots()
    ax.bar(range(len(values)), values, yerr=[lows, highs], capsize=4, color=colours)
    ax.set_xticks(range(len(labels)), labels, fontsize=7, rotation=30, ha="right")
    ax.set_ylabel(metric)
    features = " x ".join(analysis.get("sensitive_features", []))
    ax.set_title(f"{metric} by {features} (95% CI; colour = impact-ratio verdict)", fontsize=9)
    overall = (stratum.get("overall") or {}).get(metric)
    if overall is not None:
        ax.axhline(overall, color="black", linewidth=0.8, linestyle="--", label="overall")
        ax.legend(fontsize=7)
    return _render(fig, fmt)


def trend(points: Sequence[tuple[datetime, float | None, str]], metric: str, *, fmt: str = "png") -> bytes:
    """Value of an aggregate (e.g. demographic_parity_ratio) across runs; markers coloured by run verdict."""
    from matplotlib.dates import AutoDateFormatter, AutoDateLocator, date2num  # heavy: loaded when a chart is drawn
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.0, 3.5))
    ax = fig.subplots()
    xs = [float(date2num(p[0])) for p in points if p[1] is not None]
    ys = [p[1] for p in points if p[1] is not None]
    ax.plot(xs, ys, color=_NEUTRAL, linewidth=1)
    ax.scatter(xs, ys, c=[_COLOURS.get(p[2], _NEUTRAL) for p in points if p[1] is not None], zorder=3)
    ax.set_ylabel(metric)
    ax.set_title(f"{metric} across runs", fontsize=9)
    if not xs:
        ax.text(0.5, 0.5, "no completed runs yet", ha="center", va="center", transform=ax.transAxes)
    locator = AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(AutoDateFormatter(locator))
    fig.autofmt_xdate()
    return _render(fig, fmt)
