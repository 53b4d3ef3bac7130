"""Keeps the database level with the CSVs: after each commit, at the end of a round, on `db sync`.

The CSVs are the source of truth. Each table is written in one transaction that also
records, in `_mirror`, which state of the CSV (size, modification time, inode) it now
mirrors. After a commit only the CSV's tail from the run's oldest row is upserted; a table
whose record does not match the CSV it started from (a crash between the two, a new or
lost database) is loaded from its whole CSV instead, with `series.py`'s local times.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from oura_stats.api.categories import BY_NAME, Category, Kind
from oura_stats.db.backend import Database, Values
from oura_stats.db.batches import csv_batches
from oura_stats.db.commits import csv_state, csv_states
from oura_stats.db.convert import ColumnMisfit, Misfit, column_converter, converter
from oura_stats.db.schema import (
    SQL_TYPES,
    SQLITE,
    WIDER,
    column_type,
    kind_of_sql_type,
    quote,
    run_rows,
    table_columns,
    table_statements,
)
from oura_stats.db.series import LOCAL, all_series, series_query, with_local
from oura_stats.db.target import Target
from oura_stats.db.views import per_participant, view_statements
from oura_stats.errors import DatabaseError
from oura_stats.store.csvfile import (
    CsvFormatError,
    find_tail_start,
    read_header,
)
from oura_stats.store.keys import time_keys
from oura_stats.store.names import db_column

log = logging.getLogger(__name__)


def open_database(target: Target) -> Database:
    if target.kind == "sqlite":
        from oura_stats.db.sqlite import SqliteDatabase  # noqa: PLC0415 - one backend per run

        assert target.path is not None
        return SqliteDatabase(target.path)
    from oura_stats.db.postgres import PostgresDatabase  # noqa: PLC0415

    assert target.url is not None
    return PostgresDatabase(target.url, target.display)


class Mirror:
    """The database mirror of one output directory. Thread-safe: one table at a time."""

    def __init__(self, database: Database, output_dir: Path, before: dict[str, str | None]) -> None:
        self.db = database
        self._dir = output_dir
        self._lock = threading.Lock()
        self._kinds: dict[str, dict[str, str]] = {}
        self._records: dict[str, str] = {}
        self._before = dict(before)  # the CSV states when the round began

    @classmethod
    def open(
        cls, target: Target, output_dir: Path, before: dict[str, str | None] | None = None
    ) -> Mirror:
        """Connect and create what is missing of the schema. `before`: the CSV states when
        the round began (default: now)."""
        states = csv_states(output_dir) if before is None else before
        mirror = cls(open_database(target), output_dir, states)
        try:
            mirror.prepare()
        except BaseException:
            mirror.close()
            raise
        return mirror

    def prepare(self) -> None:
        """Create what is missing of the schema; read which CSV state each table mirrors (a
        table given local-time columns is loaded again in full)."""
        with self._lock, self.db.transaction():
            self._load_columns()
            found = set(self._kinds)
            tables = (*BY_NAME, "_mirror", "_runs")
            if created := not found.issuperset(tables):
                for statement in table_statements(self.db.dialect):
                    self.db.execute(statement)
                self._load_columns()
            stale = self._add_missing_columns()
            created |= self._series_views_missing()
            study = per_participant(self._kinds)
            for statement in (
                view_statements(self.db.dialect, study=study) if created or stale else []
            ):
                self.db.execute(statement)
            self._records = {n: s for n, s in self.db.mirror_states().items() if n not in stale}

    def _series_views_missing(self) -> bool:
        """Whether a series view is missing (stored series tables are dropped for them)."""
        for (name,) in self.db.query(series_query(self.db.dialect, views=False)):
            self.db.execute(f"DROP TABLE {quote(name)}")
        found = self.db.query(series_query(self.db.dialect, views=True))
        return len(found) < len(all_series())

    def _add_missing_columns(self) -> set[str]:
        """Add the columns the API table gained: the categories given local-time columns."""
        gained = set()
        for category in BY_NAME.values():
            for column, kind in table_columns(category):
                if db_column(column) not in self._kinds[category.name]:
                    self._add_column(category, db_column(column), kind)
                    gained |= {category.name} if column.endswith(LOCAL) else set()
        return gained

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Mirror:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def committed(self, category: Category, since: str | None) -> None:
        """The category's CSV was committed this round with its rows from `since` on: only
        those are loaded, if the table was level with the CSV the round began with."""
        with self._lock:
            now = csv_state(self._path(category.name))
            recorded = self._records.get(category.name)
            if now is None or recorded == now:
                return
            level_before = recorded is not None and recorded == self._before.get(category.name)
            self._load(category, now, since if level_before else None)
            self._before[category.name] = now

    def level(self, categories: list[Category]) -> list[Category]:
        """Load every table whose CSV changed since it was last mirrored; the ones done. A
        CSV that cannot be read fails its table only (one line); the others go on."""
        done = []
        for category in categories:
            with self._lock:
                now = csv_state(self._path(category.name))
                if now is None or self._records.get(category.name) == now:
                    continue
                try:
                    self._load(category, now, None)
                except CsvFormatError as error:
                    log.error("%s: %s", category.name, error)
                    continue
            done.append(category)
        return done

    def sync(self, category: Category) -> int | None:
        """Load the category's whole CSV (idempotent): rows loaded, None without a CSV."""
        with self._lock:
            now = csv_state(self._path(category.name))
            if now is None:
                return None
            return self._load(category, now, None)

    def record_runs(self, runs: list[dict[str, Any]]) -> None:
        """Add the runs `_runs` lacks (rounds whose database was down are caught up)."""
        with self._lock, self.db.transaction():
            self.db.record_runs(run_rows(runs))

    # loading one table ------------------------------------------------------------------

    def _path(self, name: str) -> Path:
        return self._dir / f"{name}.csv"

    def _load(self, category: Category, state: str, since: str | None) -> int:
        """Upsert the CSV's rows from `since` on, in one transaction; without `since` the table
        becomes the CSV. A CSV not UTF-8, or not matching its header, fails: nothing written."""
        path = self._path(category.name)
        try:
            return self._load_file(category, path, state, since)
        except CsvFormatError as error:
            raise CsvFormatError(f"{path}: {error}") from None

    def _load_file(self, category: Category, path: Path, state: str, since: str | None) -> int:
        with self.db.transaction(), path.open("rb") as handle:
            if since is None:  # the CSV is the truth: the table is loaded afresh
                self.db.execute(f"DELETE FROM {quote(category.name)}")
            if os.fstat(handle.fileno()).st_size == 0:
                return 0
            header, header_end = read_header(handle)
            names = [db_column(column) for column in header]  # as many, in the same order
            for column, name in zip(header, names, strict=True):
                if name not in self._kinds[category.name]:
                    self._add_column(category, name, column_type(category, column))
            fresh = since is None and self.db.is_empty(category.name)
            start = header_end
            if since is not None and category.time_field in header:
                time_index = header.index(category.time_field)
                start = find_tail_start(handle, header_end, time_index, since)
            count = None
            if category.kind is Kind.SERIES:  # UTC instants only: PostgreSQL may parse them
                count = self.db.copy_csv(category, names, handle, start, fresh=fresh)
            if count is None:  # no bulk path, or a value that needs a look: row by row
                batches = csv_batches(category, handle, header, (header_end, start), since)
                wide, batches = with_local(category, header, batches)
                count = self._write(category, list(map(db_column, wide)), batches, fresh=fresh)
            at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            self.db.save_mirror_state(category.name, state, at)
        self._records[category.name] = state
        return count

    def _write(
        self,
        category: Category,
        header: list[str],
        batches: Iterator[list[list[str]]],
        *,
        fresh: bool,
    ) -> int:
        """Write the batches typed; a misfit ends the writer, widens its column, and the
        same batch starts the next writer. Returns the rows written."""
        count, carried = 0, None
        while True:
            with self.db.rows_writer(category, header, fresh=fresh) as write:
                for batch in itertools.chain([carried] if carried else [], batches):
                    try:
                        values = self._typed(category, header, batch)
                    except ColumnMisfit as misfit:
                        carried, column, value = batch, misfit.column, misfit.value
                        break
                    carried = None
                    write(values)
                    count += len(values)
            if carried is None:
                return count
            self._widen(category, column, value)

    def _typed(self, category: Category, header: list[str], batch: list[list[str]]) -> list[Values]:
        """The batch's values, typed column by column."""
        if not batch:
            return []
        kinds = self._kinds[category.name]
        converted: list[Sequence[Any]] = []
        # SQLite compares text: a time in the key is stored in its one canonical spelling.
        sqlite_key = category.time_in_key and self.db.dialect == SQLITE
        for name, column in zip(header, zip(*batch, strict=True), strict=True):
            cells = time_keys(column) if sqlite_key and name == category.time_field else column
            try:
                converted.append(column_converter(self.db.dialect, kinds[name])(cells))
            except Misfit as misfit:
                raise ColumnMisfit(name, misfit.value) from None
        return list(zip(*converted, strict=True))

    def _widen(self, category: Category, column: str, value: str) -> None:
        kinds = self._kinds[category.name]
        old = kinds[column]
        if old == "string":  # nothing wider: never loop on a value text cannot hold
            raise DatabaseError(f"{category.name}.{column}: the database refused {value!r:.60}")
        new = WIDER.get(old, "string")
        if new != "string":
            try:
                converter(self.db.dialect, new)(value)
            except Misfit:
                new = "string"
        sql_type = SQL_TYPES[self.db.dialect][new]
        shown = value if len(value) <= 40 else value[:37] + "..."
        log.warning(
            "%s.%s: value %r does not fit its type %s; the column is now %s",
            category.name,
            column,
            shown,
            old,
            sql_type,
        )
        self.db.widen_column(category, column, sql_type)
        kinds[column] = kind_of_sql_type(self.db.dialect, sql_type)

    def _add_column(self, category: Category, column: str, kind: str) -> None:
        sql_type = SQL_TYPES[self.db.dialect][kind]
        self.db.add_column(category.name, column, sql_type)
        self._kinds[category.name][column] = kind_of_sql_type(self.db.dialect, sql_type)

    def _load_columns(self) -> None:
        self._kinds = {
            table: {c: kind_of_sql_type(self.db.dialect, t) for c, t in columns.items()}
            for table, columns in self.db.columns().items()
        }
