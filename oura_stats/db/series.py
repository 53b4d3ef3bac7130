"""Nested series as long tables (views): one row per sample, `<category>__<field>`.

Two shapes hold a series in a document, both found in the API's field table:
- a sample object `{interval, items, timestamp}` (sleep `hrv`, daily_activity `met`, ...);
- a digit string of codes every 5 minutes or 30 seconds (`sleep_phase_5_min`,
  `class_5_min`, ...), starting at the document's start (`bedtime_start`, `timestamp`).

Each has `parent_id` (the document's id), `timestamp` (the sample's instant; UTC text in
SQLite), `timestamp_local` (the wearer's wall-clock time: the start's offset carried
through the night) and `value` (NULL where the API sent null; codes as integers). They are
views over the parent tables, so a changed parent row changes its samples in the same
commit, nothing is ever duplicated, and a five-year history costs no load time and no disk
(stored, its 5.6 million samples took 680 MB and four times the backfill's time).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from oura_stats.api.categories import CATEGORIES, Category, Kind
from oura_stats.api.fields import fields
from oura_stats.db.studyterms import ACCOUNT

LOCAL = "_local"  # the suffix of a datetime column's wall-clock companion
# Table names shorter than the API's field name (as analysts call them).
ALIASES = {"heart_rate_variability": "hrv"}
# Where a category's digit strings start, and how far apart their codes are.
CODE_STARTS = {"sleep": "bedtime_start", "daily_activity": "timestamp"}
CODE_INTERVALS = {"_5_min": 300, "_30_sec": 30}


@dataclass(frozen=True)
class Series:
    """One nested series of a category, and the parent columns it is read from."""

    category: str
    field: str
    values: str  # the JSON list of items, or the digit string
    start: str  # the first sample's instant (its `_local` companion gives the wall clock)
    interval: str | None  # the column of seconds between samples; None for codes
    seconds: int = 0  # codes: seconds between codes
    key: str = "id"  # the parent's key column

    @property
    def table(self) -> str:
        return f"{self.category}__{ALIASES.get(self.field, self.field)}"

    @property
    def codes(self) -> bool:
        return self.interval is None


def _series_of(category: Category) -> list[Series]:
    known = fields(category.name)
    if category.kind is Kind.SERIES or len(category.key) != 1:
        return []
    found = []
    for name, field in known.items():
        parts = (f"{name}.items", f"{name}.timestamp", f"{name}.interval")
        if field.type == "object" and all(p in known for p in parts):
            found.append(Series(category.name, name, *parts, key=category.key[0]))
        start = CODE_STARTS.get(category.name)
        for suffix, seconds in CODE_INTERVALS.items():
            if field.type == "string" and name.endswith(suffix) and start in known:
                found.append(
                    Series(category.name, name, name, str(start), None, seconds, category.key[0])
                )
    return found


@functools.cache
def all_series() -> tuple[Series, ...]:
    """Every nested series, from the category and field tables."""
    return tuple(s for category in CATEGORIES for s in _series_of(category))


def series_of(category: str) -> list[Series]:
    return [s for s in all_series() if s.category == category]


def local_columns(category: Category) -> list[str]:
    """The datetime columns that get a `_local` companion: every one of a document category
    (a time series' instants are UTC by definition: views derive their local time)."""
    if category.kind is Kind.SERIES:
        return []
    return [name for name, field in fields(category.name).items() if field.type == "datetime"]


_WALL_CLOCK = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?)(?:[+-][0-9]{2}:[0-9]{2}|Z)"
)


def local_text(instant: str) -> str:
    """The wall-clock part of an ISO 8601 instant as the API wrote it (its own offset's
    local time), or "" when the text is no such instant."""
    found = _WALL_CLOCK.fullmatch(instant)
    return found.group(1) if found else ""


def with_local(
    category: Category, header: list[str], batches: Iterator[list[list[str]]]
) -> tuple[list[str], Iterator[list[list[str]]]]:
    """The columns and rows to write: each row with the wall-clock time of its datetime
    cells appended."""
    moments = [header.index(c) for c in local_columns(category) if c in header]
    rows = ([row + [local_text(row[i]) for i in moments] for row in batch] for batch in batches)
    return header + [header[i] + LOCAL for i in moments], rows


def series_query(dialect: str, *, views: bool) -> str:
    """Which series names exist as views (or as stored tables, which a version of a few
    hours made: the mirror drops those before it creates the views)."""
    names = ", ".join(f"'{s.table}'" for s in all_series())
    if dialect == "sqlite":
        kind = "view" if views else "table"
        return f"SELECT name FROM sqlite_master WHERE type = '{kind}' AND name IN ({names})"
    return (
        f"SELECT relname FROM pg_class WHERE relkind = '{'v' if views else 'r'}' "
        f"AND relnamespace = current_schema()::regnamespace AND relname IN ({names})"
    )


def series_views(dialect: str, *, study: bool = False) -> list[str]:
    """The statements that (re)create every series view (`study`: the parent's `account`
    first, since a document id names a row only together with its participant)."""
    make = _sqlite_view if dialect == "sqlite" else _postgres_view
    who = f"p.{ACCOUNT}, " if study else ""
    return [make(series, who) for series in all_series()]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_WHOLE, _PART = "'%Y-%m-%dT%H:%M:%S'", "'%Y-%m-%dT%H:%M:%f'"
# A digit string as a JSON list ("120" -> "[1,2,0]"), for json_each; anything else: [].
_DIGITS = "0123456789"


def _sqlite_codes(column: str) -> str:
    spaced = column
    for digit in _DIGITS:
        spaced = f"replace({spaced}, '{digit}', '{digit},')"
    return (
        f"CASE WHEN {column} <> '' AND {column} NOT GLOB '*[^0-9]*' "
        f"THEN '[' || rtrim({spaced}, ',') || ']' ELSE '[]' END"
    )


def _sqlite_view(series: Series, who: str) -> str:
    """SQLite: each parent's items (or codes, made a JSON list) through json_each; the
    instants from the start's Unix seconds, so a whole second never rounds away."""
    start, wall, values = _q(series.start), _q(series.start + LOCAL), _q(series.values)
    if series.codes:
        step, fmt, listed = str(series.seconds), _WHOLE, _sqlite_codes(f"p.{values}")
        value = "e.value"
    else:
        step = f"CAST(p.{_q(str(series.interval))} AS REAL)"
        fmt = f"CASE WHEN {step} = round({step}) THEN {_WHOLE} ELSE {_PART} END"
        listed = (
            f"CASE WHEN json_valid(p.{values}) AND json_type(p.{values}) = 'array' "
            f"THEN p.{values} ELSE '[]' END"
        )
        value = "CASE WHEN e.type IN ('integer', 'real') THEN e.value END"
    moment = f"CAST(strftime('%s', p.{start}) AS INTEGER) + e.key * {step}"
    clock = f"CAST(strftime('%s', p.{wall}) AS INTEGER) + e.key * {step}"
    return (
        f"CREATE VIEW {_q(series.table)} AS\n"
        f"SELECT {who}p.{_q(series.key)} AS parent_id, "
        f"strftime({fmt} || '+00:00', {moment}, 'unixepoch') AS \"timestamp\", "
        f"strftime({fmt}, {clock}, 'unixepoch') AS timestamp_local, {value} AS value\n"
        f'FROM "{series.category}" AS p JOIN json_each({listed}) AS e\n'
        f"WHERE {step} > 0 AND strftime('%s', p.{start}) IS NOT NULL "
        f"AND strftime('%s', p.{wall}) IS NOT NULL"
    )


def _postgres_view(series: Series, who: str) -> str:
    """PostgreSQL: each parent's items (or codes) with their position; casts keep the view
    valid whatever type a widened parent column has."""
    start = f"p.{_q(series.start)}::timestamptz"
    wall = f"p.{_q(series.start + LOCAL)}::timestamp"
    values = f"p.{_q(series.values)}"
    if series.codes:
        step = str(series.seconds)
        elements = f"unnest(string_to_array({values}::text, NULL)) WITH ORDINALITY AS e(v, i)"
        value = "CASE WHEN e.v ~ '^[0-9]$' THEN e.v::bigint END"
    else:
        step = f"p.{_q(str(series.interval))}::double precision"
        items = f"{values}::jsonb"
        elements = (
            f"jsonb_array_elements(CASE WHEN jsonb_typeof({items}) = 'array' THEN {items} "
            "ELSE '[]'::jsonb END) WITH ORDINALITY AS e(v, i)"
        )
        value = "CASE WHEN jsonb_typeof(e.v) = 'number' THEN (e.v #>> '{}')::double precision END"
    shift = f"(e.i - 1) * {step} * interval '1 second'"
    return (
        f"CREATE OR REPLACE VIEW {_q(series.table)} AS\n"
        f'SELECT {who}p.{_q(series.key)} AS parent_id, {start} + {shift} AS "timestamp", '
        f"{wall} + {shift} AS timestamp_local, {value} AS value\n"
        f'FROM "{series.category}" AS p CROSS JOIN LATERAL {elements}\n'
        f"WHERE {step} > 0 AND {start} IS NOT NULL AND {wall} IS NOT NULL"
    )
