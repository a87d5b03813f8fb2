"""Small line charts of a metric, drawn on the server as SVG: no script, nothing to fetch."""

import math
from dataclasses import dataclass

# The drawing's size in SVG units (it scales to its box) and the room kept for the axes' words.
WIDTH, HEIGHT = 360, 130
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 10, 24


@dataclass(frozen=True)
class Tick:
    at: float  # SVG units along its axis
    label: str


@dataclass(frozen=True)
class Chart:
    """A MetricSeries placed on a percent axis from 0 and a time axis over the window."""

    series: object  # inventory.MetricSeries
    points: str  # the polyline's "x,y x,y …"
    last_x: float | None
    last_y: float | None
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    baseline: int = HEIGHT - BOTTOM

    @property
    def slug(self):
        return self.series.name.lower()


def percent_ceiling(highest):
    """The top of the axis: 100 %, or the next 25 above a value past it (CPU can burst)."""
    if highest is None or highest <= 100:
        return 100
    return math.ceil(highest / 25) * 25


def line_chart(series, start, end):
    top = percent_ceiling(series.highest)
    span = (end - start).total_seconds()

    def x(at):
        share = (at - start).total_seconds() / span
        return round(LEFT + min(max(share, 0.0), 1.0) * (WIDTH - LEFT - RIGHT), 1)

    def y(value):
        return round(HEIGHT - BOTTOM - (value / top) * (HEIGHT - BOTTOM - TOP), 1)

    placed = [(x(p.at), y(p.value)) for p in series.points]
    last = placed[-1] if placed else (None, None)
    return Chart(
        series=series,
        points=" ".join(f"{px},{py}" for px, py in placed),
        last_x=last[0],
        last_y=last[1],
        y_ticks=tuple(Tick(y(value), f"{value:g}%") for value in (0, top / 2, top)),
        x_ticks=(
            Tick(x(start), start.strftime("%H:%M")),
            Tick(x(start + (end - start) / 2), (start + (end - start) / 2).strftime("%H:%M")),
            Tick(x(end), end.strftime("%H:%M")),
        ),
    )
