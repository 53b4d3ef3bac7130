"""Draw one chart as inline SVG text: a line per series with gaps where days are missing,
its 7-day average on top, an optional min-max band, axes with round ticks.

Coordinates live in a fixed 1000 by 240 view box that the page scales to its width; paths
use relative moves rounded to 0.1, which keeps five years of days per series near 10 kB.
A lone value between two gaps is drawn as a dot (a zero-length segment with round caps)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from oura_stats.report.charts import Chart
from oura_stats.report.daily import Series, rolling_mean

WIDTH, HEIGHT = 1000, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 12, 26
PLOT_WIDTH = WIDTH - LEFT - RIGHT
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

Values = list[float | None]


@dataclass(frozen=True)
class Frame:
    """Maps day indexes and values to view-box coordinates."""

    days: int
    low: float
    high: float

    def x(self, index: int) -> float:
        return LEFT + (index + 0.5) * PLOT_WIDTH / self.days

    def y(self, value: float) -> float:
        span = self.high - self.low
        return TOP + (self.high - value) / span * (HEIGHT - TOP - BOTTOM)


def aligned(values: Series, days: Sequence[dt.date]) -> Values:
    return [values.get(day) for day in days]


def extent(columns: Sequence[Values]) -> tuple[float, float]:
    """Round lower and upper bounds around every value present (5 % headroom)."""
    present = [v for column in columns for v in column if v is not None]
    if not present:
        return 0.0, 1.0
    low, high = min(present), max(present)
    if low == high:
        low, high = low - 1, high + 1
    pad = (high - low) * 0.05
    bottom = low - pad if low < 0 else max(0.0, low - pad)
    step = tick_step(bottom, high + pad)
    return math.floor(bottom / step) * step, math.ceil((high + pad) / step) * step


def tick_step(low: float, high: float, count: int = 4) -> float:
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 2.5, 5.0):
        if raw <= factor * power:
            return float(factor * power)
    return float(10 * power)


def num(value: float) -> str:
    """Shortest text for a coordinate rounded to 0.1 ("12", "-.5", "3.2")."""
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    if text in ("-0", ""):
        return "0"
    return text.replace("0.", ".", 1) if text.startswith(("0.", "-0.")) else text


def pair(x: float, y: float) -> str:
    ys = num(y)
    return f"{num(x)}{ys}" if ys.startswith("-") else f"{num(x)} {ys}"


def line_path(values: Values, frame: Frame) -> str:
    """Path data through the values present; a gap breaks the line."""
    parts: list[str] = []
    previous: tuple[float, float] | None = None
    for index, value in enumerate(values):
        if value is None:
            previous = None
            continue
        x, y = round(frame.x(index), 1), round(frame.y(value), 1)
        if previous is None:
            parts.append("M" + pair(x, y))
            if index + 1 == len(values) or values[index + 1] is None:
                parts.append("h0")
        else:
            parts.append("l" + pair(x - previous[0], y - previous[1]))
        previous = (x, y)
    return "".join(parts)


def band_path(lows: Values, highs: Values, frame: Frame) -> str:
    """Closed shapes between low and high over each run of days that have both."""
    parts: list[str] = []
    run: list[int] = []
    for index in [*range(len(lows)), len(lows)]:
        if index < len(lows) and lows[index] is not None and highs[index] is not None:
            run.append(index)
            continue
        if run:
            top = [(frame.x(i), frame.y(highs[i] or 0.0)) for i in run]
            bottom = [(frame.x(i), frame.y(lows[i] or 0.0)) for i in reversed(run)]
            points = [pair(round(x, 1), round(y, 1)) for x, y in top + bottom]
            parts.append("M" + "L".join(points) + "Z")
            run = []
    return "".join(parts)


def x_ticks(days: Sequence[dt.date]) -> list[tuple[int, str]]:
    """Week starts for a month or less, month starts up to ~14 months, else year starts."""
    if len(days) <= 35:
        return [
            (i, f"{MONTHS[d.month - 1]} {d.day}") for i, d in enumerate(days) if not d.weekday()
        ]
    if len(days) <= 430:
        return [
            (i, f"{MONTHS[d.month - 1]}" + (f" {d.year}" if d.month == 1 or i == 0 else ""))
            for i, d in enumerate(days)
            if d.day == 1
        ]
    return [(i, str(d.year)) for i, d in enumerate(days) if d.month == 1 and d.day == 1]


def axes(frame: Frame, days: Sequence[dt.date]) -> str:
    step = tick_step(frame.low, frame.high)
    out: list[str] = []
    value = frame.low
    while value <= frame.high + step / 1000:
        y = round(frame.y(value), 1)
        out.append(f'<path class="grid" d="M{LEFT} {num(y)}H{WIDTH - RIGHT}"/>')
        label = f"{value:,.{decimals(step)}f}"
        out.append(f'<text class="yl" x="{LEFT - 6}" y="{num(y + 4)}">{label}</text>')
        value += step
    for index, label in x_ticks(days):
        x = num(round(frame.x(index), 1))
        out.append(f'<text class="xl" x="{x}" y="{HEIGHT - 8}">{label}</text>')
    return "".join(out)


def decimals(step: float) -> int:
    """Decimals that show every multiple of `step` exactly (2.5 needs one, 0.25 two)."""
    for places in range(4):
        scaled = step * 10**places
        if abs(scaled - round(scaled)) < 1e-9:
            return places
    return 3


def draw(chart: Chart, days: Sequence[dt.date], series: dict[str, Series]) -> str:
    """The chart's <svg> element for `days` (consecutive) from `series`."""
    columns = {line.key: aligned(series.get(line.key, {}), days) for line in chart.lines}
    bounds = chart.scale or extent(list(columns.values()))
    frame = Frame(len(days), *bounds)
    body = [axes(frame, days)]
    if chart.band is not None:
        low, high = chart.band
        color = chart.lines[0].color
        d = band_path(columns[low], columns[high], frame)
        body.append(f'<path class="band" fill="{color}" d="{d}"/>')
    for line in chart.lines:
        d = line_path(columns[line.key], frame)
        body.append(f'<path class="raw" stroke="{line.color}" data-key="{line.key}" d="{d}"/>')
    for line in chart.lines:
        if chart.has_average(line.key):
            smooth = rolling_mean(series.get(line.key, {}), days)
            d = line_path(smooth, frame)
            body.append(f'<path class="avg" stroke="{line.color}" d="{d}"/>')
    guide = f'<path class="guide" d="M0 {TOP}V{HEIGHT - BOTTOM}"/>'
    label = escape(f"{chart.title} ({chart.unit})")
    return (
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{label}" '
        f'data-first="{days[0].isoformat()}" data-days="{len(days)}">'
        + "".join(body)
        + guide
        + "</svg>"
    )
