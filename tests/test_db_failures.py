"""The database mirror when things go wrong: the CSVs are always written, one line is said."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import Workspace, fetch, run_cli
from dbcheck import Db, key_of, leaves

from oura_stats.db.target import parse_target, redact
from oura_stats.demo.server import FakeOura
from oura_stats.errors import ConfigError


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("oura-stats: error:")]


def test_database_that_is_down_fails_with_one_line_and_csvs_are_written(
    api: FakeOura, ws: Workspace, tmp_path: Path
) -> None:
    nowhere = f"postgresql://oura:hunter2@/oura?host={tmp_path}&port=1"
    result = fetch(api, ws, "--db", nowhere, "--categories", "daily_sleep,heartrate")
    assert result.returncode == 1
    lines = error_lines(result.stderr)
    assert len(lines) == 1, result.stderr
    assert "cannot connect" in lines[0] and "CSVs are still written" in lines[0]
    assert "hunter2" not in result.stderr
    assert len(ws.csv("daily_sleep")) == len(api.data["daily_sleep"])
    assert len(ws.csv("heartrate")) > 0


def test_a_table_that_refuses_rows_fails_its_mirror_only_and_heals_later(
    api: FakeOura, ws: Workspace, tmp_path: Path
) -> None:
    target = tmp_path / "oura.db"
    assert fetch(api, ws, "--db", str(target), "--categories", "tag").returncode == 0
    with sqlite3.connect(target) as connection:
        connection.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON daily_sleep "
            "BEGIN SELECT RAISE(ABORT, 'disk quota exceeded'); END"
        )
    result = fetch(api, ws, "--db", str(target), "--categories", "daily_sleep,daily_stress")
    assert result.returncode == 1
    lines = error_lines(result.stderr)
    assert lines == [f"oura-stats: error: daily_sleep: database {target}: disk quota exceeded"]
    assert "ok, database FAILED" in result.stderr
    assert len(ws.csv("daily_sleep")) == len(api.data["daily_sleep"])  # the CSV is written
    db = Db("sqlite", str(target))
    assert db.query("SELECT count(*) FROM daily_sleep") == [(0,)]
    assert db.query("SELECT count(*) FROM daily_stress") == [(len(api.data["daily_stress"]),)]
    with sqlite3.connect(target) as connection:
        connection.execute("DROP TRIGGER refuse")
    again = fetch(api, ws, "--db", str(target), "--categories", "daily_stress")
    assert again.returncode == 0, again.stderr
    assert db.query("SELECT count(*) FROM daily_sleep") == [(len(api.data["daily_sleep"]),)]


def test_value_that_does_not_fit_widens_its_column_once_and_is_kept(
    api: FakeOura, ws: Workspace, db: Db
) -> None:
    docs = api.data["daily_readiness"]
    assert fetch(api, ws, "--db", db.target, "--categories", "daily_readiness").returncode == 0
    api.upsert_document("daily_readiness", dict(docs[-1], score=72.5))
    api.upsert_document("daily_readiness", dict(docs[-2], score=73.25))
    widened = fetch(api, ws, "--db", db.target, "--categories", "daily_readiness")
    assert widened.returncode == 0, widened.stderr
    assert widened.stderr.count("daily_readiness.score: value") == 1
    api.upsert_document("daily_readiness", dict(docs[-3], score="high"))
    texted = fetch(api, ws, "--db", db.target, "--categories", "daily_readiness")
    assert texted.returncode == 0, texted.stderr
    assert "does not fit its type number; the column is now TEXT" in texted.stderr
    stored = dict(db.query("SELECT id, score FROM daily_readiness"))
    assert [float(stored[d["id"]]) for d in docs[-2:]] == [73.25, 72.5]
    assert stored[docs[-3]["id"]] == "high"
    assert float(stored[docs[0]["id"]]) == docs[0]["score"]  # older rows keep their values
    assert db.query("SELECT count(*) FROM daily")[0][0] > 0  # the views survived


def test_missing_postgres_driver_is_a_clear_usage_error(
    api: FakeOura, ws: Workspace, tmp_path: Path
) -> None:
    hide = tmp_path / "hide"  # as if psycopg were not installed
    hide.mkdir()
    (hide / "sitecustomize.py").write_text("import sys\nsys.modules['psycopg'] = None\n")
    root = Path(__file__).resolve().parent.parent
    env = {"PYTHONPATH": f"{hide}:{root}"}
    result = run_cli(*_fetch_args(api, ws, "--db", "postgresql://localhost/oura"), env=env)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "oura-stats: error: PostgreSQL needs psycopg: pip install 'oura-stats[postgres]'"
    ]
    assert not ws.data.exists()


def _fetch_args(api: FakeOura, ws: Workspace, *extra: str) -> list[str]:
    from conftest import fetch_args

    return fetch_args(api, ws, *extra)


def test_database_from_the_environment_and_a_bad_target(api: FakeOura, ws: Workspace) -> None:
    target = ws.root / "new" / "env.sqlite3"
    result = run_cli(
        *_fetch_args(api, ws, "--categories", "tag"), env={"OURA_STATS_DB": str(target)}
    )
    assert result.returncode == 0, result.stderr
    assert (target.parent / "env.sqlite3.lock").exists()  # the run lock covers the file
    db = Db("sqlite", str(target))
    assert {key_of("tag", r) for r in db.rows("tag")} == {
        key_of("tag", leaves(d)) for d in api.data["tag"]
    }
    bad = fetch(api, ws, "--db", "mysql://localhost/oura")
    assert bad.returncode == 2
    assert "not a database this tool knows" in bad.stderr


def test_targets_parse_and_never_show_a_password() -> None:
    assert parse_target("sqlite:////srv/oura.db").path == Path("/srv/oura.db")
    assert parse_target("sqlite:///oura.db").path == Path("oura.db")
    assert parse_target("data/oura.sqlite").kind == "sqlite"
    pg = parse_target("postgresql://me:s3cret@db:5433/oura?sslmode=require")
    assert pg.kind == "postgresql"
    assert "s3cret" not in pg.display
    assert redact("postgresql://me@/oura?host=/run/pg&password=s3cret") == (
        "postgresql://me@/oura?host=/run/pg&password=***"
    )
    for bad in ("oura.csv", "sqlite:", "postgresql://host"):
        with pytest.raises(ConfigError):
            parse_target(bad)


def test_schema_prints_ddl_that_builds_the_database(tmp_path: Path, pg_url: str) -> None:
    for target in (str(tmp_path / "schema.db"), pg_url):
        result = run_cli("db", "schema", "--db", target)
        assert result.returncode == 0, result.stderr
        ddl = result.stdout
        assert 'CREATE TABLE IF NOT EXISTS "daily_activity"' in ddl
        assert '"readiness.contributors.hrv_balance"' in ddl
        assert "CREATE VIEW daily" in ddl or "CREATE OR REPLACE VIEW daily" in ddl
        if target.startswith("postgresql"):
            import psycopg

            with psycopg.connect(target, autocommit=True) as connection:
                connection.execute(ddl)  # type: ignore[arg-type]
                assert connection.execute("SELECT count(*) FROM daily").fetchone() == (0,)
        else:
            with sqlite3.connect(target) as connection:
                connection.executescript(ddl)
                assert connection.execute("SELECT count(*) FROM daily").fetchone() == (0,)


def test_time_series_misfit_leaves_the_bulk_path_and_widens(
    api: FakeOura, ws: Workspace, db: Db
) -> None:
    sample = dict(api.data["heartrate"][-1], bpm=72.5)
    api.upsert_document("heartrate", sample)
    result = fetch(api, ws, "--db", db.target, "--categories", "heartrate")
    assert result.returncode == 0, result.stderr
    assert "heartrate.bpm: value '72.5' does not fit its type integer" in result.stderr
    rows = {key_of("heartrate", r): r for r in db.rows("heartrate")}
    assert len(rows) == len({key_of("heartrate", leaves(d)) for d in api.data["heartrate"]})
    assert float(rows[key_of("heartrate", sample)]["bpm"]) == 72.5
