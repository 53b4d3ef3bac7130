"""The human form of `oura-stats status`: a fixed-width table, then the details that matter."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from oura_stats.monitor.freshness import CategoryView, StatusView, error_groups


@dataclass(frozen=True)
class ApiCheck:
    """What `--check-api` found."""

    ok: bool
    message: str


_COLUMNS = ("category", "verdict", "newest", "age", "rows", "last success", "note")


def render_table(view: StatusView, api: ApiCheck | None, zone: dt.tzinfo) -> str:
    """A fixed-width table, then failing categories' errors, the last run, a hint, a verdict."""
    rows = [_COLUMNS, *(_table_row(v, zone) for v in view.categories)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    lines = [
        "  ".join(
            cell.rjust(width) if i == 4 else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]
    lines.extend(_details(view, api, zone))
    return "\n".join(lines) + "\n"


def _table_row(v: CategoryView, zone: dt.tzinfo) -> tuple[str, ...]:
    age = "-" if v.age_hours is None else _age(v.age_hours)
    rows = "-" if v.rows is None else f"{v.rows:,}"
    note = "see below" if v.last_error else v.note
    return (
        v.name,
        v.verdict,
        _when(v.newest, zone),
        age,
        rows,
        _when(v.last_success, zone),
        note,
    )


def _details(view: StatusView, api: ApiCheck | None, zone: dt.tzinfo) -> list[str]:
    lines = [""] if view.categories else ["no category collected yet"]
    for message, group in error_groups(view.categories):
        since = _when(min(v.failing_since or "" for v in group) or None, zone)
        last = _when(max((v.last_error or {}).get("at", "") for v in group) or None, zone)
        who = group[0].name if len(group) == 1 else f"{len(group)} categories"
        lines.append(f"{who}: failing since {since} (last {last}): {message}")
    if view.last_run is not None:
        run = view.last_run
        failed = len(run.failed)
        result = f"{failed} {'category' if failed == 1 else 'categories'} failed"
        result = result if failed else "all categories ok"
        lines.append(
            f"last run: {_when(run.started, zone)} to {_when(run.finished, zone)}, {result}"
        )
    if view.hint:
        lines.append(f"hint: {view.hint}")
    lines.append(_zones_note(view, zone))
    if api is not None:
        lines.append(f"api: {'ok' if api.ok else 'FAILED'}: {api.message}")
    counts = [
        f"{sum(v.verdict == verdict for v in view.categories)} {verdict}"
        for verdict in ("failing", "stale")
    ]
    lines.append(
        f"verdict: {view.verdict} ({', '.join(counts)}; stale after "
        f"{view.stale_hours:g} h without new data)"
    )
    return lines


def _when(value: str | None, zone: dt.tzinfo) -> str:
    """A stored day as is (the wearer's local day); a stored instant in the reader's zone,
    to the minute, labelled with that zone: `2026-03-10 13:00 +01:00` or `... UTC`."""
    if not value:
        return "-"
    if len(value) == 10:
        return value
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {zone_label(local, zone)}"


def zone_label(moment: dt.datetime, zone: dt.tzinfo) -> str:
    """`UTC` when showing UTC, else the UTC offset as +HH:MM."""
    if zone is dt.UTC:
        return "UTC"
    offset = moment.strftime("%z")  # +0100
    return f"{offset[:3]}:{offset[3:5]}" if offset else "UTC"


def _zones_note(view: StatusView, zone: dt.tzinfo) -> str:
    moment = dt.datetime.fromisoformat(view.checked_at).astimezone(zone)
    shown = "UTC" if zone is dt.UTC else f"local time (UTC{zone_label(moment, zone)})"
    return f"times: {shown}; days (YYYY-MM-DD) are the wearer's local days as Oura dates them" + (
        "" if zone is dt.UTC else "; --utc shows UTC"
    )


def _age(hours: float) -> str:
    if hours < 0:
        return "0 h"
    return f"{hours:.0f} h" if hours < 72 else f"{hours / 24:.0f} d"
