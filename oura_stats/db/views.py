"""The views for people and dashboards: `daily` (one row per day), `heartrate_local`,
`heartrate_daily`, and the nested series (`series.py`).

`daily` joins the day's scores, the main sleep (the long sleep, else the longest; `deleted`
sleeps never count, as in the report) and activity figures. Heart-rate samples are UTC
instants: the wearer's offset on a UTC day is taken from that day's `daily_activity`
document (its `timestamp`, 04:00 local, carries the wearer's offset; UTC when there is
none), so `heartrate_local` gives each sample its wall-clock time and `heartrate_daily`
summarises the samples per local day.

In a study's database (PostgreSQL; every data table carries the participant in `account`,
see `studykey.py`) each view has `account` as its first column and every grouping, ranking
and join is per participant too, so two people's rows of one day are never mixed; a
one-person database's views have no such column.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from oura_stats.db.series import all_series, series_views
from oura_stats.db.studyterms import ACCOUNT

VIEWS = ("daily", "heartrate_daily", "heartrate_local", *(s.table for s in all_series()))
NOT_SLEEP = "deleted"

# (source table, output column, expression over that table), aggregated per day.
DAILY_FIGURES = (
    ("daily_sleep", "sleep_score", "max(score)"),
    ("daily_readiness", "readiness_score", "max(score)"),
    ("daily_readiness", "temperature_deviation", "max(temperature_deviation)"),
    ("daily_activity", "activity_score", "max(score)"),
    ("daily_activity", "steps", "max(steps)"),
    ("daily_activity", "active_calories", "max(active_calories)"),
    ("daily_stress", "stress_high", "max(stress_high)"),
    ("daily_stress", "recovery_high", "max(recovery_high)"),
    ("daily_stress", "stress_summary", "max(day_summary)"),
    ("daily_resilience", "resilience_level", "max(level)"),
    ("daily_spo2", "spo2_average", 'max("spo2_percentage.average")'),
    ("daily_spo2", "breathing_disturbance_index", "max(breathing_disturbance_index)"),
)
SLEEP_FIGURES = (
    "total_sleep_duration",
    "deep_sleep_duration",
    "rem_sleep_duration",
    "efficiency",
    "average_hrv",
    "lowest_heart_rate",
)


# Every table the views read: they are per participant when each carries `account`.
SOURCES = tuple(
    dict.fromkeys(
        [
            *(t for t, _, _ in DAILY_FIGURES),
            "sleep",
            "heartrate",
            *(s.category for s in all_series()),
        ]
    )
)


def per_participant(columns: Mapping[str, Collection[str]]) -> bool:
    """Whether the views are a study's, from {table: its columns}."""
    return all(ACCOUNT in columns.get(table, ()) for table in SOURCES)


def _keys(study: bool, *columns: str) -> list[str]:
    """The columns a view groups, partitions and joins by: `account` first in a study."""
    return [ACCOUNT, *columns] if study else list(columns)


def _same(left: str, right: str, keys: list[str]) -> str:
    return " AND ".join(f"{left}.{k} = {right}.{k}" for k in keys)


def _daily(dialect: str, study: bool) -> str:
    tables = list(dict.fromkeys(table for table, _, _ in DAILY_FIGURES))
    keys = ", ".join(by := _keys(study, "day"))
    days = " UNION ".join(f"SELECT {keys} FROM {t}" for t in [*tables, "slept"])
    slept = f"slept AS (SELECT * FROM sleep WHERE COALESCE(type, '') <> '{NOT_SLEEP}')"
    parts = [slept, f"days AS ({days})"]
    for table in tables:
        figures = ", ".join(f"{expr} AS {col}" for t, col, expr in DAILY_FIGURES if t == table)
        parts.append(f"{table}_d AS (SELECT {keys}, {figures} FROM {table} GROUP BY {keys})")
    ranked = ", ".join(SLEEP_FIGURES)
    parts.append(
        f"main_sleep AS (SELECT {keys}, {ranked}, row_number() OVER (PARTITION BY {keys} "
        "ORDER BY CASE WHEN type = 'long_sleep' THEN 0 ELSE 1 END, "
        "COALESCE(total_sleep_duration, -1) DESC, id) AS rank FROM slept)"
    )
    columns = [f"{t}_d.{col}" for t, col, _ in DAILY_FIGURES]
    sleep = [
        f"main_sleep.{c} AS {'sleep_efficiency' if c == 'efficiency' else c}" for c in SLEEP_FIGURES
    ]
    joins = [f"LEFT JOIN {t}_d ON {_same(f'{t}_d', 'days', by)}" for t in tables]
    joins.append(
        f"LEFT JOIN main_sleep ON {_same('main_sleep', 'days', by)} AND main_sleep.rank = 1"
    )
    select = ",\n  ".join([*(f"days.{k}" for k in by), *columns, *sleep])
    return (
        f"{_create(dialect, 'daily')} AS\nWITH "
        + ",\n".join(parts)
        + f"\nSELECT\n  {select}\nFROM days\n"
        + "\n".join(joins)
    )


def _heartrate_local(dialect: str, study: bool) -> str:
    """Each heart-rate sample with the wearer's wall-clock time and local day."""
    if dialect == "postgresql":
        shift = "max(timestamp_local - (\"timestamp\" AT TIME ZONE 'UTC'))"
        utc_day = "(h.\"timestamp\" AT TIME ZONE 'UTC')::date"
        wall = "(h.\"timestamp\" AT TIME ZONE 'UTC') + COALESCE(o.shift, interval '0')"
        day = f"({wall})::date"
    else:
        shift = (
            'CAST(round((julianday(timestamp_local) - julianday("timestamp")) * 1440) AS INTEGER)'
        )
        shift = f"max({shift})"
        utc_day = 'date(h."timestamp")'
        minutes = "COALESCE(o.shift, 0) || ' minutes'"
        wall = f"strftime('%Y-%m-%dT%H:%M:%S', h.\"timestamp\", {minutes})"
        day = f'date(h."timestamp", {minutes})'
    keys = ", ".join(_keys(study, "day"))
    who = f"h.{ACCOUNT}, " if study else ""
    same = f"o.{ACCOUNT} = h.{ACCOUNT} AND " if study else ""
    return (
        f"{_create(dialect, 'heartrate_local')} AS\n"
        f"WITH offsets AS (SELECT {keys}, {shift} AS shift FROM daily_activity GROUP BY {keys})\n"
        f'SELECT {who}h."timestamp", {wall} AS timestamp_local, {day} AS day, h.bpm, h.source\n'
        f"FROM heartrate AS h LEFT JOIN offsets AS o ON {same}o.day = {utc_day}"
    )


def _heartrate_daily(dialect: str, study: bool) -> str:
    average = "avg(bpm)::double precision" if dialect == "postgresql" else "avg(bpm)"
    keys = ", ".join(_keys(study, "day"))
    return (
        f"{_create(dialect, 'heartrate_daily')} AS\n"
        f"SELECT {keys}, min(bpm) AS min_bpm, {average} AS avg_bpm, "
        f"max(bpm) AS max_bpm, count(*) AS samples\nFROM heartrate_local\nGROUP BY {keys}"
    )


def _create(dialect: str, name: str) -> str:
    return f"CREATE OR REPLACE VIEW {name}" if dialect == "postgresql" else f"CREATE VIEW {name}"


def view_statements(dialect: str, *, study: bool = False) -> list[str]:
    """Statements that (re)create the views (`study`: per participant); SQLite has no
    CREATE OR REPLACE VIEW, and a view gaining `account` must be dropped first anyway."""
    creates = [_daily(dialect, study), _heartrate_local(dialect, study)]
    creates += [_heartrate_daily(dialect, study), *series_views(dialect, study=study)]
    return [*drop_statements(), *creates]


def drop_statements() -> list[str]:
    """Dependent views first."""
    return [f"DROP VIEW IF EXISTS {name}" for name in VIEWS]
