"""The one small interface both databases implement, and what they share."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import IO, Any, Protocol

from oura_stats.api.categories import Category

Values = tuple[Any, ...]


class Database(Protocol):
    """A connection to the mirror's database; every method may raise DatabaseError."""

    dialect: str
    display: str  # how messages name it: never with a password

    def transaction(self) -> AbstractContextManager[None]:
        """All writes inside commit together or not at all."""

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        """Run one statement; `params` fill its placeholders (`mark(dialect)`)."""

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[Values]:
        """The rows one statement returns."""

    def columns(self) -> dict[str, dict[str, str]]:
        """{table: {column: SQL type}} of every table in the database."""

    def add_column(self, table: str, column: str, sql_type: str) -> None: ...

    def widen_column(self, category: Category, column: str, sql_type: str) -> None:
        """Change a column to a wider type, keeping its values (views are recreated)."""

    def is_empty(self, table: str) -> bool: ...

    def copy_csv(
        self,
        category: Category,
        columns: Sequence[str],
        handle: IO[bytes],
        start: int,
        *,
        fresh: bool,
    ) -> int | None:
        """Load CSV bytes from `start` in bulk, if the database can and every value fits:
        the rows written, else None (and nothing written)."""

    def rows_writer(
        self, category: Category, columns: Sequence[str], *, fresh: bool
    ) -> AbstractContextManager[Callable[[list[Values]], None]]:
        """A function that upserts batches of rows by the category's key, valid until the
        context ends (`fresh`: the table is known to be empty)."""

    def mirror_states(self) -> dict[str, str]:
        """{category: CSV state} from `_mirror`."""

    def save_mirror_state(self, category: str, csv_state: str, at: str) -> None: ...

    def record_runs(self, rows: list[Values]) -> None:
        """Insert `_runs` rows: (started, finished, category, new, updated, requests,
        seconds, error, skipped)."""

    def close(self) -> None: ...


def mark(dialect: str) -> str:
    """The driver's placeholder for a parameter."""
    return "?" if dialect == "sqlite" else "%s"


def first_line(error: BaseException) -> str:
    """A driver's message, one line, for the user."""
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]
