"""Database-only rows (--no-csv): each category's rows go straight into its table (the
mirror's tables, types, keys and newest-wins upsert), in one transaction per category
that also writes the category's cursor, so rows and cursor are stored together or not at
all. Nothing is written to disk: rows are sent in bounded batches as pages arrive.

Each category in flight has its own connection (its transaction stays open while its
pages are fetched); `_csv_columns` keeps each table's columns in the order a CSV would
have them, and `_exact` the cells a type would change (see `exact.py`), for `db export`.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from oura_stats.api.categories import CATEGORIES, Category, Kind
from oura_stats.db.background import Background
from oura_stats.db.batches import BATCH_BYTES, BATCH_ROWS
from oura_stats.db.exact import EXACT, exact_cells
from oura_stats.db.mirror import Mirror
from oura_stats.db.pgconn import errors, holder_name
from oura_stats.db.pgstate import CREATE_LOCK, SAVE_CURSOR, STATE_TABLES, create_tables
from oura_stats.db.postgres import PostgresDatabase, csv_bytes
from oura_stats.db.schema import column_type, quote
from oura_stats.db.series import with_local
from oura_stats.db.studykey import ACCOUNT, is_study, key_by_account
from oura_stats.store.flatten import Row
from oura_stats.store.keys import Ident, describe_keyless, row_identity, time_key
from oura_stats.store.merge import MergeResult
from oura_stats.store.names import db_column

COLUMNS_TABLE = (
    "CREATE TABLE IF NOT EXISTS _csv_columns (\n"
    "  category TEXT NOT NULL,\n"
    "  position INTEGER NOT NULL,\n"
    "  name TEXT NOT NULL,\n"
    "  PRIMARY KEY (category, position)\n"
    ")",
)
_ROW_OVERHEAD = 200


class TableWriter(Mirror):
    """The mirror's typed writing (columns added, misfits widened), fed rows not CSVs."""

    def write_rows(
        self, category: Category, header: list[str], rows: list[list[str]], *, fresh: bool = False
    ) -> int:
        """Upsert rows of text under `header` (new columns added, misfits widened; local-time
        columns as the mirror has them) in the caller's transaction. `fresh`: the table
        held none of this account's rows when the run began."""
        self.add_columns(category, header)
        wide, batches = with_local(category, header, iter([rows]))
        columns = list(map(db_column, wide))
        if category.kind is Kind.SERIES:  # plain numbers and UTC instants: PostgreSQL parses
            batch = next(batches)
            # Into an empty table straight (a key met twice this run sends it the long way).
            for straight in (True, False) if fresh else (False,):
                count = self.db.copy_csv(category, columns, csv_bytes(batch), 0, fresh=straight)
                if count is not None:
                    return count
            batches = iter([batch])  # a value that needs a look: typed, row by row
        return self._write(category, columns, batches, fresh=False)

    def add_columns(self, category: Category, header: list[str]) -> None:
        for column in header:  # an odd field name has its own database column (names.py)
            if db_column(column) not in self._kinds[category.name]:
                self._add_column(category, db_column(column), column_type(category, column))

    def kinds(self, category: Category) -> dict[str, str]:
        """{column: type its values are checked against} of the category's table."""
        return self._kinds[category.name]

    def writer(self, url: str, display: str) -> tuple[TableWriter, Any]:
        """Another writer on its own connection (its own transaction) that starts from the
        columns this one knows, without asking the catalog again; and its connection."""
        database = PostgresDatabase(url, display)
        other = TableWriter(database, Path(), {})
        other._kinds = {table: dict(kinds) for table, kinds in self._kinds.items()}
        return other, database.connection


def open_mirror(url: str, display: str) -> tuple[TableWriter, Any]:
    """A mirror that knows the tables' columns, and its connection."""
    database = PostgresDatabase(url, display)
    mirror = TableWriter(database, Path(), {})
    try:
        mirror.prepare()
    except BaseException:
        mirror.close()
        raise
    return mirror, database.connection


def csv_columns(conn: Any) -> dict[str, list[str]]:
    """{category: its columns in CSV order} as recorded by database-only runs."""
    rows = conn.execute("SELECT category, name FROM _csv_columns ORDER BY category, position")
    found: dict[str, list[str]] = {}
    for category, name in rows.fetchall():
        found.setdefault(category, []).append(name)
    return found


class PgRows:
    """`RowHome` in PostgreSQL tables, for one account's cursors."""

    def __init__(self, url: str, display: str, account: str, *, settled: bool = False) -> None:
        """`settled`: the caller has settled the schema already (`open_mirror_serialised`
        once for a whole study round), so this account's rows need only its columns."""
        self.url, self.display, self.account = url, display, account
        opener = open_mirror if settled else open_mirror_serialised
        self._setup, self._connection = opener(url, display)
        self._lock = threading.Lock()
        self._idle: list[tuple[TableWriter, Any]] = []  # writers whose transaction is over

    def writer(self) -> tuple[TableWriter, Any]:
        """A category's writer: its own connection (one another category of this account
        committed on, or a new one), the columns known at the start."""
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return self._setup.writer(self.url, self.display)

    def give_back(self, writer: TableWriter, conn: Any) -> None:
        """A writer whose transaction committed, for the next category."""
        with self._lock:
            self._idle.append((writer, conn))

    def store(self, category: Category) -> PgCategoryStore:
        return PgCategoryStore(self, category)

    def lost(self, category: Category) -> str | None:
        with self._lock:
            empty = self._empty(category)
        return f"its table in {self.display} is empty" if empty else None

    def has_rows(self) -> bool:
        with self._lock:
            return not all(self._empty(c) for c in CATEGORIES)

    def empty(self, category: Category) -> bool:
        with self._lock:
            return self._empty(category)

    def _empty(self, category: Category) -> bool:
        """No row of this account (of anyone, in a one-person database)."""
        if ACCOUNT not in self._setup.kinds(category):
            return self._setup.db.is_empty(category.name)
        conn = self._connection
        with errors(self.display):
            found = conn.execute(
                f"SELECT 1 FROM {quote(category.name)} WHERE {ACCOUNT} = %s LIMIT 1",
                (self.account,),
            ).fetchone()
        return found is None

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for writer, _ in idle:
            writer.close()
        self._setup.close()


def open_mirror_serialised(url: str, display: str) -> tuple[TableWriter, Any]:
    """Create what is missing (tables, `_exact` columns) one first run at a time."""
    database = PostgresDatabase(url, display)
    mirror = TableWriter(database, Path(), {})
    try:
        conn = database.connection
        with errors(display), conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (CREATE_LOCK,))
            mirror.prepare()
            if is_study(conn):  # tables made after the study began get its key too
                key_by_account(conn)
            for category in CATEGORIES:
                if EXACT not in mirror.kinds(category):
                    mirror.db.execute(
                        f"ALTER TABLE {quote(category.name)} ADD COLUMN {quote(EXACT)} JSONB"
                    )
            mirror.prepare()
        with errors(display):
            create_tables(conn, STATE_TABLES + COLUMNS_TABLE)
    except BaseException:
        mirror.close()
        raise
    return mirror, database.connection


def settle_schema(url: str, display: str) -> None:
    """Make the database's tables ready once, before a study round's participants (each
    of whom then opens their rows `settled`, without repeating the checks)."""
    mirror, _ = open_mirror_serialised(url, display)
    mirror.close()


class PgCategoryStore:
    """One category's rows of one run, written as they come, committed with the cursor."""

    def __init__(self, home: PgRows, category: Category) -> None:
        self._home, self.category = home, category
        self._lock = threading.Lock()
        self._mirror: TableWriter | None = None
        self._conn: Any = None
        self._fresh = False  # the table held none of the account's rows when the run began
        self._background: Background | None = None  # writes while the next pages come
        self._columns: dict[str, None] = dict.fromkeys(category.lead_columns)
        self._pending: dict[Ident, Row] = {}  # a batch: one row per key, the newest wins
        self._pending_bytes = 0
        self._identity = row_identity(category)
        self._result = MergeResult(written=True)
        self.newest_time: str | None = None
        self.oldest_time: str | None = None
        self.keyless = 0
        self.keyless_example: str | None = None

    @property
    def where(self) -> str:
        return f"table {self.category.name} in {self._home.display}"

    def add_page(self, documents: list[dict[str, Any]]) -> bool:
        return False  # flattened rows, please

    def add(self, rows: Iterable[Row]) -> None:
        time_field = self.category.time_field or ""
        with self._lock:
            if self._background is not None:
                self._background.check()  # the database failed: stop fetching for nothing
            for row in rows:
                order = time_key(row.get(time_field, ""))
                ident = self._identity(row, order)
                if ident is None:
                    self.keyless += 1
                    self.keyless_example = self.keyless_example or describe_keyless(
                        self.category, row
                    )
                    continue
                for name in row:
                    if name not in self._columns:
                        self._columns[name] = None
                if self.oldest_time is None or order < self.oldest_time:
                    self.oldest_time = order
                if self.newest_time is None or order > self.newest_time:
                    self.newest_time = order
                self._pending.pop(ident, None)  # re-inserted: the batch keeps arrival order
                self._pending[ident] = row
                self._pending_bytes += _ROW_OVERHEAD + sum(map(len, row.values()))
                if len(self._pending) >= BATCH_ROWS or self._pending_bytes >= BATCH_BYTES:
                    self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        mirror = self._open()
        header = list(self._columns)
        rows = [[row.get(c, "") for c in header] for row in self._pending.values()]
        self._pending, self._pending_bytes = {}, 0
        if self._background is None:
            self._background = Background(f"write-{self.category.name}")
        self._background.submit(lambda: self._write(mirror, header, rows))

    def _write(self, mirror: TableWriter, header: list[str], rows: list[list[str]]) -> None:
        """One batch into the table (on the writer thread)."""
        mirror.add_columns(self.category, header)  # new fields get their column and type
        if ACCOUNT in mirror.kinds(self.category):  # a study's table: whose rows these are
            header.append(ACCOUNT)
            for values in rows:
                values.append(self._home.account)
        exact = exact_cells(header, mirror.kinds(self.category))
        for values in rows:
            values.append(exact(values))
        mirror.write_rows(self.category, [*header, EXACT], rows, fresh=self._fresh)
        self._result.new += len(rows)

    def _open(self) -> TableWriter:
        if self._mirror is None:
            self._mirror, self._conn = self._home.writer()
            with errors(self._home.display):  # pg_stat_activity shows whose and which
                name = f"{holder_name()}: {self.category.name}"[:63]
                self._conn.execute("SELECT set_config('application_name', %s, false)", (name,))
            self._mirror.db.execute("BEGIN")
            self._fresh = self.category.kind is Kind.SERIES and self._home.empty(self.category)
        return self._mirror

    def commit(self) -> MergeResult:
        with self._lock:
            self._flush()
            self._open()
            self._finish_writes()
            return self._result

    def _finish_writes(self) -> None:
        background, self._background = self._background, None
        if background is not None:
            background.finish()

    def seal(self, entry: dict[str, Any]) -> None:
        """Record the CSV column order and the cursor, then commit everything at once."""
        with self._lock:
            mirror = self._open()
            try:
                with errors(self._home.display):
                    self._record_columns(self._conn)
                    self._conn.execute(
                        SAVE_CURSOR, (self._home.account, self.category.name, json.dumps(entry))
                    )
                mirror.db.execute("COMMIT")
            except BaseException:
                self._close()  # the connection goes with whatever it was in the middle of
                raise
            self._home.give_back(mirror, self._conn)
            self._mirror = None

    def _record_columns(self, conn: Any) -> None:
        if set(self._columns) <= set(self._known_columns(conn)):
            return  # nothing new: no need to queue behind other writers for the lock
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (CREATE_LOCK + 1,))  # one at a time
        known = self._known_columns(conn)
        new = [c for c in self._columns if c not in set(known)]
        with conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO _csv_columns (category, position, name) VALUES (%s, %s, %s)",
                [(self.category.name, len(known) + i, c) for i, c in enumerate(new)],
            )

    def _known_columns(self, conn: Any) -> list[str]:
        return [
            name
            for (name,) in conn.execute(
                "SELECT name FROM _csv_columns WHERE category = %s ORDER BY position",
                (self.category.name,),
            ).fetchall()
        ]

    def discard(self) -> None:
        with self._lock:
            self._pending = {}
            self._close()  # closing an open transaction rolls it back

    def _close(self) -> None:
        with contextlib.suppress(Exception):  # rolled back with the connection anyway
            self._finish_writes()
        if self._mirror is not None:
            self._mirror.close()
            self._mirror = None
