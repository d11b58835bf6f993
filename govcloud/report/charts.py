"""Geometry of the report's inline SVG charts; the templates only draw what is computed here."""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str     # the value as shown next to the bar
    kind: str     # CSS class: what colour the bar gets
    y: float
    width: float


@dataclass(frozen=True)
class BarChart:
    bars: tuple[Bar, ...]
    width: int
    height: int
    label_width: int
    row: int
    bar_height: int


def bar_chart(items: Sequence[tuple[str, float, str, str]], *, scale: float | None = None, width: int = 760,
              label_width: int = 220, row: int = 30) -> BarChart:
    """Horizontal bars for (label, value, text, kind) items.

    Bars are scaled to `scale` (default: the largest value); a bar above it is cut at the
    full width, so one huge "all the others" bar does not flatten the bars worth reading.
    """
    top = scale or max((v for _, v, _, _ in items), default=0.0) or 1.0
    plot = width - label_width - 130
    bars = tuple(
        Bar(label, value, text, kind, y=i * row + 4,
            width=min(plot, max(1.0, plot * value / top)) if value > 0 else 0.0)
        for i, (label, value, text, kind) in enumerate(items)
    )
    return BarChart(bars, width, max(row, len(bars) * row + 8), label_width, row, row - 10)


@dataclass(frozen=True)
class GaugeArc:
    """A half-circle gauge: the background track and the arc filled up to `ratio`."""

    resource: str
    title: str
    ratio: float | None
    text: str       # e.g. "24 / 8,000 vCPU"
    percent: str    # e.g. "0.3 %"
    level: str      # ok | high | over: the colour of the arc
    track: str      # SVG path of the full half circle
    arc: str        # SVG path of the filled part ("" when empty)


RADIUS, CX, CY = 70.0, 90.0, 85.0


def _point(fraction: float) -> tuple[float, float]:
    angle = math.pi * (1.0 - fraction)
    return CX + RADIUS * math.cos(angle), CY - RADIUS * math.sin(angle)


def gauge_arc(resource: str, title: str, requested: float, capacity: float, unit: str) -> GaugeArc:
    ratio = requested / capacity if capacity else None
    shown = 1.0 if ratio is None else min(ratio, 1.0)
    start = f"M {CX - RADIUS:.1f} {CY:.1f}"
    end_x, end_y = _point(1.0)
    track = f"{start} A {RADIUS:.0f} {RADIUS:.0f} 0 0 1 {end_x:.1f} {end_y:.1f}"
    arc = ""
    if shown > 0:
        x, y = _point(shown)
        arc = f"{start} A {RADIUS:.0f} {RADIUS:.0f} 0 0 1 {x:.1f} {y:.1f}"
    if ratio is None:
        level, percent = ("over" if requested > 0 else "ok"), "no capacity"
    else:
        level = "over" if ratio > 1 else "high" if ratio >= 0.8 else "ok"
        percent = f"{ratio * 100:.1f} %"
    label = f"{number(requested)} / {number(capacity)} {unit}"
    return GaugeArc(resource, title, ratio, label, percent, level, track, arc)


def number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
