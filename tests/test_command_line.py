"""The command line as people type it: list forms, -v/-q anywhere, --exclude, Ctrl-C, help."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import TOKEN, Workspace, fetch, fetch_args, fetch_interrupted, run_cli

from oura_stats.api.categories import CATEGORIES
from oura_stats.cli.main import build_parser
from oura_stats.demo.server import FakeOura
from oura_stats.errors import EXIT_INTERRUPTED

ALL = len(CATEGORIES)


def collected(ws: Workspace) -> set[str]:
    return {p.stem for p in ws.data.glob("*.csv")}


@pytest.mark.parametrize(
    "form",
    [
        ["--categories", "sleep", "daily_readiness"],
        ["--categories", "sleep,daily_readiness"],
        ["--categories", "sleep", "--categories", "daily_readiness"],
        ["--categories", "SLEEP", "Daily_Readiness"],
        ["--categories", "sleep, daily_readiness", "--categories", "sleep"],
    ],
    ids=["spaces", "commas", "repeated", "case", "mixed"],
)
def test_categories_accept_space_comma_and_repeated_forms(
    api: FakeOura, ws: Workspace, form: list[str]
) -> None:
    # The list comes before --output-dir: the space-separated form must not swallow it.
    args = ["fetch", "--base-url", api.url, "--token", TOKEN, *form]
    args += ["--output-dir", str(ws.data), "--state-file", str(ws.state)]
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    assert collected(ws) == {"sleep", "daily_readiness"}
    # read to bound a first run's history, and to name the account the files come from
    planning = {"ring_configuration", "personal_info"}
    assert {r.category for r in api.requests} - planning == {"sleep", "daily_readiness"}


def test_exclude_leaves_the_named_categories_out(api: FakeOura, ws: Workspace) -> None:
    result = fetch(api, ws, "--exclude", "heartrate", "RING_BATTERY_LEVEL,tag", "-q")
    assert result.returncode == 0, result.stderr
    assert collected(ws) == {c.name for c in CATEGORIES} - {
        "heartrate",
        "ring_battery_level",
        "tag",
    }
    assert not {"heartrate", "ring_battery_level", "tag"} & {r.category for r in api.requests}


def test_exclude_applies_after_categories(api: FakeOura, ws: Workspace) -> None:
    result = fetch(api, ws, "--categories", "sleep", "daily_sleep", "--exclude", "sleep")
    assert result.returncode == 0, result.stderr
    assert collected(ws) == {"daily_sleep"}


def test_excluding_every_category_is_a_usage_error(api: FakeOura, ws: Workspace) -> None:
    result = fetch(api, ws, "--categories", "sleep", "--exclude", "sleep")
    assert result.returncode == 2
    assert "--exclude leaves no category to collect" in result.stderr
    assert "Traceback" not in result.stderr
    assert api.requests == []


def test_unknown_excluded_category_is_a_usage_error(api: FakeOura, ws: Workspace) -> None:
    result = fetch(api, ws, "--exclude", "sleeep")
    assert result.returncode == 2
    assert "unknown category 'sleeep'" in result.stderr


def test_status_and_service_take_the_same_list_forms(api: FakeOura, ws: Workspace) -> None:
    assert fetch(api, ws, "--categories", "sleep", "daily_sleep", "-q").returncode == 0
    paths = ["--output-dir", str(ws.data), "--state-file", str(ws.state)]
    status = run_cli("status", "--categories", "SLEEP", "daily_sleep", *paths, "--json")
    assert status.returncode == 0, status.stderr
    assert '"sleep"' in status.stdout and '"daily_sleep"' in status.stdout
    assert '"heartrate"' not in status.stdout
    judged = run_cli("status", "--stale-categories", "sleep", "daily_sleep", *paths)
    assert judged.returncode == 0, judged.stderr
    service = run_cli(
        "service", "--base-url", api.url, "--token", TOKEN, "--max-runs", "1",
        "--categories", "daily_sleep", "sleep", "--exclude", "sleep",
        "--stale-categories", "sleep", "daily_sleep", *paths,
    )  # fmt: skip
    assert service.returncode == 0, service.stderr
    assert "daily_sleep" in service.stderr
    assert "\nsleep " not in service.stderr


@pytest.mark.parametrize("where", ["before", "after"])
def test_quiet_and_verbose_work_before_or_after_the_command(
    api: FakeOura, ws: Workspace, where: str
) -> None:
    args = fetch_args(api, ws, "--categories", "daily_sleep")
    quiet = run_cli("-q", *args) if where == "before" else run_cli(*args, "-q")
    assert quiet.returncode == 0
    assert quiet.stderr == ""
    loud = run_cli("--verbose", *args) if where == "before" else run_cli(*args, "--verbose")
    assert loud.returncode == 0
    assert "oura_stats" in loud.stderr  # debug lines carry the logger name


def test_quiet_and_verbose_together_are_a_usage_error(api: FakeOura, ws: Workspace) -> None:
    result = run_cli("-v", *fetch_args(api, ws), "-q")
    assert result.returncode == 2
    assert "exclude each other" in result.stderr


def test_ctrl_c_during_fetch_exits_130_and_keeps_files_whole(tmp_path: Path) -> None:
    code, stderr = fetch_interrupted(tmp_path)
    assert code == EXIT_INTERRUPTED == 130
    assert "received SIGINT; stopping" in stderr
    assert "interrupted" in stderr
    assert "Traceback" not in stderr


def all_parsers() -> dict[str, object]:
    """Every command and `auth` action, by its command line."""
    found: dict[str, object] = {"oura-stats": build_parser()}
    pending = [("oura-stats", build_parser())]
    while pending:
        name, parser = pending.pop()
        for action in parser._actions:
            choices = getattr(action, "choices", None)
            if isinstance(choices, dict):
                for sub_name, sub in choices.items():
                    found[f"{name} {sub_name}"] = sub
                    pending.append((f"{name} {sub_name}", sub))
    return found


HELPED = sorted(all_parsers())


def test_every_command_is_covered() -> None:
    assert {"oura-stats fetch", "oura-stats categories", "oura-stats auth logout"} <= set(HELPED)
    assert len(HELPED) == 22  # with auth import and db export


@pytest.mark.parametrize("command", HELPED)
def test_every_help_has_a_description_examples_environment_and_ends_with_exit_codes(
    command: str,
) -> None:
    result = run_cli(*command.split()[1:], "--help")
    assert result.returncode == 0
    text = result.stdout
    assert "examples:\n  oura-stats " in text
    assert "environment:\n  OURA_STATS_<OPTION>" in text
    tail = text[text.rindex("exit status:") :]
    assert text.index("examples:") < text.index("exit status:")
    codes = [line.split()[0] for line in tail.splitlines()[1:] if line[:3].strip().isdigit()]
    assert codes[0] == "0" and "2" in codes and codes[-1] == "130"
    # a description: the text between the usage and the options, not just the usage line
    usage_end = text.index("\n\n")
    assert text[usage_end:].lstrip().split("\n")[0][:1].isupper(), text[:400]
