"""The one place that decides where a run keeps its things (see DESIGN.md): files by
default; tables and advisory locks in PostgreSQL for a database-only run (--no-csv).
Nothing past this module asks which it got, and no path travels past it."""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from oura_stats.auth.seam import CredentialStore, FileCredentials
from oura_stats.db.studyterms import SOLE_ACCOUNT
from oura_stats.db.target import NO_CSV_NEEDS_POSTGRESQL, Target
from oura_stats.errors import ConfigError
from oura_stats.store.lock import Resource, RunLock
from oura_stats.store.rowhome import CsvRows, RowHome
from oura_stats.store.seam import CursorStore, FileCursors, FileLocks, Locks
from oura_stats.store.statehome import folder_state, move_seed_state

if TYPE_CHECKING:
    from oura_stats.db.pgcredentials import PgCredentials


class Where(Protocol):
    """What of a round's settings decides where its things live."""

    @property
    def output_dir(self) -> Path: ...
    @property
    def state_path(self) -> Path: ...
    @property
    def db(self) -> Target | None: ...
    @property
    def no_csv(self) -> bool: ...
    @property
    def account(self) -> str: ...
    @property
    def schema_settled(self) -> bool: ...


@dataclass
class Homes:
    """One account's cursors, locks and rows, and what to close after the round."""

    cursors: CursorStore
    locks: Locks
    rows: RowHome
    closers: list[contextlib.AbstractContextManager[object]] = field(default_factory=list)

    def close(self) -> None:
        for closer in reversed(self.closers):
            closer.__exit__(None, None, None)


def open_homes(settings: Where) -> Homes:
    if settings.no_csv:
        return _database_homes(settings)
    make_parent(settings.state_path, "--state-file")
    prepare_output_dir(settings.output_dir)  # the lock of the output directory lives there
    if settings.state_path == folder_state(settings.output_dir):
        move_seed_state(settings.output_dir)
    run = RunLock.for_run(settings.output_dir, settings.state_path, db_resources(settings.db))
    return Homes(
        FileCursors(settings.state_path),
        FileLocks(settings.state_path, run.resources),
        CsvRows(settings.output_dir),
    )


def _database_homes(settings: Where) -> Homes:
    target = settings.db
    if target is None or target.url is None:
        raise ConfigError(NO_CSV_NEEDS_POSTGRESQL)
    from oura_stats.db.pgrows import PgRows  # noqa: PLC0415 - the postgres extra
    from oura_stats.db.pgstate import PgCursors, PgLocks  # noqa: PLC0415

    cursors = PgCursors(target.url, target.display, settings.account)
    rows = PgRows(target.url, target.display, settings.account, settled=settings.schema_settled)
    homes = Homes(cursors, PgLocks(target.url, target.display, settings.account), rows)
    homes.closers += [contextlib.closing(cursors), contextlib.closing(rows)]
    return homes


def credential_store(
    target: Target | None, path: Path, *, plain_tokens: bool = True, writing: bool = False
) -> CredentialStore:
    """The credentials file at `path`, or the PostgreSQL `target`'s table when given.

    Tokens go into the database sealed with OURA_STATS_SECRET_KEY; without a key only with
    `plain_tokens` (a run refreshing plain tokens keeps them plain). `writing`: a new
    login is about to be stored, so refuse now rather than after the consent.
    """
    if target is None:
        return FileCredentials(path)
    if target.url is None:
        raise ConfigError(
            "credentials can be kept in a PostgreSQL database only (--db postgresql://…)"
        )
    from oura_stats.db.pgcredentials import PgCredentials  # noqa: PLC0415 - the postgres extra
    from oura_stats.db.sealing import Sealer  # noqa: PLC0415

    sealer = Sealer.from_environment(plain_allowed=plain_tokens)
    if writing:
        sealer.check()
    return PgCredentials(target.url, target.display, SOLE_ACCOUNT, sealer)


def participant_credentials(
    target: Target | None, name: str, *, plain_tokens: bool = False
) -> PgCredentials:
    """A study participant's credentials (their row of the database's credentials table)."""
    if target is None or target.url is None:
        raise ConfigError("a study keeps its participants in PostgreSQL: --db postgresql://…")
    from oura_stats.db.pgcredentials import PgCredentials  # noqa: PLC0415 - the postgres extra
    from oura_stats.db.sealing import Sealer  # noqa: PLC0415

    sealer = Sealer.from_environment(plain_allowed=plain_tokens)
    return PgCredentials(target.url, target.display, name, sealer)


def db_resources(target: Target | None) -> list[Resource]:
    """What the run lock must cover besides the CSVs: a SQLite file (a PostgreSQL database
    serves writers itself; a second run on it waits for the first's transaction). The
    file's directory is created, for the lock file beside it."""
    if target is None or target.path is None:
        return []
    make_parent(target.path, "--db")
    return [Resource.file(target.path, "database")]


def make_parent(path: Path, option: str) -> None:
    """Create the directory of `path` (given with `option`), or say why it cannot be."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(
            f"cannot create the directory of {option} {path}: {error.strerror}"
        ) from error


def prepare_output_dir(directory: Path) -> None:
    """Create the output directory, or say clearly why it cannot be used."""
    if directory.exists() and not directory.is_dir():
        raise ConfigError(f"output directory {directory} is a file; choose another --output-dir")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-test.", dir=directory)
        os.close(fd)
        Path(probe).unlink()
    except OSError as error:
        raise ConfigError(
            f"cannot write to output directory {directory} ({error.strerror}); "
            "choose another --output-dir or fix its permissions"
        ) from error
