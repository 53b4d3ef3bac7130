"""A study's participants and their enrolment links, in PostgreSQL (`--db`).

A participant has the name the study chose (`p017`), the Oura user id their consent
belongs to (one Oura user, one name), when they enrolled, and a state: `ok`,
`needs consent` (Oura refused their token: they must enrol again) or `withdrawn`.
Invitation links are stored only as a hash of their secret part, so the database never
holds a working link; each is single-use and expires.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from oura_stats.api.categories import BY_NAME
from oura_stats.db.pgconn import connect, errors
from oura_stats.db.series import all_series
from oura_stats.db.studykey import key_by_account
from oura_stats.db.studyterms import INVITE_DAYS, check_name
from oura_stats.db.target import Target
from oura_stats.errors import ConfigError

OK = "ok"
NEEDS_CONSENT = "needs consent"
WITHDRAWN = "withdrawn"

TABLES = (
    """CREATE TABLE IF NOT EXISTS _participants (
        name text PRIMARY KEY,
        oura_user_id text UNIQUE,
        enrolled_at timestamptz NOT NULL DEFAULT now(),
        state text NOT NULL DEFAULT 'ok',
        state_since timestamptz NOT NULL DEFAULT now(),
        failing_since timestamptz,
        last_error text,
        paused_until timestamptz
    )""",
    """CREATE TABLE IF NOT EXISTS _invites (
        secret_hash text PRIMARY KEY,
        name text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        login_state_hash text UNIQUE,
        login_started_at timestamptz
    )""",
)


class AlreadyEnrolled(ConfigError):
    """The Oura user consenting is enrolled under another name already."""


class LinkUsed(ConfigError):
    """The enrolment link was used up (or expired) meanwhile."""


@dataclass(frozen=True)
class Participant:
    name: str
    oura_user_id: str | None
    enrolled_at: dt.datetime
    state: str
    state_since: dt.datetime
    failing_since: dt.datetime | None
    last_error: str | None
    paused_until: dt.datetime | None


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class Registry:
    """The participants and invitations of one database; one short transaction per call."""

    def __init__(self, target: Target) -> None:
        if target.kind != "postgresql" or target.url is None:
            raise ConfigError(
                f"a study needs a PostgreSQL database: --db postgresql://…, not {target.display}"
            )
        self.display = target.display
        self._conn = connect(target.url, target.display)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[Any]:
        with errors(self.display), self._conn.transaction(), self._conn.cursor() as cursor:
            yield cursor

    def create_tables(self) -> None:
        with self._tx() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('oura-stats schema'))")
            for statement in TABLES:
                cursor.execute(statement)
            key_by_account(cursor)  # a one-person database becomes a study: migrate it

    def has_tables(self) -> bool:
        with self._tx() as cursor:
            cursor.execute("SELECT to_regclass('_participants') IS NOT NULL")
            return bool(cursor.fetchone()[0])

    def require_tables(self) -> None:
        if not self.has_tables():
            raise ConfigError(
                f"{self.display} holds no study (no participants table); enrol someone first "
                "with `oura-stats accounts add NAME --db URL` or `accounts invite`"
            )

    def all(self) -> list[Participant]:
        self.require_tables()
        with self._tx() as cursor:
            cursor.execute(f"SELECT {_COLUMNS} FROM _participants ORDER BY name")
            return [Participant(*row) for row in cursor.fetchall()]

    def get(self, name: str) -> Participant:
        self.require_tables()
        with self._tx() as cursor:
            cursor.execute(f"SELECT {_COLUMNS} FROM _participants WHERE name = %s", (name,))
            row = cursor.fetchone()
        if row is None:
            raise ConfigError(
                f"no participant {name!r} in {self.display}; `oura-stats accounts list` "
                "shows who is enrolled"
            )
        return Participant(*row)

    def enrol(self, name: str, oura_user_id: str, cursor: Any | None = None) -> None:
        """Record (or renew) `name`'s enrolment; refuse an Oura user enrolled under another name."""
        if cursor is None:
            with self._tx() as own:
                self.enrol(name, oura_user_id, own)
            return
        cursor.execute("SELECT name FROM _participants WHERE oura_user_id = %s", (oura_user_id,))
        row = cursor.fetchone()
        if row is not None and row[0] != name:
            raise AlreadyEnrolled(
                f"this Oura account is already enrolled as {row[0]!r}; one person can be "
                f"enrolled once (remove {row[0]!r} first to rename them)"
            )
        cursor.execute(
            "INSERT INTO _participants (name, oura_user_id) VALUES (%s, %s) "
            "ON CONFLICT (name) DO UPDATE SET oura_user_id = EXCLUDED.oura_user_id, "
            "state = 'ok', state_since = now(), failing_since = NULL, last_error = NULL, "
            "paused_until = NULL",
            (name, oura_user_id),
        )

    def set_state(self, name: str, state: str, error: str | None = None) -> None:
        with self._tx() as cursor:
            cursor.execute(
                "UPDATE _participants SET state_since = CASE WHEN state = %s THEN state_since "
                "ELSE now() END, state = %s, last_error = %s WHERE name = %s",
                (state, state, error, name),
            )

    def record_result(self, name: str, error: str | None) -> None:
        """After a participant's round: clear or start their `failing_since`."""
        with self._tx() as cursor:
            cursor.execute(
                "UPDATE _participants SET last_error = %s, failing_since = CASE "
                "WHEN %s::text IS NULL THEN NULL ELSE coalesce(failing_since, now()) END "
                "WHERE name = %s",
                (error, error, name),
            )

    def pause(self, name: str, seconds: float) -> None:
        with self._tx() as cursor:
            cursor.execute(
                "UPDATE _participants SET paused_until = now() + make_interval(secs => %s) "
                "WHERE name = %s",
                (seconds, name),
            )

    def invite(self, name: str, days: float = INVITE_DAYS) -> str:
        """A new single-use link secret for `name`, valid `days`; only its hash is stored."""
        secret = secrets.token_urlsafe(24)
        with self._tx() as cursor:
            cursor.execute(
                "INSERT INTO _invites (secret_hash, name, expires_at) "
                "VALUES (%s, %s, now() + make_interval(secs => %s))",
                (digest(secret), check_name(name), days * 86400.0),
            )
        return secret

    def open_invite(self, secret: str) -> str | None:
        """The name a link is for, while it is unused and unexpired; else None."""
        with self._tx() as cursor:
            cursor.execute(
                "SELECT name FROM _invites WHERE secret_hash = %s AND used_at IS NULL "
                "AND expires_at > now()",
                (digest(secret),),
            )
            row = cursor.fetchone()
        return None if row is None else str(row[0])

    def start_login(self, secret: str, login_state: str) -> str | None:
        """Bind a fresh OAuth `state` to a valid link (the last one started wins)."""
        with self._tx() as cursor:
            cursor.execute(
                "UPDATE _invites SET login_state_hash = %s, login_started_at = now() "
                "WHERE secret_hash = %s AND used_at IS NULL AND expires_at > now() "
                "RETURNING name",
                (digest(login_state), digest(secret)),
            )
            row = cursor.fetchone()
        return None if row is None else str(row[0])

    def login_name(self, login_state: str) -> str | None:
        """The name an OAuth `state` was started for, if its link is still usable."""
        with self._tx() as cursor:
            cursor.execute(
                "SELECT name FROM _invites WHERE login_state_hash = %s AND used_at IS NULL "
                "AND expires_at > now() AND login_started_at > now() - interval '1 hour'",
                (digest(login_state),),
            )
            row = cursor.fetchone()
        return None if row is None else str(row[0])

    @contextmanager
    def completing(self, login_state: str) -> Iterator[tuple[str, Any]]:
        """Use up the link of `login_state` inside one transaction with whatever the caller
        stores (the enrolment and the tokens): all of it commits, or none of it."""
        with self._tx() as cursor:
            cursor.execute(
                "UPDATE _invites SET used_at = now() WHERE login_state_hash = %s "
                "AND used_at IS NULL AND expires_at > now() RETURNING name",
                (digest(login_state),),
            )
            row = cursor.fetchone()
            if row is None:
                raise LinkUsed("this enrolment link was used or has expired")
            yield str(row[0]), cursor

    def withdraw(self, name: str, *, delete_data: bool) -> dict[str, int]:
        """Mark `name` withdrawn and forget their tokens and open links; with `delete_data`
        also delete their rows from every table that has an `account` column, and their
        Oura user id, all in one transaction. Returns {table: rows deleted}."""
        self.get(name)
        removed: dict[str, int] = {}
        with self._tx() as cursor:
            cursor.execute("DELETE FROM _invites WHERE name = %s", (name,))
            tables = ["_credentials"]
            if delete_data:
                cursor.execute(
                    "SELECT c.table_name FROM information_schema.columns c "
                    "JOIN information_schema.tables t USING (table_schema, table_name) "
                    "WHERE c.table_schema = current_schema() AND c.column_name = 'account' "
                    "AND t.table_type = 'BASE TABLE' ORDER BY c.table_name"
                )
                tables = [row[0] for row in cursor.fetchall()]
            if delete_data:  # samples first: they are found through their parent rows
                removed.update(_delete_series(cursor, name))
            for table in tables:
                if not _exists(cursor, table):
                    continue
                cursor.execute(f'DELETE FROM "{table}" WHERE account = %s', (name,))
                if cursor.rowcount:
                    removed[table] = cursor.rowcount
            forget = ", oura_user_id = NULL" if delete_data else ""
            cursor.execute(
                "UPDATE _participants SET state = 'withdrawn', state_since = now(), "
                f"failing_since = NULL, last_error = NULL{forget} WHERE name = %s",
                (name,),
            )
        return removed

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        with self._tx() as cursor:
            yield cursor


_COLUMNS = (
    "name, oura_user_id, enrolled_at, state, state_since, failing_since, last_error, paused_until"
)


def _exists(cursor: Any, table: str) -> bool:
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", (f'"{table}"',))
    return bool(cursor.fetchone()[0])


def _delete_series(cursor: Any, name: str) -> dict[str, int]:
    """Delete `name`'s rows of nested-series tables stored as tables (keyed by their
    parent's id); series kept as views over their parents go with the parent rows."""
    removed = {}
    for series in all_series():
        parent = BY_NAME[series.category]
        if not (_is_table(cursor, series.table) and _exists(cursor, parent.name)):
            continue
        cursor.execute(
            f'DELETE FROM "{series.table}" WHERE parent_id IN (SELECT "{parent.key[0]}" '
            f'FROM "{parent.name}" WHERE account = %s)',
            (name,),
        )
        if cursor.rowcount:
            removed[series.table] = cursor.rowcount
    return removed


def _is_table(cursor: Any, name: str) -> bool:
    cursor.execute(
        "SELECT 1 FROM pg_class WHERE oid = to_regclass(%s) AND relkind IN ('r', 'p')",
        (f'"{name}"',),
    )
    return cursor.fetchone() is not None
