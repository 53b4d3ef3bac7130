"""Tables, bookkeeping tables and views, as DDL text for SQLite or PostgreSQL.

One table per category, named as the category; its columns are the CSV's (dotted names
quoted, odd names mapped as `store/names.py` says), typed from the API's field table
(`api/fields.py`), key columns first; the primary key is the CSV's key. `_mirror` says
which CSV state each table mirrors; `_runs` keeps the run history; `_source` says whose
data the database holds. The views live in `views.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from oura_stats.api.categories import CATEGORIES, Category, Kind
from oura_stats.api.fields import fields
from oura_stats.db.series import LOCAL, local_columns
from oura_stats.db.views import view_statements
from oura_stats.store.names import db_column

SQLITE = "sqlite"
POSTGRESQL = "postgresql"

# The API's types (see api/fields.py) as each dialect's column types.
SQL_TYPES: dict[str, dict[str, str]] = {
    SQLITE: {
        "integer": "INTEGER",
        "number": "REAL",
        "boolean": "BOOLEAN",
        "date": "TEXT",  # ISO text: YYYY-MM-DD
        "datetime": "TEXT",  # ISO text with the API's offset
        "array": "TEXT",  # JSON text
        "object": "TEXT",
        "string": "TEXT",
        "local": "TEXT",  # ISO text of the wearer's wall-clock time, without an offset
    },
    POSTGRESQL: {
        "integer": "BIGINT",
        "number": "DOUBLE PRECISION",
        "boolean": "BOOLEAN",
        "date": "DATE",
        "datetime": "TIMESTAMPTZ",
        "array": "JSONB",
        "object": "JSONB",
        "string": "TEXT",
        "local": "TIMESTAMP",  # the wearer's wall-clock time (timestamp without time zone)
    },
}
# A column type found in the database, back to the type its values are checked against.
_KINDS_FOUND: dict[str, str] = {
    "integer": "integer",
    "bigint": "integer",
    "real": "number",
    "double precision": "number",
    "boolean": "boolean",
    "date": "date",
    "timestamp with time zone": "datetime",
    "timestamptz": "datetime",
    "timestamp without time zone": "local",
    "timestamp": "local",
    "jsonb": "array",
    "json": "array",
}
# What tells one round's row of a category from another's in `_runs`.
RUN_IDENTITY = "started, finished, category, seconds"
# A value that does not fit its column's type widens the column: integer → number → text.
WIDER = {"integer": "number"}


def kind_of_sql_type(dialect: str, sql_type: str) -> str:
    """The type a column found in the database holds (SQLite's TEXT holds text of any kind)."""
    kind = _KINDS_FOUND.get(sql_type.strip().lower(), "string")
    if dialect == SQLITE and kind in ("date", "datetime", "array"):
        return "string"
    return kind


def quote(name: str) -> str:
    """An identifier, double-quoted (dotted and mixed-case names need it)."""
    return '"' + name.replace('"', '""') + '"'


def table_columns(category: Category) -> list[tuple[str, str]]:
    """(column, API type) of a category's table: key and time columns first, then the API's
    fields in its order. A nested object's own column is added only when a CSV has it."""
    known = fields(category.name)
    columns = {
        name: known[name].type if name in known else "string" for name in category.lead_columns
    }
    for name, field in known.items():
        if field.type != "object" and name not in columns:
            columns[name] = field.type
    for name in local_columns(category):
        columns[name + LOCAL] = "local"
    return list(columns.items())


def column_type(category: Category, column: str) -> str:
    """The API type of one CSV column; a field the API table does not know is text."""
    field = fields(category.name).get(column)
    return "string" if field is None else field.type


def create_table(dialect: str, category: Category) -> str:
    types = SQL_TYPES[dialect]
    lines = [f"  {quote(db_column(name))} {types[kind]}" for name, kind in table_columns(category)]
    lines.append(f"  PRIMARY KEY ({', '.join(map(quote, category.key))})")
    body, options = ",\n".join(lines), table_options(dialect, category)
    return f"CREATE TABLE IF NOT EXISTS {quote(category.name)} (\n{body}\n){options}"


def table_options(dialect: str, category: Category) -> str:
    """SQLite keeps a time series' small rows in key order, in one b-tree (no rowid)."""
    return " WITHOUT ROWID" if dialect == SQLITE and category.kind is Kind.SERIES else ""


def bookkeeping_tables(dialect: str) -> list[str]:
    moment = SQL_TYPES[dialect]["datetime"]
    return [
        "CREATE TABLE IF NOT EXISTS _mirror (\n"
        "  category TEXT PRIMARY KEY,\n"
        "  csv_state TEXT NOT NULL,\n"
        f"  mirrored_at {moment} NOT NULL\n"
        ")",
        "CREATE TABLE IF NOT EXISTS _runs (\n"
        f"  started {moment} NOT NULL,\n"
        f"  finished {moment} NOT NULL,\n"
        "  category TEXT NOT NULL,\n"
        f"  new {SQL_TYPES[dialect]['integer']} NOT NULL,\n"
        f"  updated {SQL_TYPES[dialect]['integer']} NOT NULL,\n"
        f"  requests {SQL_TYPES[dialect]['integer']} NOT NULL,\n"
        f"  seconds {SQL_TYPES[dialect]['number']} NOT NULL,\n"
        "  error TEXT,\n"
        "  skipped TEXT\n"
        ")",
        "CREATE INDEX IF NOT EXISTS _runs_by_category ON _runs (category, finished)",
        f"CREATE UNIQUE INDEX IF NOT EXISTS _runs_once ON _runs ({RUN_IDENTITY})",
        SOURCE_TABLE,
    ]


# Whose data the database holds (one row, JSON as in the output directory's marker).
SOURCE_TABLE = (
    "CREATE TABLE IF NOT EXISTS _source (\n"
    "  id INTEGER PRIMARY KEY CHECK (id = 1),\n"
    "  source TEXT NOT NULL,\n"
    "  recorded_at TEXT NOT NULL\n"
    ")"
)


def table_statements(dialect: str) -> list[str]:
    """The statements that create the tables (each safe to run again), views excluded."""
    tables = [create_table(dialect, category) for category in CATEGORIES]
    return [*tables, *bookkeeping_tables(dialect)]


def schema_statements(dialect: str) -> list[str]:
    """Every statement that creates the schema, in order; each safe to run again."""
    return [*table_statements(dialect), *view_statements(dialect)]


def schema_text(dialect: str) -> str:
    """The DDL, as `oura-stats db schema` prints it."""
    return "".join(f"{statement};\n\n" for statement in schema_statements(dialect)).rstrip() + "\n"


def upsert_clause(category: Category, columns: Sequence[str]) -> str:
    """The ON CONFLICT clause that lets the newest row of a key win (both dialects)."""
    # A study's tables are keyed by participant first (see `studykey.py`).
    key = ("account", *category.key) if "account" in columns else category.key
    updates = [f"{quote(c)} = excluded.{quote(c)}" for c in columns if c not in key]
    action = f"DO UPDATE SET {', '.join(updates)}" if updates else "DO NOTHING"
    return f"ON CONFLICT ({', '.join(map(quote, key))}) {action}"


def save_state_statement(mark: str, moment: str) -> str:
    """Record which CSV state a table mirrors; `mark` is the driver's placeholder, `moment`
    the one for a timestamp."""
    return (
        f"INSERT INTO _mirror (category, csv_state, mirrored_at) VALUES ({mark}, {mark}, "
        f"{moment}) ON CONFLICT (category) DO UPDATE SET csv_state = excluded.csv_state, "
        "mirrored_at = excluded.mirrored_at"
    )


def save_source_statement(mark: str) -> str:
    """Record whose data the database holds (the one `_source` row)."""
    return (
        f"INSERT INTO _source (id, source, recorded_at) VALUES (1, {mark}, {mark}) "
        "ON CONFLICT (id) DO UPDATE SET source = excluded.source, "
        "recorded_at = excluded.recorded_at"
    )


def record_run_statement(mark: str, moment: str) -> str:
    """One run's row; a row already there (the same times, category and duration: that
    run recorded before) is kept."""
    marks = ", ".join([moment, moment, *[mark] * 7])
    return (
        "INSERT INTO _runs (started, finished, category, new, updated, requests, seconds, "
        f"error, skipped) VALUES ({marks}) ON CONFLICT ({RUN_IDENTITY}) DO NOTHING"
    )


def run_rows(runs: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The `_runs` rows of the state's run records, one per run and category."""
    return [
        (
            run["started"],
            run["finished"],
            name,
            entry["new"],
            entry["updated"],
            entry["requests"],
            entry["seconds"],
            entry.get("error"),
            entry.get("skipped"),
        )
        for run in runs
        for name, entry in run["categories"].items()
    ]
