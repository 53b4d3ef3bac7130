"""Draw one chart: the plot (an SVG stretched to its box) with the value labels beside it
and the date labels below it, each an SVG of its own placed in percent, so text keeps its
size and the plot its height on a phone as on a desktop.

Three kinds (see `charts.Chart.kind`):
- lines: up to about a year, each day's value as a thin line and its 7-day average as a
  thick one (an optional min-max band under them); beyond that each week's mean as the line
  and its lowest to highest day as a band, so years read as a trend. Exact daily values
  stay in the data table and the hover read-out.
- weekly: one bar per week (naps: how many, and minutes), from `daily.weeks` totals.
- levels: named levels (resilience), labelled by name: each day a short mark at its level,
  and beyond a month each week's typical (mean, rounded) level as a line of flat steps;
  beyond a year only the weekly steps.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from html import escape

from oura_stats.report.charts import Chart
from oura_stats.report.daily import Series, Week, rolling_mean, weeks
from oura_stats.report.svg import (
    VIEW_HEIGHT,
    VIEW_WIDTH,
    Frame,
    Values,
    band_path,
    bars_path,
    decimals,
    frame_for,
    line_path,
    num,
    steps_path,
    tick_step,
)

LONG = 400  # days beyond which daily lines give way to weekly means with a band
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
Labels = list[tuple[float, str]]


def aligned(values: Series, days: Sequence[dt.date]) -> list[float | None]:
    return [values.get(day) for day in days]


def long_range(chart: Chart, days: Sequence[dt.date]) -> bool:
    return chart.kind == "weekly" or len(days) > LONG


def draw(chart: Chart, days: Sequence[dt.date], series: dict[str, Series]) -> str:
    """The chart's plot block for `days` (consecutive) from `series`."""
    columns = {line.key: aligned(series.get(line.key, {}), days) for line in chart.lines}
    if chart.kind == "weekly":
        frame, body = draw_bars(chart, columns)
    elif chart.kind == "levels":
        frame, body = draw_levels(chart, columns)
    elif long_range(chart, days):
        frame, body = draw_weekly_lines(chart, columns)
    else:
        frame, body = draw_daily_lines(chart, series, days, columns)
    labels: Labels = (
        [(i + 1.0, name) for i, name in enumerate(chart.levels)]
        if chart.levels
        else [(t, f"{t:,.{decimals(frame.step)}f}") for t in frame.ticks()]
    )
    grid = "".join(f"M0 {num(round(frame.y(v), 1))}H{VIEW_WIDTH}" for v, _ in labels)
    step = 7 if chart.kind == "weekly" else 1
    plot = (
        f'<svg class="pl" viewBox="0 0 {VIEW_WIDTH} {VIEW_HEIGHT}" preserveAspectRatio="none" '
        f'role="img" aria-label="{escape(f"{chart.title} ({chart.unit})")}" '
        f'data-first="{days[0].isoformat()}" data-days="{len(days)}" data-step="{step}">'
        f'<path class="grid" d="{grid}"/>{"".join(body)}'
        f'<path class="guide" d="M0 0V{VIEW_HEIGHT}"/></svg>'
    )
    kind = " levels" if chart.levels else ""
    return f'<div class="plot{kind}">{y_axis(labels, frame)}{plot}{x_axis(days, frame)}</div>'


def fixed_or_fitted(chart: Chart, days: int, columns: Sequence[Values]) -> Frame:
    if chart.scale is not None:
        low, high = chart.scale
        return Frame(days, low, high, tick_step(low, high))
    return frame_for(days, columns)


def draw_daily_lines(
    chart: Chart, series: dict[str, Series], days: Sequence[dt.date], columns: Mapping[str, Values]
) -> tuple[Frame, list[str]]:
    frame = fixed_or_fitted(chart, len(days), list(columns.values()))
    body = []
    if chart.band is not None:
        low, high = chart.band
        d = band_path(columns[low], columns[high], frame)
        body.append(f'<path class="band" fill="{chart.lines[0].color}" d="{d}"/>')
    for line in chart.lines:
        d = line_path(columns[line.key], frame)
        body.append(f'<path class="raw" stroke="{line.color}" data-key="{line.key}" d="{d}"/>')
    for line in chart.lines:
        if chart.has_average(line.key):
            d = line_path(rolling_mean(series.get(line.key, {}), days), frame)
            body.append(f'<path class="avg" stroke="{line.color}" d="{d}"/>')
    return frame, body


def draw_weekly_lines(chart: Chart, columns: Mapping[str, Values]) -> tuple[Frame, list[str]]:
    days = len(next(iter(columns.values())))
    by_week = {key: weeks(column) for key, column in columns.items()}
    at = [(w.start + w.end - 1) / 2 for w in next(iter(by_week.values()))]
    means = {key: [w.mean for w in wk] for key, wk in by_week.items()}
    banded = [] if chart.band else [line.key for line in chart.lines[:2]]
    spread = [[w.low for w in by_week[k]] for k in banded] + [
        [w.high for w in by_week[k]] for k in banded
    ]
    frame = fixed_or_fitted(chart, days, [*means.values(), *spread])
    body = []
    if chart.band is not None:
        low, high = chart.band
        d = band_path(means[low], means[high], frame, at)
        body.append(f'<path class="band" fill="{chart.lines[0].color}" d="{d}"/>')
    colors = {line.key: line.color for line in chart.lines}
    for key in banded:
        lows, highs = [w.low for w in by_week[key]], [w.high for w in by_week[key]]
        d = band_path(lows, highs, frame, at)
        body.append(f'<path class="band" fill="{colors[key]}" d="{d}"/>')
    for line in chart.lines:
        d = line_path(means[line.key], frame, at)
        body.append(f'<path class="avg" stroke="{line.color}" data-key="{line.key}" d="{d}"/>')
    return frame, body


def draw_bars(chart: Chart, columns: Mapping[str, Values]) -> tuple[Frame, list[str]]:
    line = chart.lines[0]
    column = columns[line.key]
    totals = [(w.start, w.end, w.total) for w in weeks(column)]
    frame = fixed_or_fitted(chart, len(column), [[0.0, *(t for _, _, t in totals)]])
    d = bars_path(totals, frame)
    return frame, [f'<path class="bar" fill="{line.color}" data-key="{line.key}" d="{d}"/>']


def draw_levels(chart: Chart, columns: Mapping[str, Values]) -> tuple[Frame, list[str]]:
    line = chart.lines[0]
    column = columns[line.key]
    frame = Frame(len(column), 0.5, len(chart.levels) + 0.5, 1.0)
    body = []
    weekly = steps_path([(w.start, w.end, typical(w)) for w in weeks(column)], frame)
    if len(column) <= LONG:
        daily = steps_path([(i, i + 1, v) for i, v in enumerate(column)], frame, joined=False)
        body.append(f'<path class="raw" stroke="{line.color}" data-key="{line.key}" d="{daily}"/>')
        if len(column) > 35:
            body.append(f'<path class="avg" stroke="{line.color}" d="{weekly}"/>')
    else:
        body.append(f'<path class="avg" stroke="{line.color}" data-key="{line.key}" d="{weekly}"/>')
    return frame, body


def typical(week: Week) -> float | None:
    return None if week.mean is None else float(round(week.mean))


def y_axis(labels: Labels, frame: Frame) -> str:
    texts = "".join(
        f'<text x="100%" dx="-6" y="{num(frame.y(value) / VIEW_HEIGHT * 100)}%">'
        f"{escape(text)}</text>"
        for value, text in labels
    )
    return f'<svg class="ya" aria-hidden="true">{texts}</svg>'


def x_axis(days: Sequence[dt.date], frame: Frame) -> str:
    ticks = x_ticks(days)
    out = []
    for n, (index, label) in enumerate(ticks):
        where = frame.x(index) / VIEW_WIDTH * 100
        classes = ["s" if where < 3 else "e" if where > 90 else ""]
        if len(ticks) > 6 and n % 2:
            classes.append("alt")  # every other label gives way on a narrow screen
        kind = " ".join(c for c in classes if c)
        attribute = f' class="{kind}"' if kind else ""
        out.append(f'<text{attribute} x="{num(where)}%" y="14">{label}</text>')
    return f'<svg class="xa" aria-hidden="true">{"".join(out)}</svg>'


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
