"""The data dictionary of what only the databases hold: the local-time columns, the series
tables, the views and the bookkeeping tables, each column with its type, unit and meaning.

Derived from the tables that make them (`series.py`, `views.py`, the API's field table and
`api/meanings.py`), so the dictionary lists exactly what the schema creates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from oura_stats.api.categories import CATEGORIES
from oura_stats.api.fields import field_type
from oura_stats.api.meanings import Column, meaning
from oura_stats.db.series import ALIASES, LOCAL, all_series, local_columns
from oura_stats.db.views import DAILY_FIGURES, SLEEP_FIGURES

# A study's views: see `views.py`.
PER_PARTICIPANT = (
    "; in a study's database `account` (the participant) comes first, and the rows are "
    "per participant"
)
LOCAL_TYPE = "local datetime"  # TIMESTAMP (without time zone) in PostgreSQL, ISO text in SQLite


@dataclass(frozen=True)
class Table:
    """One table or view of the database that is no category's own table."""

    name: str
    kind: str  # "series table", "view" or "bookkeeping table"
    about: str
    columns: list[Column]


def local_time_columns() -> list[Column]:
    """Every `<column>_local`, as `category.column_local`."""
    return [
        Column(
            f"{category.name}.{name}{LOCAL}",
            LOCAL_TYPE,
            "local time",
            f"the wearer's wall-clock time of `{name}` (its own offset applied, then dropped)",
        )
        for category in CATEGORIES
        for name in local_columns(category)
    ]


def series_tables() -> list[Table]:
    found = []
    for series in all_series():
        unit, what = meaning(series.category, series.values) or ("", "")
        what = re.sub(
            r",? ?(as a JSON list|a JSON list|\(digit string.*\)|digit string)$", "", what
        )
        source = f"{series.category}.{series.field}"
        if ALIASES.get(series.field):
            source += f" (named {ALIASES[series.field]} here)"
        value = Column("value", "integer" if series.codes else "number", unit, what.strip())
        found.append(
            Table(
                series.table,
                "series table (a view)",
                f"one row per sample of {source}, worked out from the parent row as it is"
                + PER_PARTICIPANT,
                [
                    Column("parent_id", "string", "", f"the `id` of the {series.category} row"),
                    Column("timestamp", "datetime", "ISO 8601", "the sample's instant"),
                    Column(
                        "timestamp_local",
                        LOCAL_TYPE,
                        "local time",
                        "the wearer's wall-clock time (the parent's start offset carried on)",
                    ),
                    value,
                ],
            )
        )
    return found


def _daily_view() -> Table:
    columns = [Column("day", "date", "date", "the wearer's local day")]
    for table, column, expression in DAILY_FIGURES:
        source = expression.removeprefix("max(").removesuffix(")").strip('"')
        unit, what = meaning(table, source) or ("", "")
        kind = field_type(table, source) or "string"
        columns.append(Column(column, kind, unit, f"{what} (`{table}.{source}`)"))
    for name in SLEEP_FIGURES:
        unit, what = meaning("sleep", name) or ("", "")
        shown = "sleep_efficiency" if name == "efficiency" else name
        kind = field_type("sleep", name) or "number"
        columns.append(Column(shown, kind, unit, f"{what}, of the main sleep (`sleep.{name}`)"))
    about = (
        "one row per local day: the day's scores and figures and its main sleep (the long "
        "sleep, else the longest; `deleted` sleeps never count)" + PER_PARTICIPANT
    )
    return Table("daily", "view", about, columns)


_HEART = [
    Column("timestamp", "datetime", "ISO 8601 UTC", "when the sample was taken"),
    Column("timestamp_local", LOCAL_TYPE, "local time", "the wearer's wall-clock time"),
    Column("day", "date", "date", "the wearer's local day"),
    Column("bpm", "integer", "bpm", "heart rate"),
    Column("source", "string", "", "what was measured"),
]
OFFSET_RULE = (
    "the wearer's offset on a UTC day is the one of that day's `daily_activity.timestamp` "
    "(04:00 local), UTC when the day has none"
)
_DAILY_HEART = [
    Column("day", "date", "date", "the wearer's local day"),
    Column("min_bpm", "integer", "bpm", "lowest sample"),
    Column("avg_bpm", "number", "bpm", "mean of the samples"),
    Column("max_bpm", "integer", "bpm", "highest sample"),
    Column("samples", "integer", "count", "samples that day"),
]
_RUNS = [
    Column("started", "datetime", "ISO 8601", "when the round started"),
    Column("finished", "datetime", "ISO 8601", "when the round finished"),
    Column("category", "string", "", "the category"),
    Column("new", "integer", "rows", "rows the round added"),
    Column("updated", "integer", "rows", "rows the round changed"),
    Column("requests", "integer", "count", "requests the category made"),
    Column("seconds", "number", "s", "how long the category took"),
    Column("error", "string", "", "why the category failed (empty when it succeeded)"),
    Column("skipped", "string", "", "why the category was skipped (e.g. no scope)"),
]
_MIRROR = [
    Column("category", "string", "", "the category"),
    Column("csv_state", "string", "", "size, modification time and inode of the CSV mirrored"),
    Column("mirrored_at", "datetime", "ISO 8601", "when the table was last written"),
]

_SOURCE = [
    Column("id", "integer", "", "always 1"),
    Column("source", "string", "JSON", "the account, sandbox, demo or base URL the rows are from"),
    Column("recorded_at", "string", "ISO 8601", "when it was recorded"),
]


def other_tables() -> list[Table]:
    """The views and the bookkeeping tables."""
    return [
        _daily_view(),
        Table(
            "heartrate_local",
            "view",
            f"every heart-rate sample; {OFFSET_RULE}{PER_PARTICIPANT}",
            _HEART,
        ),
        Table(
            "heartrate_daily",
            "view",
            f"heart rate per local day; {OFFSET_RULE}{PER_PARTICIPANT}",
            _DAILY_HEART,
        ),
        Table(
            "_runs",
            "bookkeeping table",
            "one row per category per round, from the state's run history (`db sync` too)",
            _RUNS,
        ),
        Table("_mirror", "bookkeeping table", "which CSV state each table mirrors", _MIRROR),
        Table("_source", "bookkeeping table", "whose data the database holds (one row)", _SOURCE),
    ]
