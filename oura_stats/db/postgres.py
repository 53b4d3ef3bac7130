"""The PostgreSQL backend (psycopg 3, the `postgres` extra): COPY in batches, then upsert."""

from __future__ import annotations

import contextlib
import csv
import importlib.util
import io
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any

from oura_stats.api.categories import Category
from oura_stats.db.backend import Values, first_line
from oura_stats.db.pgconn import INSTALL_HINT, connect, driver
from oura_stats.db.schema import (
    POSTGRESQL,
    quote,
    record_run_statement,
    save_state_statement,
    upsert_clause,
)
from oura_stats.db.studykey import views_by_account
from oura_stats.db.views import drop_statements, view_statements
from oura_stats.errors import ConfigError, DatabaseError

COPY_CHUNK = 1 << 20


def csv_bytes(rows: list[list[str]]) -> io.BytesIO:
    """Rows as CSV text for COPY (an empty cell is NULL)."""
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows)
    return io.BytesIO(text.getvalue().encode())


def require_driver() -> None:
    """Fail early, as a usage error, when the optional driver is not installed. Only looked
    up, not imported: its libraries load when the database is written, after fetching."""
    try:
        found = importlib.util.find_spec("psycopg") is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise ConfigError(INSTALL_HINT)


class PostgresDatabase:
    dialect = POSTGRESQL

    def __init__(self, url: str, display: str) -> None:
        self.display = display
        self._psycopg: Any = driver()
        self._lock = threading.RLock()
        # UTC: a time series' instants are UTC by definition, even written without an offset.
        self._conn = connect(url, display)

    @property
    def connection(self) -> Any:
        """The driver's connection, for bookkeeping statements of the same session."""
        return self._conn

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except self._psycopg.Error as error:
            raise DatabaseError(f"database {self.display}: {first_line(error)}") from error

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock, self._errors(), self._conn.transaction():
            yield

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        with self._lock, self._errors():
            self._conn.execute(statement, params or None)

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[Values]:
        with self._lock, self._errors():
            return [tuple(row) for row in self._conn.execute(statement, params or None).fetchall()]

    def columns(self) -> dict[str, dict[str, str]]:
        found: dict[str, dict[str, str]] = {}
        with self._lock, self._errors():
            rows = self._conn.execute(  # the catalog: information_schema is slow to ask
                "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) "
                "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
                "WHERE c.relnamespace = current_schema()::regnamespace "
                "AND c.relkind IN ('r', 'v', 'p') AND a.attnum > 0 AND NOT a.attisdropped "
                "ORDER BY c.relname, a.attnum"
            ).fetchall()
        for table, column, data_type in rows:
            found.setdefault(table, {})[column] = data_type
        return found

    def add_column(self, table: str, column: str, sql_type: str) -> None:
        self.execute(
            f"ALTER TABLE {quote(table)} ADD COLUMN IF NOT EXISTS {quote(column)} {sql_type}"
        )

    def widen_column(self, category: Category, column: str, sql_type: str) -> None:
        name = quote(column)
        with self._lock, self._errors():
            for statement in drop_statements():  # a view pins its columns' types
                self._conn.execute(statement)
            self._conn.execute(
                f"ALTER TABLE {quote(category.name)} ALTER COLUMN {name} "
                f"TYPE {sql_type} USING {name}::{sql_type}"
            )
            for statement in view_statements(self.dialect, study=views_by_account(self._conn)):
                self._conn.execute(statement)

    def is_empty(self, table: str) -> bool:
        with self._lock, self._errors():
            found = self._conn.execute(f"SELECT 1 FROM {quote(table)} LIMIT 1")
            return found.fetchone() is None

    def copy_csv(
        self,
        category: Category,
        columns: Sequence[str],
        handle: IO[bytes],
        start: int,
        *,
        fresh: bool,
    ) -> int | None:
        """The CSV's bytes from `start` straight into COPY (PostgreSQL parses them): the rows
        written, or None when a value does not fit (nothing is kept; the caller goes row by
        row, widening columns as needed)."""
        try:
            with self._lock, self._errors(), self._conn.transaction():  # a savepoint
                options = "WITH (FORMAT csv, ENCODING 'UTF8')"
                with self._copy_into(category, columns, fresh, options) as (copy, counted):
                    handle.seek(start)
                    while chunk := handle.read(COPY_CHUNK):
                        copy.write(chunk)
                count = counted[0]
        except DatabaseError as error:
            if isinstance(error.__cause__, self._psycopg.DataError | self._psycopg.IntegrityError):
                return None
            raise
        return count

    @contextlib.contextmanager
    def rows_writer(
        self, category: Category, columns: Sequence[str], *, fresh: bool
    ) -> Iterator[Callable[[list[Values]], None]]:
        """One COPY for all the batches written (the server ingests while the next batch is
        converted)."""
        with self._lock, self._errors(), self._copy_into(category, columns, fresh) as (copy, _):

            def write(rows: list[Values]) -> None:
                for row in rows:
                    copy.write_row(row)

            yield write

    @contextlib.contextmanager
    def _copy_into(
        self, category: Category, columns: Sequence[str], fresh: bool, options: str = ""
    ) -> Iterator[tuple[Any, list[int]]]:
        """A COPY into the table when it is empty (`fresh`), else into a staging table
        whose rows then replace or join the table's; the list gets the rows copied."""
        names, table = ", ".join(map(quote, columns)), quote(category.name)
        staging = quote(f"_staging_{category.name}")
        if not fresh:
            self._conn.execute(f"DROP TABLE IF EXISTS {staging}")
            self._conn.execute(
                f"CREATE TEMP TABLE {staging} ON COMMIT DROP AS "
                f"SELECT {names} FROM {table} WITH NO DATA"
            )
        statement = f"COPY {table if fresh else staging} ({names}) FROM STDIN {options}"
        counted: list[int] = []
        with self._conn.cursor() as cursor:
            with cursor.copy(statement) as copy:
                yield copy, counted
            counted.append(cursor.rowcount)
            if not fresh:
                self._conn.execute(
                    f"INSERT INTO {table} ({names}) SELECT {names} FROM {staging} "
                    + upsert_clause(category, columns)
                )
                self._conn.execute(f"DROP TABLE {staging}")

    def mirror_states(self) -> dict[str, str]:
        with self._lock, self._errors():
            rows = self._conn.execute("SELECT category, csv_state FROM _mirror").fetchall()
        return dict(rows)

    def save_mirror_state(self, category: str, csv_state: str, at: str) -> None:
        with self._lock, self._errors():
            self._conn.execute(
                save_state_statement("%s", "%s::timestamptz"), (category, csv_state, at)
            )

    def record_runs(self, rows: list[Values]) -> None:
        with self._lock, self._errors(), self._conn.cursor() as cursor:
            cursor.executemany(record_run_statement("%s", "%s::timestamptz"), rows)

    def close(self) -> None:
        with self._lock, contextlib.suppress(Exception):
            self._conn.close()
