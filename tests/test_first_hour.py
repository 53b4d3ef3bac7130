"""The small frictions of a first hour with the tool: pipes, flags in odd places, help that
says what the command reads, messages that name the fix."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import (
    TODAY,
    TOKEN,
    Workspace,
    fetch,
    fetch_args,
    fetch_interrupted,
    one_error_line,
    run_cli,
)

from oura_stats.demo.history import make_history
from oura_stats.demo.server import FakeOura

# pipes -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["categories"],
        ["categories", "--columns"],
        ["db", "schema", "--db", "x.db"],
        ["fetch", "--help"],
        ["status", "--json"],
    ],
    ids=" ".join,
)
def test_output_into_a_closed_pipe_ends_quietly(tmp_path: Path, args: list[str]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OURA_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "oura_stats", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env=env,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # as `| head -1` does once it has its line
    with process.stderr:
        stderr = process.stderr.read().decode()
    process.wait(timeout=60)
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr
    assert "Exception ignored" not in stderr, stderr


# -q and -v anywhere ---------------------------------------------------------------------------


def test_quiet_after_db_is_obeyed(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    args = ["--db", str(tmp_path / "o.db"), "--output-dir", str(tmp_path / "data")]
    args += ["--state-file", str(tmp_path / "s.json")]
    loud = run_cli("db", "sync", *args)
    assert loud.returncode == 0 and "loaded" in loud.stderr, loud.stderr
    quiet = run_cli("db", "-q", "sync", *args)
    assert quiet.returncode == 0 and quiet.stderr == "", quiet.stderr


def test_quiet_and_verbose_after_auth(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path)}
    for flag in ("-q", "-v"):
        result = run_cli("auth", flag, "status", env=env)
        assert result.returncode == 2
        assert "not logged in" in result.stderr, result.stderr
        assert "unrecognized" not in result.stderr


def test_every_command_and_action_takes_the_output_options() -> None:
    from oura_stats.cli.envopts import parsers
    from oura_stats.cli.main import build_parser

    for parser in parsers(build_parser()):
        options = {s for action in parser._actions for s in action.option_strings}
        assert {"-q", "-v", "--log-level"} <= options, parser.prog


# help ------------------------------------------------------------------------------------------


def environment_section(*command: str) -> str:
    text = run_cli(*command, "--help").stdout
    return text[text.index("environment:") : text.index("exit status:")]


def test_auth_login_help_lists_the_client_and_portal_variables() -> None:
    section = environment_section("auth", "login")
    for name in ("OURA_CLIENT_ID", "OURA_CLIENT_SECRET", "OURA_PORTAL"):
        assert name in section
    assert "OURA_PERSONAL_ACCESS_TOKEN" not in section  # a login makes tokens, reads none
    assert "OURA_STATS_DB" in section  # `auth login --db` keeps the login in a database


@pytest.mark.parametrize("command", [["categories"], ["report"]])
def test_help_of_commands_without_a_token_lists_none(command: list[str]) -> None:
    section = environment_section(*command)
    assert "TOKEN" not in section and "CLIENT" not in section
    assert "OURA_STATS_<OPTION>" in section


def test_fetch_help_lists_the_token_variables() -> None:
    section = environment_section("fetch")
    assert "OURA_PERSONAL_ACCESS_TOKEN" in section and "OURA_STATS_DB" in section


def test_categories_documents_only_the_exit_codes_it_can_return() -> None:
    text = run_cli("categories", "--help").stdout
    tail = text[text.index("exit status:") :]
    codes = [line.split()[0] for line in tail.splitlines()[1:] if line.strip()]
    assert codes == ["0", "2", "130"]


def test_an_unknown_option_shows_the_commands_usage(tmp_path: Path) -> None:
    result = run_cli("fetch", "--bogus")
    assert result.returncode == 2
    assert "usage: oura-stats fetch" in result.stderr
    assert "unrecognized arguments: --bogus" in result.stderr


def test_a_near_miss_category_suggests_the_right_one(api: FakeOura, ws: Workspace) -> None:
    result = fetch(api, ws, "--categories", "heart_rate")
    assert result.returncode == 2
    one_error_line(result.stderr, "unknown category 'heart_rate'", "did you mean heartrate?")


def test_state_file_under_a_file_names_that_file(api: FakeOura, ws: Workspace) -> None:
    blocker = ws.root / "afile"
    blocker.write_text("x")
    args = fetch_args(api, ws)
    args[args.index("--state-file") + 1] = str(blocker / "x.json")
    result = run_cli(*args)
    assert result.returncode == 2
    one_error_line(result.stderr, f"{blocker} is a file")
    assert api.requests == []


# the run's summary and Ctrl-C -----------------------------------------------------------------


def summary_seconds(stderr: str, category: str) -> float:
    match = re.search(rf"^{category}\s.*?([\d.]+) s  ", stderr, flags=re.MULTILINE)
    assert match, stderr
    return float(match.group(1))


def test_summary_shows_each_categorys_own_duration(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    with FakeOura(make_history(20, end=TODAY), token=TOKEN, today=TODAY, latency=1.0) as api:
        start = (TODAY - dt.timedelta(days=5)).isoformat()
        extra = ["--categories", "daily_readiness", "sleep", "--concurrency", "1"]
        result = fetch(api, ws, *extra, "--start-date", start)
    assert result.returncode == 0, result.stderr
    # one request each, one after the other: sleep waited a second for daily_readiness
    assert summary_seconds(result.stderr, "daily_readiness") >= 0.9
    assert 0.9 <= summary_seconds(result.stderr, "sleep") < 1.9


def test_ctrl_c_calls_no_category_that_did_not_start_failed(tmp_path: Path) -> None:
    code, stderr = fetch_interrupted(tmp_path, after=4)
    assert code == 130
    rows = [line for line in stderr.splitlines() if re.match(r"^\w+\s+\d+ new", line)]
    assert rows, stderr
    assert not [line for line in rows if "FAILED" in line], stderr
    assert [line for line in rows if line.endswith("not started")], stderr
    total = next(line for line in stderr.splitlines() if line.startswith("total:"))
    assert "failed" not in total and "all categories ok" not in total, total
    assert "stopped" in total, total


# status ----------------------------------------------------------------------------------------


def test_status_after_an_interrupted_backfill_says_it_paused(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    ws.data.mkdir()
    oldest = TODAY.replace(year=TODAY.year - 3)
    paused = TODAY.replace(year=TODAY.year - 2)
    (ws.data / "sleep.csv").write_text(
        f"id,day\na,{oldest.isoformat()}\nb,{paused.isoformat()}\n", encoding="utf-8"
    )
    state = {
        "version": 1,
        "categories": {
            "sleep": {"cursor": paused.isoformat(), "complete_until": paused.isoformat()}
        },
        "runs": [],
    }
    ws.state.write_text(json.dumps(state), encoding="utf-8")
    result = run_cli(
        "status",
        "--output-dir",
        str(ws.data),
        "--state-file",
        str(ws.state),
        "--categories",
        "sleep",
        "daily_sleep",
    )
    done = (paused - oldest).days + 1
    total = (TODAY - oldest).days + 1
    assert f"backfill paused at {paused} ({done:,} of {total:,} days)" in result.stdout, (
        result.stdout
    )
    assert "no new data for" not in result.stdout
    daily_sleep = next(
        line for line in result.stdout.splitlines() if line.startswith("daily_sleep")
    )
    assert "not collected yet" in daily_sleep, result.stdout
