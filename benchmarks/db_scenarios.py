"""The database mirror's rows of the benchmark: backfills and incremental runs with `--db`
(SQLite, and PostgreSQL on a throwaway cluster when its binaries and psycopg are there),
`db sync` of the whole history into a new database of each kind, and database-only runs
(`--no-csv`, then `db export`) on PostgreSQL. The database runs
include everything the mirror writes: typed tables, local-time columns and the nested
series tables (`sleep__hrv`, `daily_activity__met`, ...).

Called by run.py with the CSV-only backfill and incremental scenarios to compare with.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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


def new_database(url: str, name: str) -> str:
    """A new, empty database on the cluster of `url`, as its URL."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")  # type: ignore[arg-type]
    return url.replace("@/postgres?", f"@/{name}?")


@dataclass
class Bench:
    """What run.py hands over: the server, its scenario runners and the CSV-only baseline."""

    fake: Any
    tmp: Path
    big: str
    backfill: Any
    incremental: Any
    repeat: int
    fetch_scenario: FetchScenario
    run_child: Callable[[list[str]], Any]
    target: Callable[..., Any]
    progress: Callable[[str], None]

    def backend(self, kind: str, db: str, limit: float) -> tuple[list[Any], list[Any]]:
        """A backfill and incremental runs with `--db db`, against the CSV-only ones."""
        workdir, big = self.tmp / f"db-{kind}", self.big
        self.progress(f"{big} backfill --db {kind}")
        extra = ["--db", db]
        backfill = self.fetch_scenario(
            f"{big} backfill --db {kind}", self.fake, workdir, None, extra=extra
        )
        self.progress(f"{big} incremental --db {kind} (x{self.repeat})")
        incremental = self.fetch_scenario(
            f"{big} incremental --db {kind}", self.fake, workdir, None, self.repeat, extra=extra
        )
        ratio = backfill.wall_s / self.backfill.wall_s
        added = incremental.wall_s - self.incremental.wall_s
        targets = [
            self.target(f"{big} backfill --db {kind} ÷ CSV only, wall", ratio, limit),
            self.target(f"incremental --db {kind}, added wall", added, 0.3, " s"),
            self.target(f"{big} backfill --db {kind} peak RSS", backfill.peak_rss_mb, 100, " MB"),
        ]
        return [backfill, incremental], targets

    def sync(self, csv_dir: Path, kind: str, db: str) -> tuple[Any, Any]:
        """`db sync` of the backfill's CSVs into a new database (`db`: its --db)."""
        self.progress(f"db sync of the {self.big} CSVs into a new {kind} database")
        workdir = self.tmp / f"db-sync-{kind}"
        workdir.mkdir(parents=True, exist_ok=True)
        args = ["db", "sync", "--db", db, "--output-dir", str(csv_dir)]
        args += ["--state-file", str(workdir / "state.json")]
        run = self.run_child([sys.executable, "-m", "oura_stats", *args])
        if run.exit_code != 0:
            raise SystemExit(f"benchmark: db sync exited with {run.exit_code}:\n{run.output}")
        shutil.rmtree(workdir, ignore_errors=True)
        name = f"db sync of the {self.big} CSVs ({kind})"
        scenario = type(self.backfill)(
            name, run.wall_s, run.cpu_s, run.peak_rss_mb, run.server_cpu_s, 0
        )
        return scenario, self.target(f"db sync of {self.big} into {kind}", run.wall_s, 60, " s")

    def database_only(self, url: str) -> tuple[list[Any], list[Any]]:
        """`fetch --no-csv` into a new PostgreSQL database (backfill, incremental runs)
        against the CSV-only ones, then `db export` of everything it holds."""
        db, big = new_database(url, "oura_db_only"), self.big
        workdir = self.tmp / "db-only"
        extra = ["--db", db, "--no-csv"]
        self.progress(f"{big} backfill --no-csv (PostgreSQL)")
        backfill = self.fetch_scenario(
            f"{big} backfill --no-csv", self.fake, workdir, None, extra=extra
        )
        self.progress(f"{big} incremental --no-csv (x{self.repeat})")
        incremental = self.fetch_scenario(
            f"{big} incremental --no-csv", self.fake, workdir, None, self.repeat, extra=extra
        )
        if workdir.exists() and any(workdir.rglob("*")):
            raise SystemExit(f"benchmark: --no-csv wrote files under {workdir}")
        self.progress(f"db export of the {big} database")
        export_dir = self.tmp / "db-only-export"
        args = ["db", "export", "--db", db, "--output-dir", str(export_dir)]
        run = self.run_child([sys.executable, "-m", "oura_stats", *args])
        if run.exit_code != 0:
            raise SystemExit(f"benchmark: db export exited with {run.exit_code}:\n{run.output}")
        shutil.rmtree(export_dir, ignore_errors=True)
        export = type(self.backfill)(
            f"db export of {big} (PostgreSQL)",
            run.wall_s,
            run.cpu_s,
            run.peak_rss_mb,
            run.server_cpu_s,
            0,
        )
        targets = [
            self.target(
                f"{big} backfill --no-csv ÷ CSV only, wall",
                backfill.wall_s / self.backfill.wall_s,
                1.2,
            ),
            self.target(f"{big} backfill --no-csv peak RSS", backfill.peak_rss_mb, 100, " MB"),
            self.target(
                "incremental --no-csv, added wall",
                incremental.wall_s - self.incremental.wall_s,
                0.5,
                " s",
            ),
            self.target(f"db export of {big}", run.wall_s, 15, " s"),
        ]
        return [backfill, incremental, export], targets


def series_rows(path: Path) -> int:
    """Rows in the SQLite file's series tables."""
    import sqlite3

    from oura_stats.db.series import all_series

    with contextlib.closing(sqlite3.connect(path)) as connection:
        return sum(
            connection.execute(f'SELECT count(*) FROM "{s.table}"').fetchone()[0]
            for s in all_series()
        )


def database_only_scenarios(bench: Bench) -> tuple[list[Any], list[Any], list[str]]:
    """(scenarios, targets, notes) of database-only runs alone (run.py --database-only)."""
    with postgres() as url:
        if url is None:
            return [], [], ["database-only rows skipped: no PostgreSQL binaries or no psycopg."]
        scenarios, targets = bench.database_only(url)
    return scenarios, targets, ["PostgreSQL: a cluster started for the benchmark (fsync off)."]


def db_scenarios(bench: Bench) -> tuple[list[Any], list[Any], list[str]]:
    """(scenarios, targets, notes) of the mirror."""
    sqlite_file = bench.tmp / "db-sqlite" / "oura.db"
    csv_dir = bench.tmp / "db-sqlite" / "data"
    scenarios, targets = bench.backend("sqlite", str(sqlite_file), 1.3)
    sync, sync_target = bench.sync(csv_dir, "SQLite", str(bench.tmp / "db-sync.db"))
    scenarios.append(sync)
    targets.append(sync_target)
    notes = [
        f"the {bench.big} SQLite file: {sqlite_file.stat().st_size / 1e6:.0f} MB, "
        f"{series_rows(sqlite_file):,} rows in its series tables."
    ]
    with postgres() as url:
        if url is None:
            notes.append("PostgreSQL rows skipped: no PostgreSQL binaries or no psycopg.")
            shutil.rmtree(bench.tmp / "db-sqlite", ignore_errors=True)
            return scenarios, targets, notes
        pg_scenarios, pg_targets = bench.backend("postgresql", url, 1.5)
        shutil.rmtree(bench.tmp / "db-postgresql", ignore_errors=True)
        sync_url = new_database(url, "oura_sync")
        pg_sync, pg_sync_target = bench.sync(csv_dir, "PostgreSQL", sync_url)
        pg_scenarios.append(pg_sync)
        pg_targets.append(pg_sync_target)
        only_scenarios, only_targets = bench.database_only(url)
        pg_scenarios += only_scenarios
        pg_targets += only_targets
    shutil.rmtree(bench.tmp / "db-sqlite", ignore_errors=True)
    notes.append(
        "PostgreSQL: a cluster started for the benchmark on this machine (Unix socket, fsync "
        "off), so its server CPU competes with the CLI and the fake API for the cores."
    )
    return scenarios + pg_scenarios, targets + pg_targets, notes
