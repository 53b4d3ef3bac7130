"""A database-only run's collection, read for `status` and `/health` (see `store/records.py`):
the account's state from `_cursors` and `_accounts`, and per category its table's row count
and its newest and oldest time. Read only: no table is created, no lock taken.

A database that cannot be reached or read is a `ConfigError` (the --db is wrong, or its
server is down): one line naming the database without its password.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from oura_stats.api.categories import CATEGORIES, Category
from oura_stats.db.pgconn import connect, errors
from oura_stats.db.pgstate import load_state
from oura_stats.db.schema import quote
from oura_stats.db.studykey import ACCOUNT
from oura_stats.db.studyterms import SOLE_ACCOUNT
from oura_stats.errors import ConfigError, DatabaseError
from oura_stats.store.csvfacts import CsvFacts
from oura_stats.store.keys import time_key
from oura_stats.store.names import db_column
from oura_stats.store.state import State

_STATE = ("_cursors", "_accounts")
_TABLES = (
    "SELECT c.relname, bool_or(a.attname = %s) FROM pg_class c "
    "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
    "WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') "
    "AND c.relname = ANY(%s) GROUP BY c.relname"
)


class PgRecords:
    """`Records` of one account (the sole person's by default) in a PostgreSQL database."""

    def __init__(self, url: str, display: str, account: str = SOLE_ACCOUNT) -> None:
        self.where = f"database {display}"
        self._url, self._display, self.account = url, display, account
        self._conn: Any = None

    def state(self) -> dict[str, Any] | None:
        with self._reading() as conn:
            if len(self._tables(conn, list(_STATE))) < len(_STATE):
                return None  # no database-only run was ever here
            raw = load_state(conn, self.account)
        return None if raw is None else State.open(_Loaded(self.where, raw)).snapshot()

    def nothing_saved(self) -> str:
        return (
            f"nothing has been collected in {self._display} yet (no state of a database-only "
            "run there); check --db (it must match the one given to fetch/service --no-csv) "
            "or run `oura-stats fetch --db … --no-csv` first (a study's: status --accounts)"
        )

    def stored(self) -> set[str]:
        with self._reading() as conn:
            tables = self._tables(conn, [c.name for c in CATEGORIES])
            return {
                name for name, keyed in tables.items() if self._count(conn, name, keyed, any_=True)
            }

    def facts(
        self, categories: Iterable[Category], state: Mapping[str, Any]
    ) -> dict[str, CsvFacts]:
        entries = state.get("categories", {})
        chosen = list(categories)
        found: dict[str, CsvFacts] = {}
        with self._reading() as conn:
            tables = self._tables(conn, [c.name for c in chosen])
            for category in chosen:
                entry = entries.get(category.name, {})
                keyed = tables.get(category.name)
                if keyed is None:  # no table: never collected here
                    found[category.name] = CsvFacts(None, entry.get("cursor"))
                    continue
                found[category.name] = self._facts(conn, category, keyed, entry)
        return found

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()

    def _facts(
        self, conn: Any, category: Category, keyed: bool, entry: Mapping[str, Any]
    ) -> CsvFacts:
        table, where, params = quote(category.name), *self._whose(keyed)
        if category.time_field is None:
            rows = self._count(conn, category.name, keyed)
            newest = oldest = None
        else:
            column = quote(db_column(category.time_field))
            rows, newest, oldest = conn.execute(
                f"SELECT count(*), max({column}), min({column}) FROM {table}{where}", params
            ).fetchone()
        if not rows and not entry:  # a table made for every category, this one never fetched
            return CsvFacts(None, None)
        newest_key = _key(newest) or entry.get("cursor")
        return CsvFacts(int(rows), newest_key, _key(oldest))

    def _count(self, conn: Any, name: str, keyed: bool, *, any_: bool = False) -> int:
        where, params = self._whose(keyed)
        if any_:
            query = f"SELECT count(*) FROM (SELECT 1 FROM {quote(name)}{where} LIMIT 1) AS one"
        else:
            query = f"SELECT count(*) FROM {quote(name)}{where}"
        return int(conn.execute(query, params).fetchone()[0])

    def _whose(self, keyed: bool) -> tuple[str, tuple[str, ...]]:
        """Only this account's rows in a study's table (its `account` column)."""
        return (f" WHERE {ACCOUNT} = %s", (self.account,)) if keyed else ("", ())

    @staticmethod
    def _tables(conn: Any, names: list[str]) -> dict[str, bool]:
        """{table: has an account column} of the named tables that exist."""
        return dict(conn.execute(_TABLES, (ACCOUNT, names)).fetchall())

    @contextlib.contextmanager
    def _reading(self) -> Iterator[Any]:
        """The connection (opened when first needed); any failure is one line, exit 2, and
        the connection is dropped so that the next read starts afresh."""
        try:
            if self._conn is None or self._conn.closed:
                self._conn = connect(self._url, self._display)
            with errors(self._display):
                yield self._conn
        except DatabaseError as error:
            self.close()
            raise ConfigError(f"{error}; check --db and that its server is running") from None


class _Loaded:
    """The state as read, for `State.open` to check like a state file's."""

    def __init__(self, where: str, data: dict[str, Any]) -> None:
        self.where, self._data = where, data

    def load(self) -> dict[str, Any]:
        return self._data

    def save(self, data: dict[str, Any]) -> None:
        raise ConfigError(f"the {self.where} is only read here")

    def clear(self) -> None:
        raise ConfigError(f"the {self.where} is only read here")


def _key(value: Any) -> str | None:
    """A value of a time column as the CSV's time key: a day, or an instant in UTC."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return time_key(moment.astimezone(dt.UTC).isoformat())
    if isinstance(value, dt.date):
        return value.isoformat()
    return time_key(str(value)) or None
