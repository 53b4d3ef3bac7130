"""`oura-stats status --db postgresql://… --no-csv` and a `service --no-csv`'s `/health`
and `/metrics`: a database-only run's collection (state and rows in PostgreSQL, no state
file, no CSV) reported as they report files."""

from __future__ import annotations

import datetime as dt
import json
import signal
import urllib.request
from pathlib import Path
from typing import Any

import psycopg
from conftest import TODAY, TOKEN, Workspace, fetch, history, one_error_line, run_cli
from test_health import parse_metrics
from test_service import ServiceProcess, wait_until_healthy

from oura_stats.api.categories import select
from oura_stats.db.target import parse_target
from oura_stats.demo.server import FakeOura
from oura_stats.monitor.freshness import Policy
from oura_stats.monitor.health import Board
from oura_stats.monitor.records import open_records

CATEGORIES = ["daily_sleep", "heartrate", "tag"]


def db_only_fetch(api: FakeOura, url: str) -> None:
    result = run_cli(
        "fetch", "--base-url", api.url, "--token", TOKEN, "--db", url, "--no-csv",
        "--categories", *CATEGORIES,
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stderr


def status_json(*args: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    result = run_cli("status", "--json", *args, env=env)
    assert result.stderr == "", result.stderr
    return result.returncode, json.loads(result.stdout)


def facts(document: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    return {
        name: (entry["verdict"], entry["rows"], entry["newest"], entry["note"])
        for name, entry in document["categories"].items()
    }


def test_status_of_a_database_only_run_equals_that_of_the_same_run_on_files(
    api: FakeOura, ws: Workspace, pg_url: str, tmp_path: Path
) -> None:
    assert fetch(api, ws, "--categories", *CATEGORIES).returncode == 0
    db_only_fetch(api, pg_url)
    assert list(tmp_path.glob("**/*.csv")) == [*ws.data.glob("*.csv")]  # none of the db run's
    files = ["--output-dir", str(ws.data), "--state-file", str(ws.state)]
    code, on_files = status_json(*files)
    assert code == 0
    code, in_db = status_json("--db", pg_url, "--no-csv")
    assert code == 0
    assert in_db["verdict"] == "ok"
    assert facts(in_db) == facts(on_files)
    assert list(in_db["categories"]) == CATEGORIES
    with psycopg.connect(pg_url) as conn:
        (sleep_rows,) = conn.execute("SELECT count(*) FROM daily_sleep").fetchone() or (0,)
    assert in_db["categories"]["daily_sleep"]["rows"] == sleep_rows == len(ws.csv("daily_sleep"))
    assert in_db["categories"]["daily_sleep"]["newest"] == TODAY.isoformat()
    assert in_db["last_run"]["ok"] is True
    assert in_db["categories"]["heartrate"]["last_success"] is not None


def test_the_table_quiet_and_the_environment_options(api: FakeOura, pg_url: str) -> None:
    db_only_fetch(api, pg_url)
    table = run_cli("status", "--db", pg_url, "--no-csv")
    assert table.returncode == 0, table.stderr
    assert table.stdout.splitlines()[0].split()[:2] == ["category", "verdict"]
    assert any(line.split()[:2] == ["daily_sleep", "ok"] for line in table.stdout.splitlines())
    quiet = run_cli("status", "--db", pg_url, "--no-csv", "-q")
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
    env = {"OURA_STATS_DB": pg_url, "OURA_STATS_NO_CSV": "1"}
    code, document = status_json(env=env)
    assert code == 0
    assert document["categories"]["tag"]["rows"] > 0


def test_stale_and_failing_come_from_the_database(pg_url: str) -> None:
    data = history()
    with FakeOura(data, token=TOKEN, today=TODAY) as api:
        api.fail("heartrate", 400, times=5, body={"detail": "bad request"})
        db_only_fetch(api, pg_url)
    cutoff = TODAY - dt.timedelta(days=5)
    with psycopg.connect(pg_url) as conn:  # the newest nights never arrived
        conn.execute("DELETE FROM daily_sleep WHERE day > %s", (cutoff,))
        (newest,) = conn.execute("SELECT max(day) FROM daily_sleep").fetchone() or (None,)
    assert newest is not None and newest <= cutoff
    code, document = status_json("--db", pg_url, "--no-csv")
    assert code == 1
    assert document["verdict"] == "failing"
    heartrate = document["categories"]["heartrate"]
    assert heartrate["verdict"] == "failing"
    assert "400" in heartrate["last_error"]["message"]
    assert heartrate["failing_since"] == heartrate["last_error"]["at"]
    sleep = document["categories"]["daily_sleep"]
    assert (sleep["verdict"], sleep["newest"]) == ("stale", newest.isoformat())
    assert sleep["note"].startswith("no new data for")
    assert document["last_run"]["failed"] == ["heartrate"]
    code, document = status_json("--db", pg_url, "--no-csv", "--categories", "daily_sleep")
    assert (code, document["verdict"]) == (1, "stale")


def test_a_database_nobody_collected_into_is_a_usage_error(pg_url: str) -> None:
    result = run_cli("status", "--db", pg_url, "--no-csv")
    assert result.returncode == 2
    one_error_line(result.stderr, "nothing has been collected in", "--no-csv")


def test_an_unreachable_or_missing_database_is_one_line_without_the_password(
    pg_url: str,
) -> None:
    refused = "postgresql://oura:s3cretpw@127.0.0.1:1/oura?connect_timeout=2"
    missing = pg_url.replace("/t_", "/absent_")
    for url in (refused, missing):
        result = run_cli("status", "--db", url, "--no-csv")
        assert result.returncode == 2, result.stderr
        line = one_error_line(result.stderr, "cannot connect to", "check --db")
        assert "s3cretpw" not in line


def test_no_csv_needs_a_postgresql_db_and_a_plain_db_reads_the_files(
    api: FakeOura, ws: Workspace, pg_url: str
) -> None:
    for extra in ([], ["--db", "oura.db"]):
        result = run_cli("status", "--no-csv", *extra)
        assert result.returncode == 2
        one_error_line(result.stderr, "--no-csv keeps everything in a PostgreSQL database")
    assert fetch(api, ws, "--categories", "tag").returncode == 0
    files = ["--output-dir", str(ws.data), "--state-file", str(ws.state)]
    code, document = status_json(*files, "--db", pg_url)  # a mirror: the files are the truth
    assert code == 0
    assert document["categories"]["tag"]["rows"] == len(ws.csv("tag"))


def test_a_database_only_service_says_healthy_after_a_round_and_counts_its_rows(
    pg_url: str, tmp_path: Path
) -> None:
    with FakeOura(history(), token=TOKEN, today=TODAY) as api:
        service = ServiceProcess(api, tmp_path, "--db", pg_url, "--no-csv", "--interval-hours", "1")
        try:
            url = service.health_url
            service.wait_for(r"(^|\s)total: .* all categories ok")
            assert wait_until_healthy(url)
            with urllib.request.urlopen(url, timeout=5) as response:
                health = json.loads(response.read())
            with urllib.request.urlopen(url.replace("/health", "/metrics"), timeout=5) as answer:
                samples = parse_metrics(answer.read().decode())
        finally:
            service.stop(signal.SIGTERM)
            service.kill()
    assert not tmp_path.exists() or list(tmp_path.iterdir()) == []  # no file: all in the db
    assert health["healthy"] is True
    with psycopg.connect(pg_url) as conn:
        (rows,) = conn.execute("SELECT count(*) FROM heartrate").fetchone() or (0,)
    assert rows > 0
    assert health["categories"]["heartrate"]["rows"] == rows
    assert samples[("oura_stats_healthy", "")] == 1
    assert samples[("oura_stats_category_rows", '{category="heartrate"}')] == rows
    assert samples[("oura_stats_category_failing", '{category="daily_sleep"}')] == 0


def board_on(url: str, clock: list[dt.datetime]) -> Board:
    records = open_records(Path("unused"), Path("unused.json"), parse_target(url), no_csv=True)
    return Board(
        select(CATEGORIES), Path("unused"), Path("unused.json"), Policy(),
        clock=lambda: clock[0], records=records,
    )  # fmt: skip


def test_the_health_board_of_a_database_only_service_sees_its_data_go_stale(
    api: FakeOura, pg_url: str
) -> None:
    db_only_fetch(api, pg_url)
    clock = [dt.datetime.now(dt.UTC)]
    board = board_on(pg_url, clock)
    try:
        board.round_started()
        board.round_finished(0)
        assert board.health().status_code == 200
        clock[0] += dt.timedelta(days=3)  # no round since: the newest night is old news
        health = board.health()
        assert health.status_code == 503
        assert {v.name: v.verdict for v in health.view.categories}["daily_sleep"] == "stale"
    finally:
        board.close()


def test_the_health_board_names_an_unreachable_database_without_its_password() -> None:
    board = board_on("postgresql://oura:s3cretpw@127.0.0.1:1/oura", [dt.datetime.now(dt.UTC)])
    try:
        board.round_started()
        board.round_finished(0)
        health = board.health()
    finally:
        board.close()
    assert health.status_code == 503
    problem = health.snapshot.problem or ""
    assert "cannot connect to" in problem
    assert "s3cretpw" not in problem
