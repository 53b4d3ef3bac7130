"""SVG geometry for the charts: the frame that maps day indexes and values into the plot's
view box, round ticks, and path data for lines, bands, bars and level steps.

The plot is drawn in a fixed 1000 by 200 view box that the page stretches to its box
(`preserveAspectRatio="none"`, strokes that do not scale), so a chart keeps its height and
its labels their size on any screen; the labels live in separate SVGs beside and below it,
placed in percent of its height and width. Paths use relative moves rounded to 0.1, which
keeps five years of days per series near 10 kB. A lone value between two gaps is drawn as a
dot (a zero-length segment with round caps)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

VIEW_WIDTH, VIEW_HEIGHT = 1000, 200
PAD = 8  # view-box units kept free above the highest and below the lowest tick

Values = Sequence[float | None]


@dataclass(frozen=True)
class Frame:
    """Maps day indexes and values to view-box coordinates; ticks every `step` from `low`."""

    days: int
    low: float
    high: float
    step: float

    def x(self, index: float) -> float:
        """The middle of day `index` (a fraction moves within the day)."""
        return (index + 0.5) * VIEW_WIDTH / self.days

    def edge(self, index: int) -> float:
        """The left edge of day `index`."""
        return index * VIEW_WIDTH / self.days

    def y(self, value: float) -> float:
        span = self.high - self.low
        return PAD + (self.high - value) / span * (VIEW_HEIGHT - 2 * PAD)

    def ticks(self) -> list[float]:
        count = round((self.high - self.low) / self.step)
        return [self.low + i * self.step for i in range(count + 1)]


def frame_for(days: int, columns: Sequence[Values]) -> Frame:
    """A frame whose round ticks enclose every value present (some headroom; never below
    zero for values that are all positive)."""
    present = [v for column in columns for v in column if v is not None]
    if not present:
        return Frame(days, 0.0, 1.0, 0.25)
    low, high = min(present), max(present)
    if low == high:
        low, high = low - 1, high + 1
    pad = (high - low) * 0.05
    bottom = low - pad if low < 0 else max(0.0, low - pad)
    step = tick_step(bottom, high + pad)
    return Frame(
        days, math.floor(bottom / step) * step, math.ceil((high + pad) / step) * step, step
    )


def tick_step(low: float, high: float, count: int = 4) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten) giving about `count` intervals."""
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 2.5, 5.0):
        if raw <= factor * power:
            return float(factor * power)
    return float(10 * power)


def decimals(step: float) -> int:
    """Decimals that show every multiple of `step` exactly (2.5 needs one, 0.25 two)."""
    for places in range(4):
        scaled = step * 10**places
        if abs(scaled - round(scaled)) < 1e-9:
            return places
    return 3


def num(value: float) -> str:
    """Shortest text for a coordinate rounded to 0.1 ("12", "-.5", "3.2")."""
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    if text in ("-0", ""):
        return "0"
    return text.replace("0.", ".", 1) if text.startswith(("0.", "-0.")) else text


def pair(x: float, y: float) -> str:
    ys = num(y)
    return f"{num(x)}{ys}" if ys.startswith("-") else f"{num(x)} {ys}"


def line_path(values: Values, frame: Frame, at: Sequence[float] | None = None) -> str:
    """Path data through the values present; a gap breaks the line. Value `i` sits at day
    `at[i]` (default: day `i`)."""
    parts: list[str] = []
    previous: tuple[float, float] | None = None
    for index, value in enumerate(values):
        if value is None:
            previous = None
            continue
        x = round(frame.x(index if at is None else at[index]), 1)
        y = round(frame.y(value), 1)
        if previous is None:
            parts.append("M" + pair(x, y))
            if index + 1 == len(values) or values[index + 1] is None:
                parts.append("h0")
        else:
            parts.append("l" + pair(x - previous[0], y - previous[1]))
        previous = (x, y)
    return "".join(parts)


def band_path(lows: Values, highs: Values, frame: Frame, at: Sequence[float] | None = None) -> str:
    """Closed shapes between low and high over each run of points that have both."""
    parts: list[str] = []
    run: list[int] = []
    for index in [*range(len(lows)), len(lows)]:
        if index < len(lows) and lows[index] is not None and highs[index] is not None:
            run.append(index)
            continue
        if run:
            xs = {i: frame.x(i if at is None else at[i]) for i in run}
            top = [(xs[i], frame.y(highs[i] or 0.0)) for i in run]
            bottom = [(xs[i], frame.y(lows[i] or 0.0)) for i in reversed(run)]
            points = [pair(round(x, 1), round(y, 1)) for x, y in top + bottom]
            parts.append("M" + "L".join(points) + "Z")
            run = []
    return "".join(parts)


def bars_path(spans: Sequence[tuple[int, int, float | None]], frame: Frame) -> str:
    """One bar per (first day, end day, value) from the axis's lowest tick up to the value,
    a little narrower than its days."""
    base = round(frame.y(frame.low), 1)
    parts = []
    for start, end, value in spans:
        if value is None:
            continue
        left, right = frame.edge(start), frame.edge(end)
        inset = (right - left) * 0.1
        top = round(frame.y(value), 1)
        width = round(right - left - 2 * inset, 1)
        parts.append(f"M{pair(round(left + inset, 1), base)}V{num(top)}h{num(width)}V{num(base)}Z")
    return "".join(parts)


def steps_path(
    spans: Sequence[tuple[int, int, float | None]], frame: Frame, *, joined: bool = True
) -> str:
    """A level held over each (first day, end day, value): flat steps, broken by gaps (or
    every step apart, unless `joined`)."""
    parts: list[str] = []
    open_end: int | None = None
    for start, end, value in spans:
        if value is None:
            open_end = None
            continue
        y = num(round(frame.y(value), 1))
        if joined and open_end == start:
            parts.append(f"V{y}H{num(round(frame.edge(end), 1))}")
        else:
            parts.append(
                f"M{num(round(frame.edge(start), 1))} {y}H{num(round(frame.edge(end), 1))}"
            )
        open_end = end
    return "".join(parts)
