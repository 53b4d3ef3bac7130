"""A study's adherence for people and monitors: `status --accounts` (a table, or JSON) and
per-participant Prometheus lines, from the participants and their data in the database."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from oura_stats.db.adherence import SILENT_DAYS, SLEEP_WINDOW, Adherence, adherence
from oura_stats.db.participants import Registry
from oura_stats.db.target import Target


def study_adherence(target: Target, today: dt.date) -> list[Adherence]:
    with Registry(target) as registry:
        participants = registry.all()
        with registry.transaction() as cursor:
            return adherence(cursor.connection, participants, today)


def needs_attention(row: Adherence, today: dt.date) -> bool:
    if row.participant.state == "withdrawn":
        return False
    silent = row.silent_days(today)
    return (
        row.participant.state != "ok"
        or row.participant.failing_since is not None
        or silent is None
        or silent >= SILENT_DAYS
    )


def as_json(rows: Sequence[Adherence], today: dt.date) -> str:
    entries = [{**row.as_json(today), "attention": needs_attention(row, today)} for row in rows]
    return json.dumps({"today": today.isoformat(), "participants": entries}, indent=2) + "\n"


def as_table(rows: Sequence[Adherence], today: dt.date) -> str:
    header = (
        "PARTICIPANT",
        "STATE",
        "LAST SLEEP",
        "LAST DAILY",
        "LAST HR",
        f"NO SLEEP/{SLEEP_WINDOW}D",
        "FAILING SINCE",
    )
    lines: list[Sequence[str]] = [header]
    for row in rows:
        p = row.participant
        lines.append(
            (
                ("! " if needs_attention(row, today) else "  ") + p.name,
                p.state,
                _day(row.last.get("sleep")),
                _day(row.last.get("daily")),
                _day(row.last.get("heartrate")),
                str(row.missing_sleep(today)),
                p.failing_since.strftime("%Y-%m-%d %H:%M %Z") if p.failing_since else "-",
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )
    flagged = sum(1 for row in rows if needs_attention(row, today))
    return (
        f"{text}\n\n{flagged} of {len(rows)} need attention (!): silent {SILENT_DAYS}+ days, "
        "failing or needing consent\n"
    )


def _day(day: dt.date | None) -> str:
    return day.isoformat() if day else "never"


def metric_lines(rows: Sequence[Adherence], today: dt.date) -> list[str]:
    """Per participant gauges (exposition format 0.0.4)."""
    out = [
        "# HELP oura_stats_participant_days_since_data Days since any data arrived (-1: never).",
        "# TYPE oura_stats_participant_days_since_data gauge",
    ]
    for row in rows:
        silent = row.silent_days(today)
        out.append(
            f"oura_stats_participant_days_since_data{_labels(row)} "
            f"{-1 if silent is None else silent}"
        )
    out += [
        "# HELP oura_stats_participant_nights_missing Nights without sleep data in the "
        f"last {SLEEP_WINDOW} days.",
        "# TYPE oura_stats_participant_nights_missing gauge",
        *(f"oura_stats_participant_nights_missing{_labels(r)} {r.missing_sleep(today)}"
          for r in rows),
        "# HELP oura_stats_participant_needs_consent 1 when Oura refused the participant's token.",
        "# TYPE oura_stats_participant_needs_consent gauge",
        *(f"oura_stats_participant_needs_consent{_labels(r)} "
          f"{int(r.participant.state == 'needs consent')}" for r in rows),
        "# HELP oura_stats_participant_failing 1 while the participant's collection fails.",
        "# TYPE oura_stats_participant_failing gauge",
        *(f"oura_stats_participant_failing{_labels(r)} "
          f"{int(r.participant.failing_since is not None)}" for r in rows),
    ]  # fmt: skip
    return out


def _labels(row: Adherence) -> str:
    name = row.name.replace("\\", "\\\\").replace('"', '\\"')
    return f'{{participant="{name}"}}'


def describe(rows: Sequence[Adherence], today: dt.date) -> dict[str, Any]:
    return {"participants": len(rows), "attention": sum(needs_attention(r, today) for r in rows)}
