"""Whose data: the source an output directory or a database holds, checked before a run
writes anything and recorded with its first commit.

A directory records its source in a marker file (`store/source.py`); a database in its
`_source` table (one row, the same JSON). Places made by earlier versions are adopted from
what they hold: the state file's recorded source or personal_info.csv for a directory, the
personal_info table for a database. A place that holds nothing yet takes the source of the
first run that stores something there; a run that stored nothing binds nothing.

The small API, for every kind of run (CSV rounds, database-only rounds, `db sync`, the demo):
`directory_source` / `check_directory` / `SourceClaim` (which binds on the first commit)
for a directory, and `database_source` / `check_database` / `claim_database` (given an
open `Database`) or `check_target` / `claim_target` (given a `--db` target) for a database.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from pathlib import Path

from oura_stats.db.backend import Database, mark
from oura_stats.db.target import Target
from oura_stats.errors import ConfigError, DatabaseError, WrongSourceError
from oura_stats.store.source import (
    Source,
    holds_data,
    merged,
    personal_info_source,
    read_marker,
    same_source,
    write_marker,
)
from oura_stats.store.state import State

log = logging.getLogger(__name__)

MIXING = "mixing them would pass one's rows for the other's"
DEMO_SOURCE = Source.of("", False, demo=True)  # the demo's synthetic account(s)


# directories ----------------------------------------------------------------------------


def directory_source(output_dir: Path, state: State | None = None) -> Source | None:
    """The source the directory's data came from: its marker, else (a directory of an
    earlier version) `state`'s record, else its personal_info.csv; None if it holds none."""
    if not holds_data(output_dir):
        return None
    recorded = read_marker(output_dir)
    if recorded is None and state is not None:
        recorded = state.source()
    return recorded or personal_info_source(output_dir)


def check_directory(output_dir: Path, current: Source, recorded: Source | None) -> None:
    """Refuse to write `current`'s rows into a directory holding `recorded`'s."""
    if recorded is not None and not same_source(recorded, current):
        raise WrongSourceError(
            f"{output_dir} holds data from {recorded.describe()}, but this run reads "
            f"{current.describe()}; {MIXING}. Use another --output-dir (each folder keeps "
            f"its own state), or empty {output_dir} and rerun with --reset-state"
        )


def check_state_folder(state: State, output_dir: Path, state_path: Path) -> None:
    """Refuse a state file holding another folder's cursors (a folder that moved, or is
    gone or empty, is taken for this one)."""
    recorded = state.folder()
    if recorded is None or recorded == output_dir.resolve() or not holds_data(recorded):
        return
    raise WrongSourceError(
        f"the state file {state_path} holds the cursors of {recorded}, not of {output_dir}: "
        "one folder's cursors would steer another's. Leave --state-file out (each folder "
        "keeps its own, beside its data), or name a state file of this folder's own"
    )


class SourceClaim:
    """Records the run's source in the directory (None: a database-only run), its state
    and a database-only run's `database`, once, just before the first commit (`bind` is
    the collector's `before_commit`)."""

    def __init__(
        self,
        output_dir: Path | None,
        state: State,
        current: Source,
        recorded: Source | None,
        database: Target | None = None,
    ) -> None:
        self._dir = output_dir
        self._database = database
        self._state = state
        self.source = merged(recorded, current)
        self.held = recorded is not None  # the directory held data before this run
        self.bound = False
        self._lock = threading.Lock()

    def bind(self) -> None:
        with self._lock:
            if self.bound:
                return
            if self._database is not None:
                claim_target(self._database, self.source)
            if self._dir is not None and read_marker(self._dir) != self.source:
                write_marker(self._dir, self.source)
            self._state.set_source(self.source, self._dir)
            self.bound = True

    def database_source(self) -> Source | None:
        """What the database mirror of this directory may be bound to (None: nothing
        stored, so nothing to bind)."""
        return self.source if self.bound or self.held else None


# databases ------------------------------------------------------------------------------


def database_source(db: Database) -> Source | None:
    """The source a database holds: its `_source` row, else (a database of an earlier
    version) the one account its personal_info table names; None when it holds neither."""
    tables = db.columns()
    if "_source" in tables:
        rows = db.query("SELECT source FROM _source WHERE id = 1")
        if rows:
            try:
                return Source.from_json(json.loads(str(rows[0][0])))
            except (ValueError, KeyError, TypeError) as error:
                raise ConfigError(
                    f"the database {db.display} has a damaged _source record; delete that "
                    "row to let the next run record its source again"
                ) from error
    if "id" in tables.get("personal_info", {}):
        ids = sorted(str(r[0]) for r in db.query('SELECT DISTINCT "id" FROM personal_info'))
        if ids:
            return Source.of("", False, ids[0])
    return None


def check_database(db: Database, current: Source, recorded: Source | None = None) -> None:
    """Refuse to write `current`'s rows into a database holding another source's."""
    recorded = recorded or database_source(db)
    if recorded is not None and not same_source(recorded, current):
        raise WrongSourceError(
            f"the database {db.display} holds data from {recorded.describe()}, but this run "
            f"would write {current.describe()}'s; {MIXING}. Use --db with another database "
            "(one per account), or leave --db out"
        )


def claim_database(db: Database, current: Source) -> None:
    """Check the database's source and record `current` there (in one transaction)."""
    from oura_stats.db.schema import SOURCE_TABLE, save_source_statement  # noqa: PLC0415 - --db

    with db.transaction():
        db.execute(SOURCE_TABLE)
        recorded = database_source(db)
        check_database(db, current, recorded)
        source = merged(recorded, current)
        if source == recorded:
            return
        at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        text = json.dumps(source.to_json(), sort_keys=True)
        db.execute(save_source_statement(mark(db.dialect)), (text, at))


def claim_target(target: Target, source: Source) -> None:
    """`claim_database` on its own connection to `target`."""
    db = _open(target)
    try:
        claim_database(db, source)
    finally:
        db.close()


def check_target(target: Target | None, current: Source) -> None:
    """Refuse early (before anything is written) when `--db` holds another source's data.
    A SQLite file not there yet holds nothing; a database that cannot be reached now is
    checked again when the mirror opens it."""
    if target is None or (target.path is not None and not target.path.exists()):
        return
    try:
        db = _open(target)
    except DatabaseError as error:
        log.debug("cannot check the database's source yet: %s", error)
        return
    try:
        check_database(db, current)
    except DatabaseError as error:
        log.debug("cannot check the database's source yet: %s", error)
    finally:
        db.close()


def _open(target: Target) -> Database:
    """A connection to `target`: the database modules are imported by a --db run only."""
    from oura_stats.db.mirror import open_database  # noqa: PLC0415

    return open_database(target)
