"""Where a round's rows go: the interface the collector writes through, and its CSV
implementation (one file per category in the output directory). The database-only one is
`db/pgrows.py`; `run/homes.py` picks one."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from oura_stats.api.categories import Category
from oura_stats.store.atomic import remove_stale_temp_files
from oura_stats.store.csvstore import CategoryStore
from oura_stats.store.flatten import Row
from oura_stats.store.merge import MergeResult


class RowStore(Protocol):
    """One category's rows of one run: gathered, then stored at once (or discarded)."""

    newest_time: str | None
    oldest_time: str | None
    keyless: int
    keyless_example: str | None

    @property
    def where(self) -> str: ...

    def add_page(self, documents: list[dict[str, Any]]) -> bool: ...

    def add(self, rows: Iterable[Row]) -> None: ...

    def commit(self) -> MergeResult:
        """Store the rows (a CSV: replaced atomically; a database: written, not yet final)."""

    def seal(self, entry: dict[str, Any]) -> None:
        """Make the stored rows final together with the category's state `entry`."""

    def discard(self) -> None: ...


class RowHome(Protocol):
    def store(self, category: Category) -> RowStore: ...

    def lost(self, category: Category) -> str | None:
        """Why rows a cursor speaks of are gone (then the history is fetched again)."""

    def has_rows(self) -> bool:
        """Whether any category holds rows (a reset then must not mix sources)."""


class CsvStore(CategoryStore):
    """A category's CSV as a `RowStore`."""

    @property
    def where(self) -> str:
        return str(self.path)

    def seal(self, entry: dict[str, Any]) -> None:
        """The CSV is final once committed; the state file follows it."""


class CsvRows:
    """One CSV per category in `directory` (the state file is saved after each commit)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def store(self, category: Category) -> RowStore:
        remove_stale_temp_files(self.directory, f"{category.name}.csv")
        return CsvStore(category, self.directory)

    def lost(self, category: Category) -> str | None:
        path = self.directory / f"{category.name}.csv"
        return None if path.exists() else f"{path} is missing"

    def has_rows(self) -> bool:
        return any(self.directory.glob("*.csv"))
