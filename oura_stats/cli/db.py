"""`oura-stats db sync` (load the CSVs into the database), `db export` (the CSVs back from a
database-only run's tables) and `oura-stats db schema`. The options are in `db_args.py`."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from oura_stats.api.categories import Category, select
from oura_stats.cli.common import db_target
from oura_stats.db.mirror import Mirror
from oura_stats.db.schema import schema_text
from oura_stats.db.target import parse_target
from oura_stats.errors import EXIT_FAILED, EXIT_OK, ConfigError, DatabaseError, OuraStatsError
from oura_stats.run.homes import db_resources, prepare_output_dir
from oura_stats.run.identity import check_target, claim_database, directory_source
from oura_stats.store.csvfile import CsvFormatError
from oura_stats.store.lock import RunLock
from oura_stats.store.source import Source
from oura_stats.store.state import State
from oura_stats.store.statehome import state_path

log = logging.getLogger(__name__)


def run_sync(args: argparse.Namespace) -> int:
    target = db_target(args)
    if target is None:
        raise ConfigError("name the database with --db TARGET (or OURA_STATS_DB)")
    if not args.output_dir.is_dir():
        raise ConfigError(f"--output-dir {args.output_dir} is not a directory of CSV files")
    categories = select(args.categories)
    began = time.monotonic()
    state_file = state_path(args.output_dir, args.state_file)
    lock = RunLock.for_run(args.output_dir, state_file, db_resources(target))
    with lock:
        source = folder_source(args.output_dir, state_file)
        if source is not None:
            check_target(target, source)  # before the schema is written
        with Mirror.open(target, args.output_dir) as mirror:
            if source is not None:
                claim_database(mirror.db, source)
            failed = load(mirror, categories)
            failed += not _sync_runs(mirror, state_file)
    log.info(
        "loaded %d categories into %s in %.1f s",
        len(categories) - failed,
        target.display,
        time.monotonic() - began,
    )
    return EXIT_FAILED if failed else EXIT_OK


def folder_source(output_dir: Path, state_path: Path) -> Source | None:
    """Whose data the CSVs are: the folder's record, else its state file's (if readable)."""
    try:
        state = State.load(state_path)
    except OuraStatsError:
        state = None
    return directory_source(output_dir, state)


def load(mirror: Mirror, categories: list[Category]) -> int:
    """Load each category's CSV whole; the number of categories that failed."""
    failed = 0
    for category in categories:
        try:
            rows = mirror.sync(category)
        except (DatabaseError, CsvFormatError) as error:
            failed += 1
            log.error("%s: %s", category.name, error)
            continue
        if rows is None:
            log.info("%s: no CSV, skipped", category.name)
        else:
            log.info("%s: %s rows", category.name, f"{rows:,}")
    return failed


def _sync_runs(mirror: Mirror, state_file: Path) -> bool:
    """The state's run history into `_runs` (runs already there are kept as they are)."""
    try:
        runs = State.load(state_file).snapshot()["runs"]
    except OuraStatsError as error:
        log.warning("run history not loaded: %s", error)
        return True
    try:
        mirror.record_runs(runs)
    except DatabaseError as error:
        log.error("_runs: %s", error)
        return False
    log.info("_runs: %d runs in the state's history", len(runs))
    return True


def run_schema(args: argparse.Namespace) -> int:
    sys.stdout.write(schema_text(parse_target(args.db).kind))
    return EXIT_OK


def run_export(args: argparse.Namespace) -> int:
    target = db_target(args)
    if target is None or target.url is None:
        raise ConfigError("db export reads a PostgreSQL database: --db postgresql://user@host/db")
    prepare_output_dir(args.output_dir)
    from oura_stats.db.export import export  # noqa: PLC0415 - the postgres extra

    started = time.monotonic()
    written = export(target, args.output_dir, select(args.categories))
    log.info(
        "exported %d categories (%d rows) to %s in %.1f s",
        len(written),
        sum(written.values()),
        args.output_dir,
        time.monotonic() - started,
    )
    return EXIT_OK
