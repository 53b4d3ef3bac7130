"""`CredentialStore` in PostgreSQL (see `auth/seam.py`): one row per account in
`_credentials`, the OAuth client and token pair sealed (see `sealing.py`).

A refresh holds the row (`SELECT … FOR UPDATE`) in its own transaction, re-reads it, and
commits the new pair before anyone uses it: a second process waits on the row, then finds
the pair already rotated and adopts it, so no refresh token is ever spent twice. The wait
is bounded (`lock_timeout`), and so is the token request made while holding the row.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from oura_stats.auth.credentials import LOCK_TIMEOUT, Credentials, parse_credentials
from oura_stats.auth.reserve import CredentialsNotSaved
from oura_stats.auth.seam import Refresh
from oura_stats.db.pgconn import connect, errors
from oura_stats.db.pgstate import AccountTables
from oura_stats.db.sealing import Sealer
from oura_stats.errors import AuthError, ConfigError, DatabaseError

CREDENTIALS_TABLE = (
    "CREATE TABLE IF NOT EXISTS _credentials (\n"
    "  account TEXT PRIMARY KEY,\n"
    "  sealed TEXT NOT NULL,\n"
    "  version BIGINT NOT NULL,\n"
    "  saved_at TIMESTAMPTZ NOT NULL DEFAULT now()\n"
    ")",
)
_SAVE = (
    "INSERT INTO _credentials (account, sealed, version) VALUES (%s, %s, 1) "
    "ON CONFLICT (account) DO UPDATE SET sealed = excluded.sealed, "
    "version = _credentials.version + 1, saved_at = now()"
)


class PgCredentials(AccountTables):
    TABLES = CREDENTIALS_TABLE

    def __init__(self, url: str, display: str, account: str, sealer: Sealer) -> None:
        super().__init__(url, display, account)
        self._sealer = sealer

    def _row(self, conn: Any, *, for_update: bool = False) -> tuple[str, int] | None:
        lock = " FOR UPDATE" if for_update else ""
        found = conn.execute(
            f"SELECT sealed, version FROM _credentials WHERE account = %s{lock}", (self.account,)
        ).fetchone()
        return None if found is None else (str(found[0]), int(found[1]))

    def _open(self, row: tuple[str, int] | None) -> Credentials:
        if row is None:
            raise AuthError(
                f"no credentials for account {self.account!r} in the {self.where}; run "
                "`oura-stats auth login --db URL` (or `auth import --db URL`)"
            )
        try:
            return parse_credentials(self._sealer.open(row[0], self.where))
        except ValueError as exc:
            raise ConfigError(
                f"the credentials in the {self.where} are not valid ({exc}); log in again"
            ) from None

    def load(self) -> Credentials:
        with self._lock, errors(self._display):
            row = self._row(self._connection())
        return self._open(row)

    def marker(self) -> object:
        with self._lock, errors(self._display):
            row = self._row(self._connection())
        return None if row is None else row[1]

    def exists(self) -> bool:
        return self.marker() is not None

    def save(self, credentials: Credentials) -> None:
        sealed = self._sealer.seal(credentials.to_json())
        with self._lock, errors(self._display):
            self._connection().execute(_SAVE, (self.account, sealed))

    def delete(self) -> bool:
        with self._lock, errors(self._display):
            gone = self._connection().execute(
                "DELETE FROM _credentials WHERE account = %s", (self.account,)
            )
            return bool(gone.rowcount)

    @contextlib.contextmanager
    def refreshing(self, *, timeout: float = LOCK_TIMEOUT) -> Iterator[Refresh]:
        conn = connect(self._url, self._display, autocommit=False)
        committed = False
        try:
            with errors(self._display):
                self._connection()  # the table exists
                conn.execute(f"SET lock_timeout = '{int(timeout * 1000)}ms'")
                current = self._open(self._row(conn, for_update=True))

            def commit(rotated: Credentials) -> None:
                nonlocal committed
                sealed = self._sealer.seal(rotated.to_json())
                try:
                    with errors(self._display):
                        conn.execute(_SAVE, (self.account, sealed))
                        conn.commit()
                except DatabaseError as exc:
                    raise CredentialsNotSaved(
                        f"the refreshed tokens were not saved: {exc}"
                    ) from None
                committed = True

            yield Refresh(current, commit)
        finally:
            if not committed:
                with contextlib.suppress(Exception):
                    conn.rollback()
            with contextlib.suppress(Exception):
                conn.close()
