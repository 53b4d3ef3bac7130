"""Per category: is its data current? A pure function of the state, the CSV facts and a clock.

Verdicts:
- failing: the last run that collected the category failed it (`last_error` in the state);
  `failing_since` says since when.
- stale: a *judged* category's newest stored data is older than the threshold. A day counts
  until its end (midnight at the end of that day, in the clock's time zone); a time series
  sample counts from its instant.
- ok: anything else. Only categories a worn ring fills every day are judged by default:
  tags, workouts, sessions, rest mode, VO2 max or cardiovascular age can rightly go quiet
  for weeks. personal_info and ring_configuration are never stale.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from oura_stats.monitor.judged import DAILY_BY_NATURE, DEFAULT_STALE_HOURS, NEVER_STALE
from oura_stats.scrub import scrub
from oura_stats.store.csvfacts import CsvFacts

OK, STALE, FAILING = "ok", "stale", "failing"
PAUSED = "backfill paused at"
_SEVERITY = {OK: 0, STALE: 1, FAILING: 2}

# Synced in the background; the others arrive only once the Oura app is opened.
_BACKGROUND = frozenset({"daily_activity", "heartrate", "ring_battery_level"})


@dataclass(frozen=True)
class Policy:
    stale_hours: float = DEFAULT_STALE_HOURS
    judged: frozenset[str] = frozenset(DAILY_BY_NATURE)


@dataclass(frozen=True)
class CategoryView:
    name: str
    verdict: str
    judged: bool
    newest: str | None
    age_hours: float | None
    rows: int | None
    last_success: str | None
    last_error: dict[str, str] | None
    failing_since: str | None
    note: str


@dataclass(frozen=True)
class RunView:
    started: str | None
    finished: str | None
    failed: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.failed


@dataclass(frozen=True)
class StatusView:
    checked_at: str
    stale_hours: float
    verdict: str
    categories: tuple[CategoryView, ...]
    last_run: RunView | None
    hint: str | None


def build_view(
    state: Mapping[str, Any], facts: Mapping[str, CsvFacts], now: dt.datetime, policy: Policy
) -> StatusView:
    """The view of the categories in `facts` (in that order) at `now` (an aware datetime)."""
    entries = state.get("categories", {})
    views = tuple(
        category_view(name, entries.get(name, {}), fact, now, policy)
        for name, fact in facts.items()
    )
    return StatusView(
        checked_at=now.isoformat(timespec="seconds"),
        stale_hours=policy.stale_hours,
        verdict=worst(v.verdict for v in views) if views else STALE,
        categories=views,
        last_run=last_run(state.get("runs", [])),
        hint=hint(views) if views else "nothing collected yet",
    )


def category_view(
    name: str, entry: Mapping[str, Any], facts: CsvFacts, now: dt.datetime, policy: Policy
) -> CategoryView:
    judged = name in policy.judged and name not in NEVER_STALE
    newest = None if name in NEVER_STALE else facts.newest
    age = _age_hours(newest, now)
    error = entry.get("last_error")
    if error:
        error = {key: scrub(str(value)) for key, value in error.items()}
        verdict, note = FAILING, error.get("message", "")
    elif judged and age is not None and age > policy.stale_hours:
        verdict, note = STALE, paused_note(entry, facts, now) or f"no new data for {_duration(age)}"
    else:
        verdict, note = OK, paused_note(entry, facts, now) or _ok_note(name, judged, facts)
    return CategoryView(
        name=name,
        verdict=verdict,
        judged=judged,
        newest=newest,
        age_hours=None if age is None else round(max(age, 0.0), 2),  # 0: the day is not over
        rows=facts.rows,
        last_success=entry.get("last_success"),
        last_error=error or None,
        failing_since=entry.get("failing_since") if error else None,
        note=note,
    )


def paused_note(entry: Mapping[str, Any], facts: CsvFacts, now: dt.datetime) -> str | None:
    """For a first backfill that was stopped (and never finished): how far it got."""
    until, oldest = entry.get("complete_until"), facts.oldest
    if entry.get("last_success") or not until or not oldest:
        return None
    try:
        first, paused = dt.date.fromisoformat(oldest[:10]), dt.date.fromisoformat(until[:10])
    except ValueError:
        return None
    days = (now.date() - first).days + 1
    return f"{PAUSED} {paused} ({(paused - first).days + 1:,} of {days:,} days)"


def _ok_note(name: str, judged: bool, facts: CsvFacts) -> str:
    if facts.rows is None:
        return "not collected yet"
    if name in NEVER_STALE:
        return "not time-based: never stale"
    if not judged:
        return "not judged (may be sparse; see --stale-categories)"
    if facts.newest is None:
        return "no data yet"
    return ""


def last_run(runs: Iterable[Mapping[str, Any]]) -> RunView | None:
    record = next(iter(reversed(list(runs))), None)
    if record is None:
        return None
    failed = tuple(
        name
        for name, result in record.get("categories", {}).items()
        if result.get("error") and not result.get("stopped")
    )
    return RunView(record.get("started"), record.get("finished"), failed)


def error_groups(views: Iterable[CategoryView]) -> list[tuple[str, list[CategoryView]]]:
    """Failing categories grouped by their error, so a cause they share is told once."""
    groups: dict[str, list[CategoryView]] = {}
    for v in views:
        if v.last_error:
            groups.setdefault(v.note, []).append(v)
    return list(groups.items())


def hint(views: Iterable[CategoryView]) -> str | None:
    """A guess at the cause when data is missing but no fetch failed."""
    judged = [v for v in views if v.judged and v.newest is not None]
    judged = [v for v in judged if not v.note.startswith(PAUSED)]  # stale for a known reason
    stale = {v.name for v in judged if v.verdict == STALE}
    if not stale or any(v.verdict == FAILING for v in judged):
        return None
    if stale == {v.name for v in judged}:
        return (
            "no new data in any daily category and no fetch failed: is the ring worn and "
            "charged, and does the Oura app on the phone sync?"
        )
    fresh = {v.name for v in judged} - stale
    if fresh & _BACKGROUND and not stale & _BACKGROUND:
        return (
            "the ring syncs in the background but " + ", ".join(sorted(stale)) + " did not "
            "arrive: they come once the Oura app is opened (or the ring was not worn at night)"
        )
    return None


def instant(value: str, zone: dt.tzinfo) -> dt.datetime | None:
    """When a stored time value stops being news: a day at its end, a timestamp as is."""
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone)
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _age_hours(newest: str | None, now: dt.datetime) -> float | None:
    if not newest:
        return None
    moment = instant(newest, now.tzinfo or dt.UTC)
    if moment is None:
        return None
    return (now - moment).total_seconds() / 3600


def _duration(hours: float) -> str:
    return f"{hours:.0f} h" if hours < 72 else f"{hours / 24:.1f} days"


def worst(verdicts: Iterable[str]) -> str:
    return max(verdicts, key=_SEVERITY.__getitem__, default=OK)


def view_to_json(view: StatusView) -> dict[str, Any]:
    """The machine-readable shape shared by `status --json` and `GET /health`."""
    return {
        "verdict": view.verdict,
        "checked_at": view.checked_at,
        "stale_hours": view.stale_hours,
        "hint": view.hint,
        "last_run": None
        if view.last_run is None
        else {
            "started": view.last_run.started,
            "finished": view.last_run.finished,
            "ok": view.last_run.ok,
            "failed": list(view.last_run.failed),
        },
        "errors": [
            {"message": message, "count": len(group), "categories": [v.name for v in group]}
            for message, group in error_groups(view.categories)
        ],
        "categories": {
            v.name: {
                "verdict": v.verdict,
                "judged": v.judged,
                "newest": v.newest,
                "age_hours": v.age_hours,
                "rows": v.rows,
                "last_success": v.last_success,
                "last_error": v.last_error,
                "failing_since": v.failing_since,
                "note": v.note,
            }
            for v in view.categories
        },
    }


def local_now() -> dt.datetime:
    """Now, in this machine's time zone (days end at local midnight)."""
    return dt.datetime.now().astimezone()
