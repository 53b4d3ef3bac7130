"""A study's database: every data table carries the participant (`account`) in its key.

A database becomes a study when its first participant is enrolled; then each category
table gains an `account` column, first in its primary key. A one-person database made
earlier is migrated in place: its rows keep their values under the account `default`,
which is also the column's default, so a one-person run keeps working unchanged.
"""

from __future__ import annotations

from typing import Any

from oura_stats.api.categories import CATEGORIES
from oura_stats.db.schema import quote
from oura_stats.db.studyterms import ACCOUNT, SOLE_ACCOUNT
from oura_stats.db.views import SOURCES, VIEWS, view_statements

__all__ = ["ACCOUNT", "has_account_column", "is_study", "key_by_account", "refresh_views"]
_SCHEMA_LOCK = 4242_0001  # the lock every schema change of this database takes


def is_study(conn: Any) -> bool:
    return bool(conn.execute("SELECT to_regclass('_participants') IS NOT NULL").fetchone()[0])


def has_account_column(conn: Any, table: str) -> bool:
    found = conn.execute(
        "SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attname = %s "
        "AND NOT attisdropped",
        (quote(table), ACCOUNT),
    ).fetchone()
    return found is not None


def key_by_account(conn: Any) -> list[str]:
    """Put `account` first in the primary key of every data table lacking it (inside the
    caller's transaction); the tables changed."""
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
    changed = []
    for category in CATEGORIES:
        table = quote(category.name)
        exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (table,)).fetchone()[0]
        if not exists or has_account_column(conn, category.name):
            continue
        conn.execute(
            f"ALTER TABLE {table} ADD COLUMN {ACCOUNT} TEXT NOT NULL DEFAULT '{SOLE_ACCOUNT}'"
        )
        constraint = conn.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = to_regclass(%s) AND contype = 'p'",
            (table,),
        ).fetchone()
        if constraint is not None:
            conn.execute(f"ALTER TABLE {table} DROP CONSTRAINT {quote(constraint[0])}")
        keys = ", ".join(map(quote, (ACCOUNT, *category.key)))
        conn.execute(f"ALTER TABLE {table} ADD PRIMARY KEY ({keys})")
        changed.append(category.name)
    refresh_views(conn)
    return changed


def views_by_account(conn: Any) -> bool:
    """Whether every table the views read carries `account` (the views are then per
    participant: `views.py`)."""
    return _with_account(conn, SOURCES) == len(SOURCES)


def refresh_views(conn: Any) -> None:
    """Remake the views per participant when the tables are a study's and a view is not
    (a one-person database just made a study, or views made before views were per
    participant); the caller's transaction makes it all or nothing."""
    if not views_by_account(conn) or _with_account(conn, VIEWS) == len(VIEWS):
        return
    for statement in view_statements("postgresql", study=True):
        conn.execute(statement)


def _with_account(conn: Any, relations: tuple[str, ...]) -> int:
    """How many of these tables or views exist with an `account` column."""
    row = conn.execute(
        "SELECT count(*) FROM unnest(%s::text[]) AS r(name) JOIN pg_attribute a "
        "ON a.attrelid = to_regclass(r.name) AND a.attname = %s AND NOT a.attisdropped",
        ([quote(name) for name in relations], ACCOUNT),
    ).fetchone()
    return int(row[0])
