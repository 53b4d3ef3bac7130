"""Every option also from the environment, as OURA_STATS_<OPTION>: the settings of a
container or a Kubernetes ConfigMap, with the command line winning."""

from __future__ import annotations

import argparse
import datetime as dt
import socket
import time
from collections.abc import Iterator

import pytest
from conftest import TODAY, TOKEN, Workspace, one_error_line, run_cli

from oura_stats.cli.envopts import parsers, variable
from oura_stats.cli.main import build_parser
from oura_stats.demo.server import FakeOura


def settings(api: FakeOura, ws: Workspace, **more: str) -> dict[str, str]:
    """A whole fetch configured by variables alone."""
    return {
        "OURA_STATS_BASE_URL": api.url,
        "OURA_STATS_TOKEN": TOKEN,
        "OURA_STATS_OUTPUT_DIR": str(ws.data),
        "OURA_STATS_STATE_FILE": str(ws.state),
        **more,
    }


def collected(ws: Workspace) -> set[str]:
    return {p.stem for p in ws.data.glob("*.csv")}


@pytest.mark.parametrize("form", ["sleep daily_readiness", "sleep,daily_readiness", " Sleep , "])
def test_a_fetch_configured_only_by_variables(api: FakeOura, ws: Workspace, form: str) -> None:
    result = run_cli("fetch", env=settings(api, ws, OURA_STATS_CATEGORIES=form))
    assert result.returncode == 0, result.stderr
    expected = {"sleep"} if form.strip().startswith("Sleep") else {"sleep", "daily_readiness"}
    assert collected(ws) == expected


def test_the_command_line_wins_over_the_environment(api: FakeOura, ws: Workspace) -> None:
    env = settings(api, ws, OURA_STATS_CATEGORIES="sleep", OURA_STATS_LOOKBACK_DAYS="oops")
    result = run_cli("fetch", "--categories", "daily_readiness", "--lookback-days", "2", env=env)
    assert result.returncode == 0, result.stderr
    assert collected(ws) == {"daily_readiness"}


@pytest.mark.parametrize(("value", "silent"), [("1", True), ("yes", True), ("FALSE", False)])
def test_boolean_variables(api: FakeOura, ws: Workspace, value: str, silent: bool) -> None:
    env = settings(api, ws, OURA_STATS_CATEGORIES="sleep", OURA_STATS_QUIET=value)
    result = run_cli("fetch", env=env)
    assert result.returncode == 0, result.stderr
    assert (result.stderr == "") is silent, result.stderr


@pytest.mark.parametrize(
    ("variables", "fragments"),
    [
        ({"OURA_STATS_INTERVAL_HOURS": "often"}, ["OURA_STATS_INTERVAL_HOURS", "not a number"]),
        ({"OURA_STATS_MAX_RUNS": "0"}, ["OURA_STATS_MAX_RUNS", "at least 1"]),
        ({"OURA_STATS_SANDBOX": "maybe"}, ["OURA_STATS_SANDBOX", "1/0", "yes/no"]),
        ({"OURA_STATS_START_DATE": "2024-02-30"}, ["OURA_STATS_START_DATE", "invalid date"]),
        ({"OURA_STATS_LOG_LEVEL": "loud"}, ["OURA_STATS_LOG_LEVEL", "invalid choice"]),
        ({"OURA_STATS_VERBOSE": "1", "OURA_STATS_QUIET": "1"}, ["exclude each other"]),
    ],
)
def test_a_bad_variable_is_one_line_naming_it_and_exit_2(
    api: FakeOura, ws: Workspace, variables: dict[str, str], fragments: list[str]
) -> None:
    result = run_cli("service", env=settings(api, ws, **variables))
    assert result.returncode == 2
    one_error_line(result.stderr, *fragments)
    assert api.requests == []


def test_variables_of_other_commands_are_not_read(api: FakeOura, ws: Workspace) -> None:
    # a ConfigMap serves several commands: fetch has no --interval-hours
    env = settings(api, ws, OURA_STATS_CATEGORIES="sleep", OURA_STATS_INTERVAL_HOURS="often")
    assert run_cli("fetch", "-q", env=env).returncode == 0


def test_service_runs_once_and_waits_as_the_variables_say(api: FakeOura, ws: Workspace) -> None:
    env = settings(
        api,
        ws,
        OURA_STATS_CATEGORIES="sleep",
        OURA_STATS_MAX_RUNS="2",
        OURA_STATS_INTERVAL_HOURS="0.0003",
    )
    began = time.monotonic()
    result = run_cli("service", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("total:") == 2
    assert time.monotonic() - began < 60


@pytest.mark.parametrize(
    ("variables", "debug", "info"),
    [
        ({"OURA_STATS_LOG_LEVEL": "debug"}, True, True),
        ({"OURA_STATS_LOG_LEVEL": "WARNING"}, False, False),
        ({}, False, True),
        ({"OURA_STATS_VERBOSE": "on"}, True, True),
    ],
)
def test_log_level_from_the_environment(
    api: FakeOura, ws: Workspace, variables: dict[str, str], debug: bool, info: bool
) -> None:
    env = settings(api, ws, OURA_STATS_CATEGORIES="sleep", **variables)
    result = run_cli("fetch", env=env)
    assert result.returncode == 0, result.stderr
    assert ("oura_stats." in result.stderr) is debug  # verbose lines name their logger
    assert ("total:" in result.stderr) is info


def test_log_level_on_the_command_line_beats_the_environment(api: FakeOura, ws: Workspace) -> None:
    env = settings(api, ws, OURA_STATS_CATEGORIES="sleep", OURA_STATS_LOG_LEVEL="debug")
    assert run_cli("-q", "fetch", env=env).stderr == ""
    assert run_cli("fetch", "--log-level", "error", env=env).stderr == ""


def test_backfill_days_bounds_only_the_first_run(api: FakeOura, ws: Workspace) -> None:
    env = settings(api, ws, OURA_STATS_CATEGORIES="sleep", OURA_STATS_BACKFILL_DAYS="10")
    assert run_cli("fetch", env=env).returncode == 0
    days = [dt.date.fromisoformat(row["day"]) for row in ws.csv("sleep")]
    assert days and min(days) >= TODAY - dt.timedelta(days=11)
    requested = [r.params["start_date"] for r in api.requests_for("sleep")]
    assert min(requested) >= (TODAY - dt.timedelta(days=12)).isoformat()
    api.clear_requests()
    assert run_cli("fetch", env=env).returncode == 0  # incremental from the cursor
    later = [r.params["start_date"] for r in api.requests_for("sleep")]
    assert min(later) >= (TODAY - dt.timedelta(days=8)).isoformat()


def test_retries_bound_the_requests_of_a_failing_category(api: FakeOura, ws: Workspace) -> None:
    api.fail("sleep", 503, times=10)
    env = settings(api, ws, OURA_STATS_CATEGORIES="sleep", OURA_STATS_RETRIES="0")
    result = run_cli("fetch", "-q", env=env)
    assert result.returncode == 1
    assert len(api.requests_for("sleep")) == 1


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A server that accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def test_timeout_bounds_each_request(ws: Workspace, silent_server: str) -> None:
    env = {
        "OURA_STATS_TOKEN": TOKEN,
        "OURA_STATS_OUTPUT_DIR": str(ws.data),
        "OURA_STATS_STATE_FILE": str(ws.state),
        "OURA_STATS_CATEGORIES": "sleep",
    }
    args = ["fetch", "--base-url", silent_server, "--timeout", "0.5", "--retries", "0"]
    began = time.monotonic()
    result = run_cli(*args, env=env, timeout=60)
    assert result.returncode == 1
    assert "no answer within 0.5 s" in result.stderr
    assert time.monotonic() - began < 20


def test_existing_variables_keep_working(api: FakeOura, ws: Workspace) -> None:
    env = {
        "OURA_API_BASE_URL": api.url,
        "OURA_PERSONAL_ACCESS_TOKEN": TOKEN,
        "OURA_STATS_DB": str(ws.root / "oura.db"),
    }
    args = ["--output-dir", str(ws.data), "--state-file", str(ws.state), "--categories", "sleep"]
    result = run_cli("fetch", *args, env=env)
    assert result.returncode == 0, result.stderr
    assert (ws.root / "oura.db").is_file()


def every_option() -> list[tuple[str, str]]:
    """(command, variable) for every long option of every command."""
    found = []
    for parser in parsers(build_parser()):
        command = parser.prog.removeprefix("oura-stats").strip()
        found += [(command, v) for a in parser._actions if (v := variable(a))]
    return found


def test_every_option_of_every_command_has_a_variable() -> None:
    assert len(every_option()) > 100
    assert ("service", "OURA_STATS_INTERVAL_HOURS") in every_option()
    assert ("db sync", "OURA_STATS_DB") in every_option()


def test_help_names_each_variable_beside_its_option() -> None:
    by_command: dict[str, list[str]] = {}
    for command, name in every_option():
        by_command.setdefault(command, []).append(name)
    for command, names in by_command.items():
        text = run_cli(*command.split(), "--help").stdout
        options = text[text.index("options:") :]
        for name in names:
            assert name in " ".join(options.split()), (command, name)


def test_a_parser_the_help_action_is_no_option() -> None:
    help_action = next(a for a in build_parser()._actions if isinstance(a, argparse._HelpAction))
    assert variable(help_action) is None


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        (
            {"OURA_STATS_START_DATE": "2024-03-02", "OURA_STATS_END_DATE": "2024-03-01"},
            "--end-date (OURA_STATS_END_DATE) 2024-03-01 is before --start-date "
            "(OURA_STATS_START_DATE)",
        ),
        ({"OURA_STATS_DB": "sqlite://oura.db"}, "--db (OURA_STATS_DB) sqlite://oura.db"),
    ],
)
def test_a_setting_from_a_variable_is_named_by_it_in_errors(
    api: FakeOura, ws: Workspace, variables: dict[str, str], named: str
) -> None:
    result = run_cli("fetch", env=settings(api, ws, **variables))
    assert result.returncode == 2
    one_error_line(result.stderr, named)
    assert api.requests == []
