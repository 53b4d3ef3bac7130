"""The page's lists: workouts and tags (newest first, each name once with its count), and
what goes with a good night (see `associations`)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from html import escape

from oura_stats.report.associations import MINIMUM_DAYS, Comparison, associations
from oura_stats.report.daily import without_odd
from oura_stats.report.sources import Event, ReportData

EVENTS = "Workouts and tags"
GOOD_NIGHT = "What goes with a good night"
LIST_SECTIONS = (EVENTS, GOOD_NIGHT)
OUTCOMES = (
    ("sleep_score", "Next night's sleep score"),
    ("readiness_score", "Next day's readiness"),
)
MINUS = "\u2212"


def slug(title: str) -> str:
    return title.lower().replace(" ", "-")


def render_lists(data: ReportData, days: Sequence[dt.date]) -> str:
    return (
        f'<section id="{slug(EVENTS)}"><h2>{EVENTS}</h2>'
        + event_list("Workouts", "workouts", data.workouts)
        + event_list("Tags", "tags", data.tags)
        + "</section>"
        + good_night(data, days)
    )


def event_list(title: str, ident: str, events: Sequence[Event]) -> str:
    if not events:
        return f'<h3>{title}</h3><p class="empty">None in this period.</p>'
    counts = Counter(e.kind for e in events)
    summary = "".join(
        f'<li>{escape(kind)} <span class="n">{n:,}</span></li>'
        for kind, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    )
    rows = "".join(
        f"<tr><td>{e.day.isoformat()}</td><td>{escape(e.start)}</td><td>{escape(e.kind)}</td>"
        f"<td>{escape(e.detail)}</td></tr>"
        for e in sorted(events, key=lambda e: (e.day, e.start), reverse=True)
    )
    return (
        f'<div class="list" id="{ident}"><h3>{title}: {len(events):,}</h3>'
        f'<ul class="counts">{summary}</ul><div class="scroll"><table><thead><tr><th>Day</th>'
        f"<th>Start</th><th>What</th><th>Details</th></tr></thead><tbody>{rows}</tbody>"
        "</table></div></div>"
    )


def good_night(data: ReportData, days: Sequence[dt.date]) -> str:
    marked: dict[tuple[str, str], set[dt.date]] = {}
    for kind, events in (("tag", data.tags), ("workout", data.workouts)):
        for event in events:
            marked.setdefault((kind, event.kind), set()).add(event.day)
    outcomes = [without_odd(data.series.get(key, {}), (0.0, 100.0))[0] for key, _ in OUTCOMES]
    found = associations(marked, outcomes, days)
    intro = (
        f"For each tag and workout type seen on at least {MINIMUM_DAYS} days: the sleep score "
        "of the night after and the readiness of the day after, on days with it against days "
        "without it. The difference is with minus without, in score points, with its 95 % "
        "interval (Welch's t); an interval that spans zero shows no clear difference. These "
        "are associations in your own data, not causes: days with a tag can differ in other "
        "ways too."
    )
    head = f'<section id="{slug(GOOD_NIGHT)}"><h2>{GOOD_NIGHT}</h2><p class="note">{intro}</p>'
    if not found:
        empty = f"No tag or workout type was seen on {MINIMUM_DAYS} days or more in this period."
        return f'{head}<p class="empty">{empty}</p></section>'
    heads = "".join(f"<th>{label}</th>" for _, label in OUTCOMES)
    rows = "".join(
        f'<tr><td>{escape(a.name)} <span class="kind">{a.kind}</span></td><td>{a.days:,}</td>'
        + "".join(comparison_cell(c) for c in a.outcomes)
        + "</tr>"
        for a in found
    )
    return (
        f'{head}<div class="scroll"><table class="assoc"><thead><tr><th>With</th><th>Days</th>'
        f"{heads}</tr></thead><tbody>{rows}</tbody></table></div></section>"
    )


def comparison_cell(found: Comparison | None) -> str:
    if found is None:
        return f'<td class="few">fewer than {MINIMUM_DAYS} days on a side</td>'
    kind = ' class="clear"' if found.clear else ""
    return (
        f"<td{kind}>{signed(found.difference)} <small>({signed(found.low)} to "
        f"{signed(found.high)}; {found.n_with:,} vs {found.n_without:,} days)</small></td>"
    )


def signed(value: float) -> str:
    text = f"{abs(value):.1f}"
    if text == "0.0":
        return text
    return ("+" if value > 0 else MINUS) + text
