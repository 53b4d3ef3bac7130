"""Where `status` and `/health` read the collection: the state file and the CSVs, or with
--no-csv (a database-only run's) the PostgreSQL --db. A --db without --no-csv is a mirror of
the files, which stay the truth, so they are read then too."""

from __future__ import annotations

from pathlib import Path

from oura_stats.db.target import NO_CSV_NEEDS_POSTGRESQL, Target
from oura_stats.errors import ConfigError
from oura_stats.store.records import FileRecords, Records


def open_records(output_dir: Path, state_path: Path, db: Target | None, *, no_csv: bool) -> Records:
    if not no_csv:
        return FileRecords(output_dir, state_path)
    if db is None or db.url is None:
        raise ConfigError(NO_CSV_NEEDS_POSTGRESQL)
    from oura_stats.db.pgfacts import PgRecords  # noqa: PLC0415 - the postgres extra

    return PgRecords(db.url, db.display)
