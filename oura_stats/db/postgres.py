"""The PostgreSQL backend (psycopg 3, the `postgres` extra): COPY in batches, then upsert."""

from __future__ import annotations

import contextlib
import importlib.util
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any

from oura_stats.api.categories import Category
from oura_stats.db.backend import Values, first_line
from oura_stats.db.schema import POSTGRESQL, quote
from oura_stats.db.views import drop_statements, view_statements
from oura_stats.errors import ConfigError, DatabaseError

COPY_CHUNK = 1 << 20
INSTALL_HINT = "PostgreSQL needs psycopg: pip install 'oura-stats[postgres]'"


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
        try:
            import psycopg  # noqa: PLC0415 - optional dependency, loaded when used
        except ImportError as error:
            raise ConfigError(INSTALL_HINT) from error

        self.display = display
        self._psycopg: Any = psycopg
        self._lock = threading.RLock()
        try:  # the password comes from the URL, PGPASSWORD or ~/.pgpass (libpq reads them)
            self._conn = psycopg.connect(url, autocommit=True, connect_timeout=10)
        except psycopg.Error as error:
            raise DatabaseError(f"cannot connect to {display}: {first_line(error)}") from error
        # UTC: a time series' instants are UTC by definition, even written without an offset.
        self._conn.execute("SET client_min_messages = warning")
        self._conn.execute("SET TIME ZONE 'UTC'")

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

    def execute(self, statement: str) -> None:
        with self._lock, self._errors():
            self._conn.execute(statement)

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
            for statement in view_statements(self.dialect):
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
        names, table = ", ".join(map(quote, columns)), quote(category.name)
        staging = quote(f"_staging_{category.name}")
        options = "WITH (FORMAT csv, ENCODING 'UTF8')"
        try:
            with self._lock, self._errors(), self._conn.transaction():  # a savepoint
                if not fresh:
                    self._create_staging(staging, names, table)
                statement = f"COPY {table if fresh else staging} ({names}) FROM STDIN {options}"
                with self._conn.cursor() as cursor:
                    with cursor.copy(statement) as copy:
                        handle.seek(start)
                        while chunk := handle.read(COPY_CHUNK):
                            copy.write(chunk)
                    count = cursor.rowcount
                if not fresh:
                    self._conn.execute(_upsert(category, columns, staging))
                    self._conn.execute(f"DROP TABLE {staging}")
        except DatabaseError as error:
            if isinstance(error.__cause__, self._psycopg.DataError | self._psycopg.IntegrityError):
                return None
            raise
        return count

    def _create_staging(self, staging: str, names: str, table: str) -> None:
        self._conn.execute(f"DROP TABLE IF EXISTS {staging}")
        self._conn.execute(
            f"CREATE TEMP TABLE {staging} ON COMMIT DROP AS "
            f"SELECT {names} FROM {table} WITH NO DATA"
        )

    @contextlib.contextmanager
    def rows_writer(
        self, category: Category, columns: Sequence[str], *, fresh: bool
    ) -> Iterator[Callable[[list[Values]], None]]:
        """One COPY for all the batches written (the server ingests while the next batch is
        converted); an empty table takes them directly, else a staging table is upserted."""
        names, table = ", ".join(map(quote, columns)), quote(category.name)
        staging = quote(f"_staging_{category.name}")
        with self._lock, self._errors():
            if not fresh:
                self._create_staging(staging, names, table)
            statement = f"COPY {table if fresh else staging} ({names}) FROM STDIN"
            with self._conn.cursor() as cursor, cursor.copy(statement) as copy:

                def write(rows: list[Values]) -> None:
                    for row in rows:
                        copy.write_row(row)

                yield write
            if not fresh:
                self._conn.execute(_upsert(category, columns, staging))
                self._conn.execute(f"DROP TABLE {staging}")

    def mirror_states(self) -> dict[str, str]:
        with self._lock, self._errors():
            rows = self._conn.execute("SELECT category, csv_state FROM _mirror").fetchall()
        return dict(rows)

    def save_mirror_state(self, category: str, csv_state: str, at: str) -> None:
        with self._lock, self._errors():
            self._conn.execute(
                "INSERT INTO _mirror (category, csv_state, mirrored_at) "
                "VALUES (%s, %s, %s::timestamptz) ON CONFLICT (category) DO UPDATE SET "
                "csv_state = EXCLUDED.csv_state, mirrored_at = EXCLUDED.mirrored_at",
                (category, csv_state, at),
            )

    def record_runs(self, rows: list[Values]) -> None:
        with self._lock, self._errors(), self._conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO _runs (started, finished, category, new, updated, requests, "
                "seconds, error, skipped) VALUES (%s::timestamptz, %s::timestamptz, %s, %s, "
                "%s, %s, %s, %s, %s)",
                rows,
            )

    def close(self) -> None:
        with self._lock, contextlib.suppress(Exception):
            self._conn.close()


def _upsert(category: Category, columns: Sequence[str], staging: str) -> str:
    names = ", ".join(map(quote, columns))
    updates = [f"{quote(c)} = EXCLUDED.{quote(c)}" for c in columns if c not in category.key]
    action = f"DO UPDATE SET {', '.join(updates)}" if updates else "DO NOTHING"
    return (
        f"INSERT INTO {quote(category.name)} ({names}) SELECT {names} FROM {staging} "
        f"ON CONFLICT ({', '.join(map(quote, category.key))}) {action}"
    )
