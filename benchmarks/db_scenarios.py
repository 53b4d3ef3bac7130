"""The database mirror's rows of the benchmark: backfills and incremental runs with `--db`
(SQLite, and PostgreSQL on a throwaway cluster when its binaries and psycopg are there),
and `db sync` of the whole history into a new SQLite file.

Called by run.py with the CSV-only backfill and incremental scenarios to compare with.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent / "tests")]

from pg_cluster import binaries, cluster  # noqa: E402

FetchScenario = Callable[..., Any]


@contextmanager
def postgres() -> Iterator[str | None]:
    """A throwaway cluster's URL, or None when PostgreSQL or psycopg is missing."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        yield None
        return
    bindir = binaries()
    if bindir is None:
        yield None
        return
    with cluster(bindir) as url:
        yield url


def db_scenarios(
    fake: Any,
    tmp: Path,
    *,
    big: str,
    backfill: Any,
    incremental: Any,
    repeat: int,
    fetch_scenario: FetchScenario,
    run_child: Callable[[list[str]], Any],
    target: Callable[..., Any],
    progress: Callable[[str], None],
) -> tuple[list[Any], list[Any], list[str]]:
    """(scenarios, targets, notes) of the mirror."""
    scenarios, targets, notes = [], [], []
    sqlite_file = tmp / "db-sqlite" / "oura.db"
    progress(f"{big} backfill --db sqlite")
    sq_backfill = fetch_scenario(
        f"{big} backfill --db sqlite",
        fake,
        tmp / "db-sqlite",
        None,
        extra=["--db", str(sqlite_file)],
    )
    progress(f"{big} incremental --db sqlite (x{repeat})")
    sq_incremental = fetch_scenario(
        f"{big} incremental --db sqlite",
        fake,
        tmp / "db-sqlite",
        None,
        repeat,
        extra=["--db", str(sqlite_file)],
    )
    progress(f"db sync of the {big} CSVs into a new SQLite file")
    sync_file = tmp / "db-sync" / "oura.db"
    sync = run_child(
        [
            sys.executable,
            "-m",
            "oura_stats",
            "db",
            "sync",
            "--db",
            str(sync_file),
            "--output-dir",
            str(tmp / "db-sqlite" / "data"),
            "--state-file",
            str(tmp / "db-sync" / "state.json"),
        ]
    )
    if sync.exit_code != 0:
        raise SystemExit(f"benchmark: db sync exited with {sync.exit_code}:\n{sync.output[-2000:]}")
    sync_scenario = type(backfill)(
        f"db sync of the {big} CSVs (SQLite)",
        sync.wall_s,
        sync.cpu_s,
        sync.peak_rss_mb,
        sync.server_cpu_s,
        0,
    )
    scenarios += [sq_backfill, sq_incremental, sync_scenario]
    sqlite_mb = sqlite_file.stat().st_size / 1e6
    shutil.rmtree(tmp / "db-sync", ignore_errors=True)
    shutil.rmtree(tmp / "db-sqlite", ignore_errors=True)
    targets += [
        target(
            f"{big} backfill --db sqlite ÷ CSV only, wall",
            sq_backfill.wall_s / backfill.wall_s,
            1.3,
        ),
        target(
            "incremental --db sqlite, added wall",
            sq_incremental.wall_s - incremental.wall_s,
            0.3,
            " s",
        ),
        target(f"{big} backfill --db sqlite peak RSS", sq_backfill.peak_rss_mb, 100, " MB"),
        target(f"db sync of {big} into SQLite", sync.wall_s, 30, " s"),
    ]
    notes.append(f"the {big} SQLite file: {sqlite_mb:.0f} MB.")
    with postgres() as url:
        if url is None:
            notes.append("PostgreSQL rows skipped: no PostgreSQL binaries or no psycopg.")
            return scenarios, targets, notes
        progress(f"{big} backfill --db postgresql (throwaway cluster)")
        pg_backfill = fetch_scenario(
            f"{big} backfill --db postgresql", fake, tmp / "db-pg", None, extra=["--db", url]
        )
        progress(f"{big} incremental --db postgresql (x{repeat})")
        pg_incremental = fetch_scenario(
            f"{big} incremental --db postgresql",
            fake,
            tmp / "db-pg",
            None,
            repeat,
            extra=["--db", url],
        )
        shutil.rmtree(tmp / "db-pg", ignore_errors=True)
    scenarios += [pg_backfill, pg_incremental]
    targets += [
        target(
            f"{big} backfill --db postgresql ÷ CSV only, wall",
            pg_backfill.wall_s / backfill.wall_s,
            1.5,
        ),
        target(
            "incremental --db postgresql, added wall",
            pg_incremental.wall_s - incremental.wall_s,
            0.3,
            " s",
        ),
        target(f"{big} backfill --db postgresql peak RSS", pg_backfill.peak_rss_mb, 100, " MB"),
    ]
    notes.append(
        "PostgreSQL: a cluster started for the benchmark on this machine (Unix socket, fsync "
        "off), so its server CPU competes with the CLI and the fake API for the cores."
    )
    return scenarios, targets, notes
