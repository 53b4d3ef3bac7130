"""Nested series as long tables: one row per sample, `<category>__<field>`.

Two shapes hold a series in a document, both found in the API's field table:
- a sample object `{interval, items, timestamp}` (sleep `hrv`, daily_activity `met`, ...);
- a digit string of codes every 5 minutes or 30 seconds (`sleep_phase_5_min`,
  `class_5_min`, ...), starting at the document's start (`bedtime_start`, `timestamp`).

Each table has `parent_id` (the document's id), `timestamp` (the sample's instant; UTC text
in SQLite), `timestamp_local` (the wearer's wall-clock time: the start's offset carried
through the night) and `value` (NULL where the API sent null; codes as integers). The rows
are worked out by the database from the parent table itself, so a parent row and its
samples always come from the same values: `rebuild_series` after writing parent rows.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from oura_stats.api.categories import CATEGORIES, Category, Kind
from oura_stats.api.fields import fields

log = logging.getLogger(__name__)

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
            found.append(Series(category.name, name, parts[0], parts[1], parts[2]))
        start = CODE_STARTS.get(category.name)
        for suffix, seconds in CODE_INTERVALS.items():
            if field.type == "string" and name.endswith(suffix) and start in known:
                found.append(Series(category.name, name, name, str(start), None, seconds))
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
    category: Category,
    header: list[str],
    batches: Iterator[list[list[str]]],
    ids: list[str] | None,
) -> tuple[list[str], Iterator[list[list[str]]]]:
    """The columns and rows to write: each row with the wall-clock time of its datetime
    cells appended; the rows' keys noted in `ids` (when given)."""
    moments = [header.index(c) for c in local_columns(category) if c in header]
    at = header.index(category.key[0]) if category.key[0] in header else None

    def rows() -> Iterator[list[list[str]]]:
        for batch in batches:
            if ids is not None and at is not None:
                ids.extend(row[at] for row in batch)
            yield [row + [local_text(row[i]) for i in moments] for row in batch]

    return header + [header[i] + LOCAL for i in moments], rows()


def create_series_table(dialect: str, series: Series) -> str:
    sqlite = dialect == "sqlite"
    moment = "TEXT" if sqlite else "TIMESTAMPTZ"
    wall = "TEXT" if sqlite else "TIMESTAMP"
    value = ("INTEGER" if series.codes else "REAL") if sqlite else "BIGINT"
    if not sqlite and not series.codes:
        value = "DOUBLE PRECISION"
    options = " WITHOUT ROWID" if sqlite else ""
    return (
        f'CREATE TABLE IF NOT EXISTS "{series.table}" (\n'
        "  parent_id TEXT NOT NULL,\n"
        f'  "timestamp" {moment} NOT NULL,\n'
        f"  timestamp_local {wall} NOT NULL,\n"
        f"  value {value},\n"
        '  PRIMARY KEY (parent_id, "timestamp")\n'
        f"){options}"
    )


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_insert(series: Series, key: str, only: bool) -> str:
    start, wall = _q(series.start), _q(series.start + LOCAL)
    if series.codes:
        step, values = str(series.seconds), _q(series.values)
        fmt = "'%Y-%m-%dT%H:%M:%S'"
        elements = f"JOIN _n ON _n.i < length(p.{values}) "
        index, value = (
            "_n.i",
            (
                f"CASE WHEN substr(p.{values}, _n.i + 1, 1) GLOB '[0-9]' "
                f"THEN CAST(substr(p.{values}, _n.i + 1, 1) AS INTEGER) END"
            ),
        )
        prefix = (
            "WITH RECURSIVE _n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM _n "
            f'WHERE i + 1 < (SELECT max(length({values})) FROM "{series.category}")) '
        )
        where = f"p.{values} IS NOT NULL"
    else:
        step = f"CAST(p.{_q(str(series.interval))} AS REAL)"
        items = _q(series.values)
        whole, part = "'%Y-%m-%dT%H:%M:%S'", "'%Y-%m-%dT%H:%M:%f'"
        fmt = f"CASE WHEN {step} = round({step}) THEN {whole} ELSE {part} END"
        elements = (
            f"JOIN json_each(CASE WHEN json_valid(p.{items}) AND json_type(p.{items}) = 'array' "
            f"THEN p.{items} ELSE '[]' END) AS e "
        )
        index, value = "e.key", "CASE WHEN e.type IN ('integer', 'real') THEN e.value END"
        prefix, where = "", f"{step} > 0"
    shift = f"'+' || ({index} * {step}) || ' seconds'"
    return (
        f'{prefix}INSERT INTO {_q(series.table)} (parent_id, "timestamp", timestamp_local, value) '
        f"SELECT p.{_q(key)}, strftime({fmt} || '+00:00', p.{start}, {shift}), "
        f"strftime({fmt}, p.{wall}, {shift}), {value} "
        f'FROM "{series.category}" AS p {elements}'
        f"WHERE {where} AND julianday(p.{start}) IS NOT NULL "
        f"AND julianday(p.{wall}) IS NOT NULL"
        + (f" AND p.{_q(key)} IN (SELECT value FROM json_each(?))" if only else "")
    )


def _postgres_insert(series: Series, key: str, only: bool) -> str:
    start, wall = _q(series.start), _q(series.start + LOCAL)
    if series.codes:
        values = _q(series.values)
        step = str(series.seconds)
        elements = f"unnest(string_to_array(p.{values}, NULL)) WITH ORDINALITY AS e(v, i)"
        value = "CASE WHEN e.v ~ '^[0-9]$' THEN e.v::bigint END"
        where = f"p.{values} IS NOT NULL"
    else:
        items = _q(series.values)
        step = f"p.{_q(str(series.interval))}"
        elements = (
            f"jsonb_array_elements(CASE WHEN jsonb_typeof(p.{items}) = 'array' THEN p.{items} "
            "ELSE '[]'::jsonb END) WITH ORDINALITY AS e(v, i)"
        )
        value = "CASE WHEN jsonb_typeof(e.v) = 'number' THEN (e.v #>> '{}')::double precision END"
        where = f"{step} > 0"
    shift = f"(e.i - 1) * {step} * interval '1 second'"
    return (
        f'INSERT INTO {_q(series.table)} (parent_id, "timestamp", timestamp_local, value) '
        f"SELECT p.{_q(key)}, p.{start} + {shift}, p.{wall} + {shift}, {value} "
        f'FROM "{series.category}" AS p CROSS JOIN LATERAL {elements} '
        f"WHERE {where} AND p.{start} IS NOT NULL AND p.{wall} IS NOT NULL"
        + (f" AND p.{_q(key)} = ANY(%s)" if only else "")
    )


class Executor(Protocol):
    dialect: str

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None: ...


def _readable(series: Series, kinds: dict[str, str], dialect: str) -> bool:
    needed = [series.values, series.start, series.start + LOCAL]
    if series.interval is not None:
        needed.append(series.interval)
    if any(name not in kinds for name in needed):
        return False
    if dialect == "sqlite":
        return True
    wanted = {series.start: "datetime", series.start + LOCAL: "local"}
    wanted[series.values] = "string" if series.codes else "array"
    if series.interval is not None and kinds[series.interval] not in ("number", "integer"):
        return False
    return all(kinds[name] == kind for name, kind in wanted.items())


def rebuild_series(
    db: Executor, category: Category, kinds: dict[str, str], ids: Sequence[str] | None
) -> None:
    """Replace the samples of the parent rows `ids` (None: of every row) of `category` by
    what those rows now hold, inside the caller's transaction. `kinds`: the parent table's
    {column: type} (a column widened from its API type leaves its series as it was)."""
    if ids is not None and not ids:
        return
    sqlite = db.dialect == "sqlite"
    key = category.key[0]
    for series in series_of(category.name):
        if not _readable(series, kinds, db.dialect):
            log.warning("%s: a parent column has another type; not rebuilt", series.table)
            continue
        params: tuple[Any, ...] = ()
        if ids is None:
            db.execute(f"DELETE FROM {_q(series.table)}")
        else:
            params = (json.dumps(list(ids)),) if sqlite else (list(ids),)
            match = "IN (SELECT value FROM json_each(?))" if sqlite else "= ANY(%s)"
            db.execute(f"DELETE FROM {_q(series.table)} WHERE parent_id {match}", params)
        insert = _sqlite_insert if sqlite else _postgres_insert
        db.execute(insert(series, key, ids is not None), params)
