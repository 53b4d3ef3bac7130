"""Bad input never produces a traceback: one line naming the problem and the fix, exit 2."""

from __future__ import annotations

import sys

import pytest
from conftest import TOKEN, Workspace, fetch, run_cli

from oura_stats.api.categories import CATEGORIES
from oura_stats.demo.server import FakeOura
from oura_stats.store.lock import RunLock


def assert_one_line_error(stderr: str, *fragments: str) -> None:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert "Traceback" not in stderr
    assert any(all(f in line for f in fragments) for line in lines), stderr


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--categories", "sleep,bogus"], ["unknown category 'bogus'", "heartrate"]),
        (["--start-date", "2024-13-01"], ["invalid date '2024-13-01'", "YYYY-MM-DD"]),
        (["--start-date", "2024-02-30"], ["invalid date '2024-02-30'"]),
        (["--end-date", "yesterday"], ["invalid date 'yesterday'"]),
        (["--start-date", "2024-03-02", "--end-date", "2024-03-01"], ["before --start-date"]),
        (["--lookback-days", "-1"], ["must not be negative"]),
        (["--concurrency", "0"], ["must be at least 1"]),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    api: FakeOura, ws: Workspace, args: list[str], fragments: list[str]
) -> None:
    result = fetch(api, ws, *args)
    assert result.returncode == 2
    assert_one_line_error(result.stderr, *fragments)
    assert api.requests == []


def test_missing_token_says_how_to_log_in(ws: Workspace) -> None:
    result = run_cli("fetch", "--output-dir", str(ws.data), "--state-file", str(ws.state))
    assert result.returncode == 2
    assert_one_line_error(result.stderr, "no access token", "oura-stats auth login", "--token")


def test_token_from_environment_is_used(api: FakeOura, ws: Workspace) -> None:
    for variable in ("OURA_PERSONAL_ACCESS_TOKEN", "OURA_ACCESS_TOKEN"):
        result = run_cli(
            "fetch",
            "--base-url",
            api.url,
            "--categories",
            "personal_info",
            "--output-dir",
            str(ws.data),
            "--state-file",
            str(ws.state),
            env={variable: TOKEN},
        )
        assert result.returncode == 0, result.stderr


def test_output_dir_that_is_a_file_is_a_configuration_error(api: FakeOura, ws: Workspace) -> None:
    ws.root.joinpath("file").write_text("x")
    result = fetch(api, ws, "--output-dir", str(ws.root / "file"))
    assert result.returncode == 2
    assert_one_line_error(result.stderr, "is a file", "--output-dir")


def test_output_dir_that_cannot_be_created_is_a_configuration_error(
    api: FakeOura, ws: Workspace
) -> None:
    ws.root.joinpath("file").write_text("x")
    result = fetch(api, ws, "--output-dir", str(ws.root / "file" / "sub"))
    assert result.returncode == 2
    assert_one_line_error(result.stderr, "cannot write to output directory")


def test_corrupt_state_file_is_never_silently_reset(api: FakeOura, ws: Workspace) -> None:
    ws.state.write_text("{not json")
    result = fetch(api, ws, "--categories", "daily_sleep")
    assert result.returncode == 2
    assert_one_line_error(result.stderr, "is corrupt", "--reset-state")
    assert ws.state.read_text() == "{not json"
    assert api.requests == []
    reset = fetch(api, ws, "--categories", "daily_sleep", "--reset-state")
    assert reset.returncode == 0, reset.stderr


def test_state_file_of_another_version_is_refused(api: FakeOura, ws: Workspace) -> None:
    ws.state.write_text('{"version": 99, "categories": {}}')
    result = fetch(api, ws)
    assert result.returncode == 2
    assert_one_line_error(result.stderr, "version 99")


def test_second_run_while_one_holds_the_lock_exits_with_a_clear_message(
    api: FakeOura, ws: Workspace
) -> None:
    ws.data.mkdir(parents=True)
    with RunLock.for_run(ws.data, ws.state):
        result = fetch(api, ws, "--categories", "daily_sleep")
    assert result.returncode == 1
    assert_one_line_error(result.stderr, "another oura-stats run", "try again")
    assert api.requests == []


def test_verbose_shows_the_traceback_for_errors(ws: Workspace) -> None:
    ws.state.write_text("[]")
    result = run_cli(
        "fetch",
        "-v",
        "--token",
        TOKEN,
        "--output-dir",
        str(ws.data),
        "--state-file",
        str(ws.state),
    )
    assert result.returncode == 2
    assert "Traceback" in result.stderr


def test_quiet_run_prints_nothing_when_all_is_well(api: FakeOura, ws: Workspace) -> None:
    result = fetch(api, ws, "-q", "--categories", "daily_sleep")
    assert result.returncode == 0
    assert result.stderr == ""
    assert result.stdout == ""


def test_categories_lists_every_category_with_kind_and_key() -> None:
    result = run_cli("categories")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert len(lines) == len(CATEGORIES) == 19
    assert any(
        line.split()[:2] == ["heartrate", "series"] and "timestamp,source" in line for line in lines
    )


def test_module_entry_points_and_version() -> None:
    import subprocess

    for module in ("oura_stats", "oura_stats.cli"):
        result = subprocess.run(
            [sys.executable, "-m", module, "--version"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0
        assert result.stdout.startswith("oura-stats ")


def test_unknown_command_is_a_usage_error() -> None:
    result = run_cli("fetchh")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr
