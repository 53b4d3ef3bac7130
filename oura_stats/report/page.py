"""Assemble the report page: header (period, last sync, freshness per category), one
section per theme with its charts, each chart with a data table, then workouts and tags."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from oura_stats.monitor.freshness import CategoryView
from oura_stats.report.assets import CONTENT_SECURITY_POLICY, SCRIPT, STYLE
from oura_stats.report.charts import SECTIONS, Chart
from oura_stats.report.daily import Series, without_odd
from oura_stats.report.sources import Event, ReportData
from oura_stats.report.svg import draw

DASH = "\u2013"


@dataclass(frozen=True)
class Header:
    """What the page says about where its data comes from."""

    built_at: dt.datetime
    last_sync: str | None  # when the newest run finished (state file), if known
    failed: tuple[str, ...]  # categories that run failed
    freshness: tuple[CategoryView, ...]


def render(data: ReportData, days: Sequence[dt.date], header: Header) -> str:
    """The whole HTML document."""
    title = f"Oura data {days[0].isoformat()} {DASH} {days[-1].isoformat()}"
    parts = [
        '<!doctype html><html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<title>{title}</title><style>{STYLE}</style></head><body>",
        render_header(days, header),
        render_nav(),
        "<main>",
        *(render_section(s.title, s.charts, data, days) for s in SECTIONS),
        render_events(data.workouts, data.tags),
        '</main><div id="tip" hidden></div>',
        f"<script>{SCRIPT}</script></body></html>\n",
    ]
    return "".join(parts)


def slug(title: str) -> str:
    return title.lower().replace(" ", "-")


def render_nav() -> str:
    links = [f'<a href="#{slug(s.title)}">{escape(s.title)}</a>' for s in SECTIONS]
    links.append('<a href="#workouts-and-tags">Workouts and tags</a>')
    return "<nav>" + "".join(links) + "</nav>"


def render_header(days: Sequence[dt.date], header: Header) -> str:
    built = header.built_at.isoformat(timespec="minutes")
    if header.last_sync is None:
        sync = "no run recorded in the state file"
    else:
        result = "all categories ok"
        if header.failed:
            result = "failed: " + ", ".join(header.failed)
        sync = f"{escape(header.last_sync)} ({escape(result)})"
    return (
        "<header><h1>Your Oura data</h1>"
        f'<p class="meta">{days[0].isoformat()} {DASH} {days[-1].isoformat()} '
        f"({len(days)} days). Last sync: {sync}. Built {escape(built)}.</p>"
        + render_freshness(header.freshness)
        + '<p class="note">Thin lines are daily values, thick lines their 7-day average (the '
        "mean of the values present in the day and the six before it). Missing days are "
        'gaps, not zeros.<span class="screen"> Hover over a chart for exact values; each '
        "chart's data table is below it.</span></p></header>"
    )


def render_freshness(views: Sequence[CategoryView]) -> str:
    if not views:
        return ""
    rows = "".join(
        f'<tr><td>{escape(v.name)}</td><td class="v-{v.verdict}">{v.verdict}</td>'
        f"<td>{escape(short_time(v.newest))}</td><td>{'' if v.rows is None else v.rows}</td></tr>"
        for v in views
    )
    return (
        '<div class="fresh"><table><thead><tr><th>Category</th><th>Freshness</th>'
        f"<th>Newest data</th><th>Rows</th></tr></thead><tbody>{rows}</tbody></table></div>"
    )


def short_time(value: str | None) -> str:
    """A day as is, an instant to the minute ("2025-06-30 23:55"), nothing as a dash."""
    return value[:16].replace("T", " ") if value else DASH


def render_section(
    title: str, charts: Sequence[Chart], data: ReportData, days: Sequence[dt.date]
) -> str:
    figures = "".join(render_chart(chart, data, days) for chart in charts)
    return f'<section id="{slug(title)}"><h2>{escape(title)}</h2>{figures}</section>'


def render_chart(chart: Chart, data: ReportData, days: Sequence[dt.date]) -> str:
    series, note = clean(chart, data)
    has_data = any(series.get(line.key) for line in chart.lines)
    caption = (
        f"<figcaption><h3>{escape(chart.title)}</h3>"
        f'<span class="unit">{escape(chart.unit)}</span>{legend(chart)}</figcaption>'
    )
    attributes = f'class="chart" id="chart-{chart.slug}" data-unit="{escape(chart.unit)}"'
    if not has_data:
        empty = '<p class="empty">No data in this period.</p>'
        return f'<figure class="chart empty" id="chart-{chart.slug}">{caption}{empty}</figure>'
    return (
        f"<figure {attributes}>{caption}{draw(chart, days, series)}{note}"
        f"{table(chart, series)}</figure>"
    )


def clean(chart: Chart, data: ReportData) -> tuple[dict[str, Series], str]:
    """The chart's series without odd numbers, and the note that says what was left out."""
    series: dict[str, Series] = {}
    odd_days: set[dt.date] = set()
    count = 0
    for line in chart.lines:
        series[line.key], odd = without_odd(data.series.get(line.key, {}), chart.scale)
        odd_days.update(odd)
        count += len(odd) + data.odd_samples.get(line.key, 0)
    if not count:
        return series, ""
    where = (
        f"the chart's {chart.scale[0]:g}\u2013{chart.scale[1]:g} scale" if chart.scale else "1e12"
    )
    first = f", first on {min(odd_days).isoformat()}" if odd_days else ""
    return series, (
        f'<p class="note odd">{count:,} {"value" if count == 1 else "values"} left out of this '
        f"chart: not finite (inf, NaN) or beyond {where}{first}.</p>"
    )


def legend(chart: Chart) -> str:
    keys = "".join(
        f'<svg viewBox="0 0 10 6" aria-hidden="true"><rect width="10" height="6" '
        f'fill="{line.color}"/></svg>{escape(line.label)}'
        for line in chart.lines
    )
    return f'<span class="keys">{keys}</span>'


def table(chart: Chart, series: dict[str, Series]) -> str:
    """Every day with a value, newest first, one column per series."""
    columns = [series.get(line.key, {}) for line in chart.lines]
    days = sorted({day for column in columns for day in column}, reverse=True)
    heads = "".join(f"<th>{escape(line.label)}</th>" for line in chart.lines)
    body = []  # end tags of cells and rows are optional in HTML: leaving them out halves the size
    for day in days:
        cells = "".join(
            "<td>" + ("" if (v := c.get(day)) is None else f"{v:.{chart.digits}f}") for c in columns
        )
        body.append(f"<tr><td>{day.isoformat()}{cells}")
    return (
        f'<details class="data"><summary>Data table ({len(days)} days, '
        f'{escape(chart.unit)})</summary><div class="scroll"><table><thead><tr><th>Day</th>'
        f"{heads}</tr></thead><tbody>{''.join(body)}</tbody></table></div></details>"
    )


def render_events(workouts: Sequence[Event], tags: Sequence[Event]) -> str:
    return (
        '<section id="workouts-and-tags"><h2>Workouts and tags</h2>'
        + event_list("Workouts", "workouts", workouts)
        + event_list("Tags", "tags", tags)
        + "</section>"
    )


def event_list(title: str, ident: str, events: Sequence[Event]) -> str:
    if not events:
        return f'<h3>{title}</h3><p class="empty">None in this period.</p>'
    counts = Counter(e.kind for e in events)
    summary = ", ".join(f"{n} {escape(kind)}" for kind, n in counts.most_common())
    rows = "".join(
        f"<tr><td>{e.day.isoformat()}</td><td>{escape(e.start)}</td><td>{escape(e.kind)}</td>"
        f"<td>{escape(e.detail)}</td></tr>"
        for e in sorted(events, key=lambda e: (e.day, e.start), reverse=True)
    )
    return (
        f'<div class="list" id="{ident}"><h3>{title}: {len(events)}</h3>'
        f'<p class="note">{summary}</p><div class="scroll"><table><thead><tr><th>Day</th>'
        f"<th>Start</th><th>What</th><th>Details</th></tr></thead><tbody>{rows}</tbody>"
        "</table></div></div>"
    )
