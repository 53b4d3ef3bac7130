"""Who is still syncing? Per participant: the last day with sleep, daily and heart-rate data,
nights missing in the last two weeks, and which of the last 90 days have data at all.

Days are the wearer's own: `day` columns as Oura credits them, heart-rate samples by their
UTC date (close enough for "did the ring sync that day"; the offset is not in the sample).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from oura_stats.db.participants import Participant

# kind → (table, its time column, the expression giving a row's day)
KINDS = {
    "sleep": ("daily_sleep", '"day"', '"day"'),
    "daily": ("daily_activity", '"day"', '"day"'),
    "heartrate": ("heartrate", '"timestamp"', "(\"timestamp\" AT TIME ZONE 'UTC')::date"),
}
STRIP_DAYS = 90
SLEEP_WINDOW = 14
SILENT_DAYS = 3


@dataclass
class Adherence:
    participant: Participant
    last: dict[str, dt.date | None] = field(default_factory=dict)
    days: dict[str, set[dt.date]] = field(default_factory=dict)  # kind → days with data

    @property
    def name(self) -> str:
        return self.participant.name

    def last_any(self) -> dt.date | None:
        known = [day for day in self.last.values() if day is not None]
        return max(known) if known else None

    def silent_days(self, today: dt.date) -> int | None:
        """Days since any data arrived (None: never any)."""
        last = self.last_any()
        return None if last is None else (today - last).days

    def missing_sleep(self, today: dt.date, window: int = SLEEP_WINDOW) -> int:
        first = today - dt.timedelta(days=window - 1)
        nights = {d for d in self.days.get("sleep", set()) if first <= d <= today}
        return window - len(nights)

    def as_json(self, today: dt.date) -> dict[str, Any]:
        p = self.participant
        return {
            "name": p.name,
            "oura_user_id": p.oura_user_id,
            "state": p.state,
            "last_sleep_day": _iso(self.last.get("sleep")),
            "last_daily_day": _iso(self.last.get("daily")),
            "last_heartrate_day": _iso(self.last.get("heartrate")),
            "days_without_sleep_last_14": self.missing_sleep(today),
            "silent_days": self.silent_days(today),
            "failing_since": p.failing_since.isoformat() if p.failing_since else None,
            "last_error": p.last_error,
            "needs_consent": p.state == "needs consent",
        }


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def adherence(conn: Any, participants: Iterable[Participant], today: dt.date) -> list[Adherence]:
    """One `Adherence` per participant, from the data tables' `account` column."""
    found = {p.name: Adherence(p) for p in participants}
    first = today - dt.timedelta(days=STRIP_DAYS - 1)
    since = dt.datetime.combine(first, dt.time(), dt.UTC)
    for kind, (table, column, day) in KINDS.items():
        if not _has_account_column(conn, table):
            continue
        for name, last in conn.execute(
            f"SELECT account, max({day}) FROM {table} GROUP BY account"
        ).fetchall():
            if name in found:
                found[name].last[kind] = last
        for name, seen in conn.execute(
            f"SELECT DISTINCT account, {day} FROM {table} WHERE {column} >= %s",
            (since,),
        ).fetchall():
            if name in found:
                found[name].days.setdefault(kind, set()).add(seen)
    return list(found.values())


def _has_account_column(conn: Any, table: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = %s AND column_name = 'account'",
        (table,),
    ).fetchone()
    return row is not None
