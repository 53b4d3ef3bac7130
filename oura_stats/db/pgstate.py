"""A run's cursors and locks in PostgreSQL, for one account (see `store/seam.py`).

The state is two tables: `_cursors` (one row per account and category; a database-only
run also writes a category's row in the transaction that stores its rows) and `_accounts`
(the source whose data the account's rows are, and its recent runs). The locks are
session advisory locks: the server drops them when their connection ends, as the kernel
drops an flock when its process dies.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

from oura_stats.db.pgconn import connect, errors
from oura_stats.errors import DatabaseError, LockBusyError, StorageError

STATE_TABLES = (
    "CREATE TABLE IF NOT EXISTS _cursors (\n"
    "  account TEXT NOT NULL,\n"
    "  category TEXT NOT NULL,\n"
    "  entry JSONB NOT NULL,\n"
    "  PRIMARY KEY (account, category)\n"
    ")",
    "CREATE TABLE IF NOT EXISTS _accounts (\n"
    "  account TEXT PRIMARY KEY,\n"
    "  source JSONB,\n"
    "  runs JSONB NOT NULL DEFAULT '[]'\n"
    ")",
)
SAVE_CURSOR = (
    "INSERT INTO _cursors (account, category, entry) VALUES (%s, %s, %s) "
    "ON CONFLICT (account, category) DO UPDATE SET entry = excluded.entry"
)
CREATE_LOCK = 4242_0001  # serialises the CREATE TABLEs of concurrent first runs


def create_tables(conn: Any, statements: tuple[str, ...]) -> None:
    """CREATE TABLE IF NOT EXISTS is not safe against a concurrent twin: take turns."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (CREATE_LOCK,))
        for statement in statements:
            conn.execute(statement)


def lock_key(account: str, name: str) -> int:
    """A stable signed 64-bit advisory lock key for (account, lock name)."""
    digest = hashlib.sha256(f"oura-stats\0{account}\0{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class AccountTables:
    """A store bound to one account, on one connection (opened when first needed, its
    tables created then); its methods hold `_lock` around the connection's use."""

    TABLES: tuple[str, ...] = STATE_TABLES

    def __init__(self, url: str, display: str, account: str) -> None:
        self.where = f"database {display}"
        self._url, self._display, self.account = url, display, account
        self._conn: Any = None
        self._lock = threading.Lock()

    def _connection(self) -> Any:
        if self._conn is None or self._conn.closed:
            self._conn = connect(self._url, self._display)
            with errors(self._display):
                create_tables(self._conn, self.TABLES)
        return self._conn

    def close(self) -> None:
        with self._lock, contextlib.suppress(Exception):
            if self._conn is not None:
                self._conn.close()


class PgCursors(AccountTables):
    """`CursorStore` in `_cursors` and `_accounts`, bound to `account`."""

    def load(self) -> dict[str, Any] | None:
        with self._lock, errors(self._display):
            return load_state(self._connection(), self.account)

    def save(self, data: dict[str, Any]) -> None:
        try:
            with self._lock, errors(self._display):
                conn = self._connection()
                with conn.transaction():
                    self._save(conn, data)
        except DatabaseError as error:
            raise StorageError(
                f"cannot save the state in the {error}; the rows stored are whole, and "
                "the next run fetches again what this one could not record"
            ) from error

    def _save(self, conn: Any, data: dict[str, Any]) -> None:
        categories = data.get("categories", {})
        conn.execute(
            "INSERT INTO _accounts (account, source, runs) VALUES (%s, %s, %s) "
            "ON CONFLICT (account) DO UPDATE SET source = excluded.source, "
            "runs = excluded.runs",
            (self.account, _json(data.get("source")), json.dumps(data.get("runs", []))),
        )
        conn.execute(
            "DELETE FROM _cursors WHERE account = %s AND NOT category = ANY(%s)",
            (self.account, list(categories)),
        )
        with conn.cursor() as cursor:
            cursor.executemany(
                SAVE_CURSOR,
                [(self.account, name, json.dumps(entry)) for name, entry in categories.items()],
            )

    def clear(self) -> None:
        with self._lock, errors(self._display):
            conn = self._connection()
            with conn.transaction():
                conn.execute("DELETE FROM _cursors WHERE account = %s", (self.account,))
                conn.execute("DELETE FROM _accounts WHERE account = %s", (self.account,))


def load_state(conn: Any, account: str) -> dict[str, Any] | None:
    """The account's saved state, from `_cursors` and `_accounts` (None: nothing saved)."""
    found = conn.execute("SELECT source, runs FROM _accounts WHERE account = %s", (account,))
    found = found.fetchone()
    rows = conn.execute(
        "SELECT category, entry FROM _cursors WHERE account = %s", (account,)
    ).fetchall()
    if found is None and not rows:
        return None
    data: dict[str, Any] = {"version": 1, "categories": dict(rows), "runs": []}
    if found is not None:
        data["runs"] = found[1]
        if found[0] is not None:
            data["source"] = found[0]
    return data


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


class PgLocks:
    """`Locks` as session advisory locks, each on its own connection, bound to `account`."""

    def __init__(self, url: str, display: str, account: str) -> None:
        self._url, self._display, self.account = url, display, account

    @contextlib.contextmanager
    def hold(self, name: str, *, wait: float = 0.0) -> Iterator[None]:
        key = lock_key(self.account, name)
        conn = connect(self._url, self._display)
        try:
            deadline = time.monotonic() + wait
            with errors(self._display):
                while not conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]:
                    if time.monotonic() >= deadline:
                        raise LockBusyError(
                            f"another oura-stats run ({self._holder(conn, key)}) holds the "
                            f"{name} lock of account {self.account!r} in {self._display}; "
                            "this run did nothing, try again when it has finished"
                        )
                    time.sleep(0.05)
            yield
        finally:
            with contextlib.suppress(Exception):
                conn.close()  # ending the session releases the lock

    @staticmethod
    def _holder(conn: Any, key: int) -> str:
        row = conn.execute(
            "SELECT a.application_name, a.pid FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' "
            "AND l.granted AND l.objsubid = 1 AND l.classid::text = %s AND l.objid::text = %s",
            (str((key >> 32) & 0xFFFFFFFF), str(key & 0xFFFFFFFF)),
        ).fetchone()
        if row is None:
            return "unknown"
        return str(row[0] or f"server pid {row[1]}")
