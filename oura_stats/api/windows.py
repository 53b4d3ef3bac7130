"""Which days to fetch for a category, and how to split them into requests. Pure functions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from oura_stats.api.categories import Category, Kind

# Oura's first ring shipped in 2015: no account holds data from before this day.
EARLIEST_DAY = dt.date(2015, 1, 1)
# A category that has never returned data is re-asked this far back (late manual entries).
EMPTY_LOOKBACK_DAYS = 30
# Some collections drop the last day of a bare end_date, and workout filters on UTC dates
# (a local evening west of Greenwich is the next UTC day, and that day is then dropped):
# ask for a day more before and two more after; the store's upsert makes overlaps harmless.
PAD_DAYS = 1
END_PAD_DAYS = 2
ONE_DAY = dt.timedelta(days=1)
# Readiness scores begin once the ring has calibrated: the history starts about this earlier.
CALIBRATION_MARGIN = dt.timedelta(days=31)
# The sandbox makes up data for any window asked: a month of it is sample enough.
SANDBOX_HISTORY_DAYS = 30


class Progress(Protocol):
    """How far a category's stored history reaches (the state file's record of it)."""

    @property
    def cursor(self) -> str | None: ...  # the newest day or instant stored

    @property
    def complete_until(self) -> str | None: ...  # the last day the history is complete to


@dataclass(frozen=True)
class Window:
    """Inclusive days to fetch, and what the run may conclude from fetching them."""

    start: dt.date
    end: dt.date
    trim: bool  # the user chose the days: drop documents outside them
    advances_state: bool  # contiguous with the stored history: cursors may move


@dataclass(frozen=True)
class Options:
    today: dt.date  # UTC
    lookback_days: int
    start: dt.date | None = None
    end: dt.date | None = None
    backfill_days: int | None = None  # how far back a first run goes (None: all the history)


def plan_window(saved: Progress, options: Options, floor: dt.date) -> Window:
    """The days to fetch for one category this run."""
    # A day ahead of UTC: users east of Greenwich already live in it. No data lies beyond
    # it, and a history cannot be complete past it (a state saying so is read as tomorrow).
    latest = latest_day(options)
    end = min(options.end or latest, latest)
    complete = day_of(saved.complete_until)
    if complete is not None:
        complete = min(complete, latest)
    cursor = day_of(saved.cursor)
    if options.start is not None:
        start = options.start
    elif complete is None:
        start = floor if options.backfill_days is None else max(floor, backfill_floor(options))
    elif cursor is not None:
        start = min(cursor, complete) - dt.timedelta(days=options.lookback_days)
    else:
        start = complete - dt.timedelta(days=max(options.lookback_days, EMPTY_LOOKBACK_DAYS))
    start = min(start, end)
    # Without a stored history, a run from its beginning starts one: the floor, or an
    # explicit --start-date then taken as the floor, up to today or an --end-date (the next
    # plain run goes on from there); a slice with both dates is not a history. With one,
    # only a window that leaves no gap after it.
    if complete is None:
        advances = options.start is None or options.end is None
    else:
        advances = start <= complete + ONE_DAY
    return Window(
        start=start,
        end=end,
        trim=options.start is not None or options.end is not None,
        advances_state=advances,
    )


def backfill_floor(options: Options) -> dt.date:
    """The first day of a first run bounded by --backfill-days."""
    return options.today - dt.timedelta(days=options.backfill_days or 0)


def latest_day(options: Options) -> dt.date:
    """The last day any data can exist for: tomorrow in UTC."""
    return options.today + ONE_DAY


def request_params(category: Category, window: Window) -> list[dict[str, str]]:
    """Query parameters of each request that together cover `window` for `category`."""
    if category.kind is Kind.SERIES:
        return _series_params(category, window)
    if category.kind is Kind.DAILY:
        return _daily_params(category, window)
    return [{}]


def request_days(params: Mapping[str, str]) -> int:
    """How many days a request's parameters span (0: an undated request)."""
    start = day_of(params.get("start_date") or params.get("start_datetime"))
    end = day_of(params.get("end_date") or params.get("end_datetime"))
    return 0 if start is None or end is None else (end - start).days


def _daily_params(category: Category, window: Window) -> list[dict[str, str]]:
    start = window.start - PAD_DAYS * ONE_DAY
    last = window.end + END_PAD_DAYS * ONE_DAY
    span = dt.timedelta(days=category.max_days) if category.max_days else last - start
    params = []
    while True:
        end = min(start + span, last)
        # Consecutive requests share their boundary day: collections with an exclusive
        # end_date return it in the next request.
        params.append({"start_date": start.isoformat(), "end_date": end.isoformat()})
        if end >= last:
            return params
        start = end


def _series_params(category: Category, window: Window) -> list[dict[str, str]]:
    start = dt.datetime.combine(window.start, dt.time(), tzinfo=dt.UTC)
    last = dt.datetime.combine(window.end + ONE_DAY, dt.time(), tzinfo=dt.UTC)
    span = dt.timedelta(days=category.max_days or 30)
    params = []
    while start < last:
        end = min(start + span, last)
        params.append({"start_datetime": start.isoformat(), "end_datetime": end.isoformat()})
        start = end
    return params


def history_floor(ring_setups: list[str | None]) -> dt.date:
    """The first day worth asking for, from the rings' set-up dates.

    Old rings report null or a 1970 sentinel, and their data predates every later ring:
    the ring dates bound the history only when every ring has a plausible one.
    """
    days: list[dt.date] = []
    for value in ring_setups:
        day = day_of(value)
        if day is None or day < EARLIEST_DAY:
            return EARLIEST_DAY
        days.append(day)
    if not days:
        return EARLIEST_DAY
    return min(days) - PAD_DAYS * ONE_DAY


def default_floor(options: Options, *, sandbox: bool) -> dt.date:
    """The first day a first run asks for when nothing bounds the history better."""
    if sandbox:
        return options.today - dt.timedelta(days=SANDBOX_HISTORY_DAYS)
    return EARLIEST_DAY


def needs_floor(category: Category, saved: Progress, options: Options) -> bool:
    """Only a first run of a category split into many requests gains from a later floor."""
    return (
        category.kind in (Kind.DAILY, Kind.SERIES)
        and saved.complete_until is None
        and options.start is None
        and options.backfill_days is None
        and category.max_days is not None
    )


def floor_before_first_score(first_scored: dt.date | None) -> dt.date:
    """The first day worth asking for, from the day of the first readiness score."""
    if first_scored is None:
        return EARLIEST_DAY
    return max(EARLIEST_DAY, first_scored - CALIBRATION_MARGIN)


def in_window(value: str, window: Window) -> bool:
    """Whether a document's day (or timestamp) falls inside the window's days."""
    day = day_of(value)
    return day is None or window.start <= day <= window.end


def day_of(value: str | None) -> dt.date | None:
    """The calendar day of a stored day or timestamp (as written, local to the record)."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None
