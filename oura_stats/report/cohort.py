"""The cohort page: one row per participant, who is syncing and who went quiet.

Each row shows the participant's state, the last day with any data, nights missing in the
last 14 days, and two coverage strips (the last 30 and 90 days: a cell per day, filled
when sleep, daily activity or heart rate arrived that day). Participants silent for
`SILENT_DAYS` or more, or needing a new consent, come first: they are the ones to call.
One self-contained file: inline style, no script, nothing fetched.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Sequence
from html import escape

from oura_stats.db.adherence import SILENT_DAYS, SLEEP_WINDOW, Adherence
from oura_stats.monitor.adherence import needs_attention

STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:0;padding:16px;color:#1d2433;background:#fff}
h1{font-size:20px;margin:0 0 4px}p.meta{color:#5b6477;margin:0 0 16px}
.wrap{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;min-width:100%}
th,td{padding:6px 8px;border-bottom:1px solid #e3e6ee;text-align:left;white-space:nowrap;
vertical-align:middle}
th{font-size:12px;color:#5b6477;font-weight:600}
tr.attention td{background:#fff4e5}
.state{font-size:12px;padding:1px 6px;border-radius:8px;background:#e7f5ec;color:#1e6b3a}
.state.bad{background:#fde8e8;color:#9b1c1c}.state.off{background:#eceef3;color:#5b6477}
svg{display:block}rect.y{fill:#3b82f6}rect.p{fill:#93c5fd}rect.n{fill:#e5e7eb}
.legend{font-size:12px;color:#5b6477;margin:8px 0}
.legend i{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px;vertical-align:-1px}
.legend i.y{background:#3b82f6}.legend i.p{background:#93c5fd}.legend i.n{background:#e5e7eb}
"""
CELL, GAP = 4, 1


def csp() -> str:
    digest = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
    return f"default-src 'none'; style-src 'sha256-{digest}'; img-src 'none'"


def order(rows: Sequence[Adherence], today: dt.date) -> list[Adherence]:
    """Those to look at first (silent, needing consent, failing), then by name."""

    def key(row: Adherence) -> tuple[int, int, str]:
        return (
            0 if needs_attention(row, today) else 1,
            -(row.silent_days(today) or 10**6),
            row.name,
        )

    return sorted(rows, key=key)


def strip(row: Adherence, today: dt.date, days: int) -> str:
    """One cell per day: full (sleep and daily data), partial (some data), none."""
    width = days * (CELL + GAP)
    cells = []
    for offset in range(days):
        day = today - dt.timedelta(days=days - 1 - offset)
        kinds = sum(1 for seen in row.days.values() if day in seen)
        style = "y" if kinds >= 2 else "p" if kinds else "n"
        x = offset * (CELL + GAP)
        cells.append(
            f'<rect class="{style}" x="{x}" y="0" width="{CELL}" height="14">'
            f"<title>{day.isoformat()}</title></rect>"
        )
    label = f"{row.name}: data on {_covered(row, today, days)} of the last {days} days"
    return (
        f'<svg width="{width}" height="14" viewBox="0 0 {width} 14" role="img" '
        f'aria-label="{escape(label)}">{"".join(cells)}</svg>'
    )


def _covered(row: Adherence, today: dt.date, days: int) -> int:
    first = today - dt.timedelta(days=days - 1)
    seen = set().union(*row.days.values()) if row.days else set()
    return sum(1 for day in seen if first <= day <= today)


def render_row(row: Adherence, today: dt.date) -> str:
    p = row.participant
    state_class = {"needs consent": " bad", "withdrawn": " off"}.get(p.state, "")
    if p.failing_since is not None and not state_class:
        state_class = " bad"
    silent = row.silent_days(today)
    last = row.last_any()
    since = "never" if silent is None else f"{silent} d ago" if silent else "today"
    cells = [
        f"<td><b>{escape(p.name)}</b></td>",
        f'<td><span class="state{state_class}">{escape(p.state)}</span></td>',
        f"<td>{last.isoformat() if last else 'none'} ({since})</td>",
        f"<td>{row.missing_sleep(today)}</td>",
        f"<td>{strip(row, today, 30)}</td>",
        f"<td>{strip(row, today, 90)}</td>",
    ]
    marked = ' class="attention"' if needs_attention(row, today) else ""
    return f"<tr{marked}>{''.join(cells)}</tr>"


def render_cohort(rows: Sequence[Adherence], today: dt.date, built: dt.datetime) -> str:
    ordered = order(rows, today)
    quiet = sum(1 for row in ordered if needs_attention(row, today))
    head = (
        "<tr><th>Participant</th><th>State</th><th>Last data</th>"
        f"<th>Nights missing (last {SLEEP_WINDOW})</th><th>Last 30 days</th>"
        "<th>Last 90 days</th></tr>"
    )
    body = "".join(render_row(row, today) for row in ordered)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{csp()}">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>Study adherence {today.isoformat()}</title><style>{STYLE}</style></head><body>"
        f"<h1>Study adherence</h1><p class=meta>{len(ordered):,} participants; "
        f"{quiet:,} silent for {SILENT_DAYS} days or more, failing or needing consent "
        f"(shown first). Built {built.strftime('%Y-%m-%d %H:%M %z')}.</p>"
        '<p class="legend">Each cell is a day:<i class="y"></i>sleep and daily data'
        '<i class="p"></i>some data<i class="n"></i>none</p>'
        f'<div class="wrap"><table>{head}{body}</table></div></body></html>\n'
    )
