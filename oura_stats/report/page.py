"""Assemble the report page: header (period, last sync, freshness per category), one
section per theme with its charts, each chart with a data table, then workouts and tags and
what goes with a good night (see `lists`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from oura_stats.monitor.freshness import CategoryView
from oura_stats.report.assets import CONTENT_SECURITY_POLICY, SCRIPT, STYLE
from oura_stats.report.charts import SECTIONS, Chart
from oura_stats.report.daily import Series, weeks, without_odd
from oura_stats.report.drawing import LONG, aligned, draw
from oura_stats.report.lists import LIST_SECTIONS, render_lists, slug
from oura_stats.report.sources import ReportData

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
        render_lists(data, days),
        '</main><div id="tip" hidden></div>',
        f"<script>{SCRIPT}</script></body></html>\n",
    ]
    return "".join(parts)


def render_nav() -> str:
    links = [f'<a href="#{slug(s.title)}">{escape(s.title)}</a>' for s in SECTIONS]
    links += [f'<a href="#{slug(title)}">{escape(title)}</a>' for title in LIST_SECTIONS]
    return "<nav>" + "".join(links) + "</nav>"


def render_header(days: Sequence[dt.date], header: Header) -> str:
    if header.last_sync is None:
        sync = "no run recorded in the state file"
    else:
        result = "all categories ok"
        if header.failed:
            result = "failed: " + ", ".join(header.failed)
        sync = f"{escape(readable(header.last_sync))} ({escape(result)})"
    long = len(days) > LONG
    lines = (
        "Beyond a year, each line is a week's mean and the shaded band its lowest to highest day."
        if long
        else "Thin lines are daily values, thick lines their 7-day average (the mean of the "
        "values present in the day and the six before it)."
    )
    return (
        "<header><h1>Your Oura data</h1>"
        f'<p class="meta">{days[0].isoformat()} {DASH} {days[-1].isoformat()} '
        f"({len(days):,} days). Last sync: {sync}. "
        f"Built {escape(readable(header.built_at))}.</p>"
        + render_freshness(header.freshness)
        + f'<p class="note">{lines} Missing days are gaps, not zeros.<span class="screen"> '
        "Hover over a chart for the exact values of a day; each chart's data table is below "
        "it.</span></p></header>"
    )


def readable(moment: dt.datetime | str | None) -> str:
    """One form for every time on the page: "2026-12-06 07:31 UTC+01:00"; a day as is,
    text that is no time as it is, nothing as a dash."""
    if moment is None or moment == "":
        return DASH
    if isinstance(moment, str):
        if len(moment) <= 10:
            return moment
        try:
            moment = dt.datetime.fromisoformat(moment.replace("Z", "+00:00"))
        except ValueError:
            return str(moment)
    offset = moment.strftime("%z")
    zone = "" if not offset else f" UTC{offset[:3]}:{offset[3:]}"
    return moment.strftime("%Y-%m-%d %H:%M") + zone.replace("UTC+00:00", "UTC")


def render_freshness(views: Sequence[CategoryView]) -> str:
    if not views:
        return ""
    rows = "".join(
        f'<tr><td>{escape(v.name)}</td><td class="v-{v.verdict}">{v.verdict}</td>'
        f"<td>{escape(readable(v.newest))}</td><td>{'' if v.rows is None else f'{v.rows:,}'}</td>"
        "</tr>"
        for v in views
    )
    return (
        '<div class="fresh"><table><thead><tr><th>Category</th><th>Freshness</th>'
        f"<th>Newest data</th><th>Rows</th></tr></thead><tbody>{rows}</tbody></table></div>"
    )


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
        f"{table(chart, series, days)}</figure>"
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


def table(chart: Chart, series: dict[str, Series], days: Sequence[dt.date]) -> str:
    """Every day with a value, newest first, one column per series (a week per row for
    weekly charts)."""
    if chart.kind == "weekly":
        return weekly_table(chart, series, days)
    columns = [series.get(line.key, {}) for line in chart.lines]
    shown = sorted({day for column in columns for day in column}, reverse=True)
    heads = "".join(f"<th>{escape(line.label)}</th>" for line in chart.lines)
    body = []  # end tags of cells and rows are optional in HTML: leaving them out halves the size
    for day in shown:
        cells = "".join("<td>" + cell(chart, c.get(day)) for c in columns)
        body.append(f"<tr><td>{day.isoformat()}{cells}")
    return data_table(chart, len(shown), "days", f"<th>Day</th>{heads}", "".join(body))


def cell(chart: Chart, value: float | None) -> str:
    if value is None:
        return ""
    if chart.levels:
        return chart.levels[int(value) - 1] if 1 <= value <= len(chart.levels) else ""
    return f"{value:,.{chart.digits}f}"


def weekly_table(chart: Chart, series: dict[str, Series], days: Sequence[dt.date]) -> str:
    line = chart.lines[0]
    column = aligned(series.get(line.key, {}), days)
    rows = [
        f"<tr><td>{days[w.start].isoformat()}<td>{cell(chart, w.total)}"
        f"<td>{sum(v is not None for v in column[w.start : w.end])}"
        for w in reversed(weeks(column))
        if w.total is not None
    ]
    head = f"<th>Week from</th><th>{escape(line.label)}</th><th>Days with data</th>"
    return data_table(chart, len(rows), "weeks", head, "".join(rows))


def data_table(chart: Chart, count: int, what: str, head: str, body: str) -> str:
    return (
        f'<details class="data"><summary>Data table ({count:,} {what}, '
        f'{escape(chart.unit)})</summary><div class="scroll"><table><thead><tr>'
        f"{head}</tr></thead><tbody>{body}</tbody></table></div></details>"
    )
