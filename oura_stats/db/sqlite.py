"""The SQLite backend (standard library sqlite3): WAL journal, one transaction per category."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from oura_stats.api.categories import Category
from oura_stats.db.backend import Values, first_line
from oura_stats.db.schema import (
    SQLITE,
    quote,
    record_run_statement,
    save_state_statement,
    table_options,
    upsert_clause,
)
from oura_stats.db.views import drop_statements, view_statements
from oura_stats.errors import DatabaseError

log = logging.getLogger(__name__)


class SqliteDatabase:
    dialect = SQLITE

    def __init__(self, path: Path) -> None:
        self.display = str(path)
        self._lock = threading.RLock()
        created = not path.exists()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(
                path, isolation_level=None, check_same_thread=False, timeout=30
            )
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        except (OSError, sqlite3.Error) as error:
            raise DatabaseError(f"cannot open database {path}: {first_line(error)}") from error
        if created:  # say where: sqlite:////x.db and sqlite:///x.db are different files
            log.info("created the SQLite database %s", path.absolute())

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as error:
            raise DatabaseError(f"database {self.display}: {first_line(error)}") from error

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock, self._errors():
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        with self._lock, self._errors():
            self._conn.execute(statement, params)

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[Values]:
        with self._lock, self._errors():
            return [tuple(row) for row in self._conn.execute(statement, params).fetchall()]

    def columns(self) -> dict[str, dict[str, str]]:
        with self._lock, self._errors():
            tables = [
                name
                for (name,) in self._conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'"
                )
            ]
            return {
                table: {
                    row[1]: row[2]
                    for row in self._conn.execute(f"PRAGMA table_info({quote(table)})")
                }
                for table in tables
            }

    def add_column(self, table: str, column: str, sql_type: str) -> None:
        self.execute(f"ALTER TABLE {quote(table)} ADD COLUMN {quote(column)} {sql_type}")

    def widen_column(self, category: Category, column: str, sql_type: str) -> None:
        """SQLite cannot change a column's type: the table is rebuilt (inside the caller's
        transaction) with the wider type, its rows copied."""
        table, scratch = quote(category.name), quote(f"_widen_{category.name}")
        with self._lock, self._errors():
            info = list(self._conn.execute(f"PRAGMA table_info({table})"))
            lines = [
                f"{quote(name)} {sql_type if name == column else declared}"
                for _, name, declared, *_ in info
            ]
            lines.append(f"PRIMARY KEY ({', '.join(map(quote, category.key))})")
            for statement in drop_statements():
                self._conn.execute(statement)
            options = table_options(self.dialect, category)
            self._conn.execute(f"CREATE TABLE {scratch} ({', '.join(lines)}){options}")
            self._conn.execute(f"INSERT INTO {scratch} SELECT * FROM {table}")
            self._conn.execute(f"DROP TABLE {table}")
            self._conn.execute(f"ALTER TABLE {scratch} RENAME TO {table}")
            for statement in view_statements(self.dialect):
                self._conn.execute(statement)

    def is_empty(self, table: str) -> bool:
        with self._lock, self._errors():
            return self._conn.execute(f"SELECT 1 FROM {quote(table)} LIMIT 1").fetchone() is None

    def copy_csv(
        self,
        category: Category,
        columns: Sequence[str],
        handle: IO[bytes],
        start: int,
        *,
        fresh: bool,
    ) -> int | None:
        """SQLite has no bulk path from CSV text: the caller goes row by row."""
        return None

    @contextlib.contextmanager
    def rows_writer(
        self, category: Category, columns: Sequence[str], *, fresh: bool
    ) -> Iterator[Callable[[list[Values]], None]]:
        """executemany per batch; an upsert costs SQLite next to nothing, so `fresh` (the
        table is empty) changes nothing here, and a duplicated key cannot fail a load."""
        del fresh
        names = ", ".join(map(quote, columns))
        marks = ", ".join("?" * len(columns))
        statement = (
            f"INSERT INTO {quote(category.name)} ({names}) VALUES ({marks}) "
            + upsert_clause(category, columns)
        )

        def write(rows: list[Values]) -> None:
            with self._lock, self._errors():
                self._conn.executemany(statement, rows)

        yield write

    def mirror_states(self) -> dict[str, str]:
        with self._lock, self._errors():
            return dict(self._conn.execute("SELECT category, csv_state FROM _mirror"))

    def save_mirror_state(self, category: str, csv_state: str, at: str) -> None:
        with self._lock, self._errors():
            self._conn.execute(save_state_statement("?", "?"), (category, csv_state, at))

    def record_runs(self, rows: list[Values]) -> None:
        with self._lock, self._errors():
            self._conn.executemany(record_run_statement("?", "?"), rows)

    def close(self) -> None:
        with self._lock, contextlib.suppress(sqlite3.Error):
            self._conn.close()
