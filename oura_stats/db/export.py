"""`db export`: the CSVs a CSV-mode run would have written, from a PostgreSQL database.

Each table is read through a server-side cursor in key order (the CSV's order: time key,
then key, compared as bytes), so memory stays flat whatever the history's length; values
are written as the CSV writes them (`exact.py`), each file replaced atomically.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from oura_stats.api.categories import Category, Kind
from oura_stats.db.exact import EXACT, as_text
from oura_stats.db.pgconn import connect, errors
from oura_stats.db.pgrows import csv_columns
from oura_stats.db.schema import quote
from oura_stats.db.target import Target
from oura_stats.errors import StorageError
from oura_stats.store.atomic import atomic_writer
from oura_stats.store.csvfile import RowWriter

log = logging.getLogger(__name__)

# Rows per round trip of the server-side cursor: a day's document holds long lists.
FETCH_ROWS = {Kind.SERIES: 5000, Kind.DAILY: 200}


def export(target: Target, output_dir: Path, categories: list[Category]) -> dict[str, int]:
    """Write `<output_dir>/<category>.csv` for each category the database holds; the rows
    written per file."""
    assert target.url is not None
    conn = connect(target.url, target.display, autocommit=False)
    written: dict[str, int] = {}
    try:
        with errors(target.display):
            orders = _recorded_orders(conn)
            tables = _table_columns(conn)
            for category in categories:
                columns = tables.get(category.name)
                if columns is None:
                    continue
                header = orders.get(category.name) or [c for c in columns if c != EXACT]
                header = [c for c in header if c in columns]
                if category.name not in orders and _empty(conn, category):
                    continue  # never collected: a CSV run would have no file either
                written[category.name] = _export_table(
                    conn, category, header, EXACT in columns, output_dir
                )
                conn.commit()
    finally:
        conn.close()
    return written


def _recorded_orders(conn: Any) -> dict[str, list[str]]:
    exists = conn.execute("SELECT to_regclass('_csv_columns') IS NOT NULL").fetchone()[0]
    return csv_columns(conn) if exists else {}


def _table_columns(conn: Any) -> dict[str, list[str]]:
    rows = conn.execute(
        "SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
        "WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') "
        "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY c.relname, a.attnum"
    ).fetchall()
    found: dict[str, list[str]] = {}
    for table, column in rows:
        found.setdefault(table, []).append(column)
    return found


def _empty(conn: Any, category: Category) -> bool:
    return conn.execute(f"SELECT 1 FROM {quote(category.name)} LIMIT 1").fetchone() is None


def order_by(category: Category) -> str:
    """The CSV's row order: the time key, then the key (text compared as bytes)."""
    terms = []
    if category.time_field:
        terms.append(f"{quote(category.time_field)} NULLS FIRST")
    for name in category.key:
        if name != category.time_field:
            terms.append(f'{quote(name)}::text COLLATE "C"')
    return ", ".join(terms)


def _export_table(
    conn: Any, category: Category, header: list[str], has_exact: bool, output_dir: Path
) -> int:
    names = ", ".join(map(quote, header)) + (f", {quote(EXACT)}" if has_exact else "")
    query = f"SELECT {names} FROM {quote(category.name)} ORDER BY {order_by(category)}"
    path = output_dir / f"{category.name}.csv"
    count = 0
    try:
        with (
            atomic_writer(path) as handle,
            conn.cursor(name=f"export_{category.name}") as cursor,
        ):
            cursor.itersize = FETCH_ROWS.get(category.kind, 200)
            cursor.execute(query)
            writer = RowWriter(handle)
            writer.write(header)
            width, position = len(header), {name: i for i, name in enumerate(header)}
            for row in cursor:
                values = [as_text(v) for v in row[:width]]
                if has_exact and row[width]:
                    for name, text in row[width].items():
                        if name in position:
                            values[position[name]] = text
                writer.write(values)
                count += 1
    except OSError as error:
        raise StorageError(f"cannot write {path}: {error.strerror or error}") from error
    log.info("%s: %d rows to %s", category.name, count, path)
    return count
