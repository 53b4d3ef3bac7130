"""Read the CSVs the report needs, one row at a time, into per-day series (see `daily` for
the rules). Only days within the period are kept; no file is ever held whole in memory."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from oura_stats.report.charts import RESILIENCE
from oura_stats.report.daily import (
    HeartRateDays,
    Series,
    SleepPeriod,
    main_sleeps,
    naps,
    number,
    usable,
)
from oura_stats.store.csvfile import CsvFormatError, iter_rows, read_header

log = logging.getLogger(__name__)

HOUR = 3600.0
SLEEP_FIELDS = (
    "total_sleep_duration",
    "deep_sleep_duration",
    "light_sleep_duration",
    "rem_sleep_duration",
    "awake_time",
    "efficiency",
    "average_hrv",
    "lowest_heart_rate",
)
# (series name, CSV file, column); the day is the file's `day` column.
DAILY_COLUMNS = (
    ("sleep_score", "daily_sleep", "score"),
    ("readiness_score", "daily_readiness", "score"),
    ("hrv_balance", "daily_readiness", "contributors.hrv_balance"),
    ("temperature_deviation", "daily_readiness", "temperature_deviation"),
    ("steps", "daily_activity", "steps"),
    ("active_calories", "daily_activity", "active_calories"),
    ("activity_score", "daily_activity", "score"),
    ("spo2", "daily_spo2", "spo2_percentage.average"),
    ("breathing_disturbance", "daily_spo2", "breathing_disturbance_index"),
    ("stress_high", "daily_stress", "stress_high"),
    ("recovery_high", "daily_stress", "recovery_high"),
    ("resilience", "daily_resilience", "level"),
)
MINUTES = frozenset({"stress_high", "recovery_high"})  # seconds in the CSV, minutes shown
RESILIENCE_LEVELS = {name: float(n) for n, name in enumerate(RESILIENCE, start=1)}


@dataclass(frozen=True)
class Period:
    """The days to show; None leaves that end open (the data decides)."""

    first: dt.date | None = None
    last: dt.date | None = None

    def holds(self, day: dt.date) -> bool:
        return (self.first is None or day >= self.first) and (self.last is None or day <= self.last)


@dataclass
class Event:
    """One line of the workouts or tags list."""

    day: dt.date
    start: str
    kind: str
    detail: str


@dataclass
class ReportData:
    """Every series the page draws, and the lists it shows."""

    series: dict[str, Series] = field(default_factory=dict)
    odd_samples: dict[str, int] = field(default_factory=dict)  # series: samples left out
    workouts: list[Event] = field(default_factory=list)
    tags: list[Event] = field(default_factory=list)

    def days_seen(self) -> list[dt.date]:
        seen: set[dt.date] = set()
        for values in self.series.values():
            seen.update(values)
        seen.update(e.day for e in self.workouts)
        seen.update(e.day for e in self.tags)
        return sorted(seen)


def lines(path: Path) -> Iterator[list[str]]:
    """The rows of a CSV file as lists of cells (the header first); none when it does not
    exist. The one place the report opens a CSV. A file that cannot be read (not UTF-8,
    say) is left out of the page from there on, with one line saying why."""
    if not path.is_file() or path.stat().st_size == 0:
        return
    try:
        with path.open("rb") as handle:
            header, header_end = read_header(handle)
            yield header
            yield from iter_rows(handle, header_end)
    except CsvFormatError as error:
        log.error("report: left out %s: %s", path, error)


def rows(path: Path) -> Iterator[dict[str, str]]:
    """The rows of a CSV file as dicts by header."""
    reader = lines(path)
    header = next(reader, [])
    for row in reader:
        yield dict(zip(header, row, strict=False))


def parse_day(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((text or "")[:10])
    except ValueError:
        return None


def read_all(directory: Path, period: Period, zone: dt.tzinfo) -> ReportData:
    """Everything the report shows from the CSVs in `directory`, within `period`."""
    data = ReportData()
    read_daily(directory, period, data)
    read_sleep(directory, period, data)
    read_heart_rate(directory, period, zone, data)
    data.workouts = list(read_workouts(directory, period))
    data.tags = list(read_tags(directory, period))
    return data


def read_daily(directory: Path, period: Period, data: ReportData) -> None:
    files: dict[str, list[tuple[str, str]]] = {}
    for series, name, column in DAILY_COLUMNS:
        files.setdefault(name, []).append((series, column))
        data.series[series] = {}
    for name, wanted in files.items():
        for row in rows(directory / f"{name}.csv"):
            day = parse_day(row.get("day"))
            if day is None or not period.holds(day):
                continue
            for series, column in wanted:
                value = cell_value(series, row.get(column))
                if value is not None:
                    data.series[series][day] = value


def cell_value(series: str, text: str | None) -> float | None:
    if series == "resilience":
        return RESILIENCE_LEVELS.get(text or "")
    value = number(text)
    if value is not None and series in MINUTES:
        return value / 60
    return value


def read_sleep(directory: Path, period: Period, data: ReportData) -> None:
    periods: list[SleepPeriod] = []
    for row in rows(directory / "sleep.csv"):
        day = parse_day(row.get("day"))
        if day is None or not period.holds(day):
            continue
        values = {f: v for f in SLEEP_FIELDS if (v := number(row.get(f))) is not None}
        in_bed = number(row.get("time_in_bed")) or 0.0
        periods.append(SleepPeriod(day, row.get("type") or "", in_bed, values))
    main = main_sleeps(periods)
    for name in SLEEP_FIELDS:
        scale = HOUR if name.endswith(("_duration", "_time")) else 1.0
        data.series[name] = {
            day: p.values[name] / scale for day, p in main.items() if name in p.values
        }
    data.series["nap_count"], data.series["nap_minutes"] = naps(periods)


def read_heart_rate(directory: Path, period: Period, zone: dt.tzinfo, data: ReportData) -> None:
    days = HeartRateDays(zone)
    reader = lines(directory / "heartrate.csv")
    header = next(reader, [])
    if "timestamp" in header and "bpm" in header:
        odd = days.add_rows(reader, header.index("timestamp"), header.index("bpm"))
        data.odd_samples["hr_avg"] = odd
    lows, means, highs = days.series()
    data.series["hr_min"] = {d: v for d, v in lows.items() if period.holds(d)}
    data.series["hr_avg"] = {d: v for d, v in means.items() if period.holds(d)}
    data.series["hr_max"] = {d: v for d, v in highs.items() if period.holds(d)}


def read_workouts(directory: Path, period: Period) -> Iterator[Event]:
    for row in rows(directory / "workout.csv"):
        day = parse_day(row.get("day"))
        if day is None or not period.holds(day):
            continue
        parts = [row.get("intensity") or ""]
        if (calories := number(row.get("calories"))) and usable(calories):
            parts.append(f"{calories:,.0f} kcal")
        if (distance := number(row.get("distance"))) and usable(distance):
            parts.append(f"{distance / 1000:.1f} km")
        minutes = _minutes_between(row.get("start_datetime"), row.get("end_datetime"))
        if minutes is not None:
            parts.insert(0, f"{minutes} min")
        start = (row.get("start_datetime") or "")[11:16]
        yield Event(day, start, row.get("activity") or "workout", ", ".join(p for p in parts if p))


def read_tags(directory: Path, period: Period) -> Iterator[Event]:
    for row in rows(directory / "enhanced_tag.csv"):
        day = parse_day(row.get("start_day"))
        if day is None or not period.holds(day):
            continue
        code = (row.get("tag_type_code") or "").removeprefix("tag_").removeprefix("generic_")
        name = row.get("custom_name") or code
        start = (row.get("start_time") or "")[11:16]
        yield Event(day, start, name.replace("_", " "), row.get("comment") or "")
    for row in rows(directory / "tag.csv"):
        day = parse_day(row.get("day"))
        if day is None or not period.holds(day):
            continue
        start = (row.get("timestamp") or "")[11:16]
        for name in tag_names(row.get("tags") or ""):
            yield Event(day, start, name.replace("_", " "), row.get("text") or "")


def tag_names(cell: str) -> list[str]:
    """The names in the old `tag` category's list cell (JSON text), one event each."""
    try:
        names = json.loads(cell)
    except ValueError:
        names = cell.strip("[]").replace('"', "").split(",")
    if not isinstance(names, list):
        names = [names]
    return [str(n).strip() for n in names if str(n).strip()]


def _minutes_between(start: str | None, end: str | None) -> int | None:
    try:
        began = dt.datetime.fromisoformat(start or "")
        ended = dt.datetime.fromisoformat(end or "")
    except ValueError:
        return None
    return round((ended - began).total_seconds() / 60)
