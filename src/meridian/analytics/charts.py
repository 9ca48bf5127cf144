"""Geometry for the dashboard's server-rendered SVG charts (no JavaScript needed).

Only numbers live here; the console templates draw them and put the words around them,
so every label is translated with the rest of the page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 28


def nice_max(value: float) -> float:
    """The next 1, 2 or 5 times a power of ten at or above ``value`` (axis top)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)


@dataclass(frozen=True)
class SeriesBar:
    x: float
    y: float
    width: float
    height: float
    label: str
    new: int
    resolved: int
    backlog: int


@dataclass(frozen=True)
class SeriesChart:
    width: int
    height: int
    bars: list[SeriesBar]
    backlog_path: str
    resolved_path: str
    ticks: list[tuple[float, float]]  # (y, value)
    labels: list[tuple[float, str]]  # (x, period)
    left: int
    bottom: float


def series_chart(points: list[dict[str, Any]]) -> SeriesChart:
    """New conversations as bars, backlog and resolutions as lines, one slot per period."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = nice_max(max([p["conversations"] for p in points] + [p["backlog"] for p in points] + [0]))
    slot = plot_w / max(len(points), 1)

    def y_of(value: float) -> float:
        return TOP + plot_h - plot_h * value / top

    bars, backlog, resolved, labels = [], [], [], []
    every = max(1, math.ceil(len(points) / 8))
    for index, point in enumerate(points):
        x = LEFT + index * slot
        height = plot_h * point["conversations"] / top
        bars.append(
            SeriesBar(
                round(x + slot * 0.15, 1),
                round(TOP + plot_h - height, 1),
                round(slot * 0.7, 1),
                round(height, 1),
                point["period"],
                point["conversations"],
                point["resolved"],
                point["backlog"],
            )
        )
        center = round(x + slot / 2, 1)
        backlog.append(f"{center},{round(y_of(point['backlog']), 1)}")
        resolved.append(f"{center},{round(y_of(point['resolved']), 1)}")
        if index % every == 0:
            labels.append((center, point["period"]))
    ticks = [(round(y_of(value), 1), value) for value in (0, top / 2, top)]
    return SeriesChart(
        WIDTH, HEIGHT, bars, " ".join(backlog), " ".join(resolved), ticks, labels, LEFT, TOP + plot_h
    )


@dataclass(frozen=True)
class HeatCell:
    x: int
    y: int
    weekday: int
    hour: int
    count: int
    shade: float  # 0..1, for fill-opacity


def heat_cells(matrix: list[list[int]], size: int = 26) -> list[HeatCell]:
    peak = max((max(row) for row in matrix), default=0) or 1
    return [
        HeatCell(56 + hour * size, 22 + day * size, day, hour, count, _shade(count, peak))
        for day, row in enumerate(matrix)
        for hour, count in enumerate(row)
    ]


def _shade(count: int, peak: int) -> float:
    return round(0.08 + 0.92 * count / peak, 3) if count else 0.0


def share(value: float | None, peak: float | None) -> float:
    """A bar's length in percent of the longest one."""
    if not value or not peak:
        return 0.0
    return round(100 * value / peak, 1)
