"""`oura-stats report`, `fetch --report`, `service --report` and `demo` from the command line:
what they write, and one clear line with exit 2 for every bad input."""

from __future__ import annotations

import csv
import datetime as dt
import logging
import sqlite3
from pathlib import Path

import pytest
from conftest import TOKEN, Workspace, fetch, fetch_args, run_cli

from oura_stats.demo.server import FakeOura
from oura_stats.report.build import refresh_report
from oura_stats.report.charts import SECTIONS

CHARTS = sum(len(s.charts) for s in SECTIONS)


def test_report_builds_one_page_from_fetched_csvs(api: FakeOura, ws: Workspace) -> None:
    assert fetch(api, ws).returncode == 0
    out = ws.root / "report.html"
    done = run_cli(
        "report",
        "--output-dir",
        str(ws.data),
        "--state-file",
        str(ws.state),
        "--out",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    assert f"wrote {out}" in done.stderr
    page = out.read_text(encoding="utf-8")
    assert page.count('<figure class="chart"') == CHARTS
    assert "Last sync: 20" in page and "(all categories ok)" in page
    assert "<script src" not in page and "<link" not in page and "@import" not in page
    assert done.stdout == ""


def test_report_last_days_shows_that_many_days(api: FakeOura, ws: Workspace) -> None:
    assert fetch(api, ws).returncode == 0
    out = ws.root / "r.html"
    done = run_cli("report", "--output-dir", str(ws.data), "--out", str(out), "--last", "10")
    assert done.returncode == 0, done.stderr
    assert "(10 days)" in out.read_text(encoding="utf-8")


def test_fetch_report_rewrites_the_page_after_the_run(api: FakeOura, ws: Workspace) -> None:
    out = ws.root / "report.html"
    done = fetch(api, ws, "--report", str(out))
    assert done.returncode == 0, done.stderr
    assert "report: " in done.stderr
    first = out.stat().st_ino
    assert out.read_text(encoding="utf-8").count('<figure class="chart"') == CHARTS
    assert sorted(p.name for p in ws.root.iterdir()) == sorted(
        ["data", "report.html", "state.json", "state.json.lock"]
    )  # no temporary file left behind
    api.clear_requests()
    assert fetch(api, ws, "--report", str(out)).returncode == 0
    assert out.stat().st_ino != first  # a new file replaced the old one


def test_service_report_rewrites_the_page_after_each_round(api: FakeOura, ws: Workspace) -> None:
    out = ws.root / "svc.html"
    args = fetch_args(api, ws, "--report", str(out), "--max-runs", "1")
    args[0] = "service"
    done = run_cli(*args)
    assert done.returncode == 0, done.stderr
    assert out.read_text(encoding="utf-8").count('<figure class="chart"') == CHARTS


def test_a_report_that_cannot_be_written_fails_the_round_but_keeps_the_data(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "daily_sleep.csv").write_text("id,day,score\n1,2024-01-01,80\n")
    ok = refresh_report(tmp_path / "data", tmp_path / "gone" / "r.html", tmp_path / "s.json")
    assert ok is False
    assert "could not write the report" in caplog.text
    assert (tmp_path / "data" / "daily_sleep.csv").is_file()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["report", "--output-dir", "/nonexistent/oura"], ["--output-dir", "not a directory"]),
        (["report", "--from", "2024-02-01", "--to", "2024-01-01"], ["before", "swap"]),
        (["report", "--from", "2024-02-01", "--last", "5"], ["--last"]),
        (["report", "--to", "2024-02-01", "--last", "5"], ["not allowed with"]),
        (["report", "--last", "0"], ["--last"]),
        (["report", "--from", "yesterday"], ["--from"]),
        (["demo", "--days", "0"], ["--days"]),
        (["demo", "--days", "100000"], ["--days"]),
    ],
)
def test_bad_report_and_demo_arguments_give_one_line_and_exit_2(
    args: list[str], words: list[str], tmp_path: Path
) -> None:
    done = run_cli(*args)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert all(word in done.stderr.strip().splitlines()[-1] for word in words), done.stderr


def test_report_on_a_directory_without_data_says_so(tmp_path: Path) -> None:
    done = run_cli("report", "--output-dir", str(tmp_path), "--out", str(tmp_path / "r.html"))
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"oura-stats: error: no data in {tmp_path}: check --output-dir and the dates, "
        "or collect some first with `oura-stats fetch`"
    )


def test_report_into_a_missing_directory_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "daily_sleep.csv").write_text("id,day,score\n1,2024-01-01,80\n")
    done = run_cli("report", "--output-dir", str(tmp_path), "--out", str(tmp_path / "no" / "r"))
    assert done.returncode == 2
    assert "no directory" in done.stderr


@pytest.mark.parametrize("bad", ["missing-dir/report.html", "."])
def test_fetch_report_to_an_impossible_path_exits_2_before_fetching(
    api: FakeOura, ws: Workspace, bad: str
) -> None:
    done = fetch(api, ws, "--report", str(ws.root / bad))
    assert done.returncode == 2
    assert "--report" in done.stderr and "Traceback" not in done.stderr
    assert api.requests == []


def test_demo_into_a_file_is_a_usage_error(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("")
    done = run_cli("demo", "--output-dir", str(target))
    assert done.returncode == 2
    assert "is a file" in done.stderr


def test_demo_token_never_reaches_the_output(tmp_path: Path) -> None:
    done = run_cli("demo", "--output-dir", str(tmp_path / "d"), "--days", "20")
    assert done.returncode == 0, done.stderr
    assert TOKEN not in done.stderr
    assert "demo-token" not in done.stderr
    for path in (tmp_path / "d").iterdir():
        assert b"demo-token" not in path.read_bytes(), path


def test_demo_serves_no_sample_from_the_future(tmp_path: Path) -> None:
    before = dt.datetime.now(dt.UTC)
    done = run_cli("demo", "--output-dir", str(tmp_path / "d"), "--days", "3")
    assert done.returncode == 0, done.stderr
    after = dt.datetime.now(dt.UTC)
    for name in ("heartrate", "ring_battery_level"):
        with (tmp_path / "d" / f"{name}.csv").open(newline="", encoding="utf-8") as handle:
            stamps = [dt.datetime.fromisoformat(row["timestamp"]) for row in csv.DictReader(handle)]
        assert stamps, name
        assert max(stamps) <= after, name
        assert max(stamps) >= before - dt.timedelta(hours=2), name  # still reaches the present


def test_demo_with_db_fills_the_database_mirror_too(tmp_path: Path) -> None:
    target = tmp_path / "demo.db"
    done = run_cli("demo", "--output-dir", str(tmp_path / "d"), "--days", "20", "--db", str(target))
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(target) as connection:
        (rows,) = connection.execute("SELECT count(*) FROM daily_activity").fetchone()
    with (tmp_path / "d" / "daily_activity.csv").open(encoding="utf-8") as handle:
        assert rows == 20 == sum(1 for _ in handle) - 1
