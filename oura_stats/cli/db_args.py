"""The options of `oura-stats db sync|export|schema` (the handlers are in `db.py`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from oura_stats.cli.common import Subparsers, add_category_option, add_command, run_by
from oura_stats.cli.fetch_args import add_db_option
from oura_stats.cli.helptext import DB_EXIT, epilog

SYNC_EXAMPLES = [
    "oura-stats db sync --db oura.db --output-dir ~/oura",
    "oura-stats db sync --db postgresql://oura@localhost/oura --categories sleep heartrate",
]
SCHEMA_EXAMPLES = ["oura-stats db schema --db postgresql://localhost/oura > schema.sql"]
EXPORT_EXAMPLES = [
    "oura-stats db export --db postgresql://oura@localhost/oura --output-dir ./csv",
    "oura-stats db export --db postgresql://oura@localhost/oura --output-dir . --categories sleep",
]


def add_db_command(commands: Subparsers, parents: list[argparse.ArgumentParser]) -> None:
    db = add_command(
        commands,
        "db",
        parents=parents,
        help="load the CSVs into a database, write them back from it, or print its schema",
        description="The database mirror: a typed copy of the CSVs in SQLite or PostgreSQL.",
        epilog=epilog([*SYNC_EXAMPLES, *EXPORT_EXAMPLES, *SCHEMA_EXAMPLES], DB_EXIT),
    )
    actions = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    sync = add_command(
        actions,
        "sync",
        parents=parents,
        help="load every CSV into the database (idempotent; rebuilds a new or lost one)",
        description="Load the CSVs, whole, into the database: idempotent, and enough to "
        "build a new database or rebuild a lost one. The CSV is the truth: each table becomes "
        "exactly its CSV (rows deleted from a CSV leave the table). A CSV that fetch would "
        "refuse (not UTF-8, rows that do not match its header) fails its table with one line "
        "and leaves it as it was; the other tables are loaded (exit 1).",
        epilog=epilog(SYNC_EXAMPLES, DB_EXIT),
    )
    add_db_option(sync, required=True)
    sync.add_argument(
        "--output-dir", type=Path, default=Path("data"), help="where the CSV files are (./data)"
    )
    add_category_option(sync, "--categories", "categories to load (default: all)")
    sync.add_argument(
        "--state-file",
        type=Path,
        help="the state file whose lock keeps fetch runs out meanwhile (default: "
        ".oura_state.json in --output-dir)",
    )
    run_by(sync, "oura_stats.cli.db:run_sync")
    export = add_command(
        actions,
        "export",
        parents=parents,
        help="write the CSVs a CSV-mode run would have written, from a PostgreSQL database",
        description="Write <output-dir>/<category>.csv from the database's tables (as a "
        "database-only run, fetch --no-csv, filled them): the same headers, order and bytes "
        "a CSV-mode run would have written. Rows are streamed; each file is replaced whole.",
        epilog=epilog(EXPORT_EXAMPLES, DB_EXIT),
    )
    add_db_option(export, required=True)
    export.add_argument(
        "--output-dir", type=Path, default=Path("data"), help="where the CSV files go (./data)"
    )
    add_category_option(export, "--categories", "categories to export (default: all)")
    run_by(export, "oura_stats.cli.db:run_export")
    schema = add_command(
        actions,
        "schema",
        parents=parents,
        help="print the database's DDL",
        description="Print the DDL of the tables, bookkeeping tables and views for the kind "
        "of database --db names (no connection is made).",
        epilog=epilog(SCHEMA_EXAMPLES, DB_EXIT),
    )
    add_db_option(schema, required=True)
    run_by(schema, "oura_stats.cli.db:run_schema")
