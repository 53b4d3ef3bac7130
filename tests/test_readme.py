"""The README cannot drift from the CLI: every command and option it has is documented."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from oura_stats.cli.main import build_parser

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def test_every_command_and_option_is_in_the_readme() -> None:
    missing = []
    for name, command in subparsers(build_parser()).items():
        if f"oura-stats {name}" not in README:
            missing.append(name)
        for action in command._actions:
            for option in action.option_strings:
                if option.startswith("--") and option != "--help" and option not in README:
                    missing.append(f"{name} {option}")
        for sub_name, sub in subparsers(command).items():
            if f"oura-stats {name} {sub_name}" not in README:
                missing.append(f"{name} {sub_name}")
            for action in sub._actions:
                for option in action.option_strings:
                    if option.startswith("--") and option != "--help" and option not in README:
                        missing.append(f"{name} {sub_name} {option}")
    assert missing == []


def test_readme_set_up_commands_are_the_ones_ci_runs() -> None:
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text()
    commands = re.findall(r"```sh\n(python -m pip install[^\n]*)\n```", README)
    assert len(commands) == 2
    main_job, tests = commands
    assert "oura-stats demo" in main_job
    assert "pytest" in tests
    assert tests in ci


def test_quick_start_creates_a_virtual_environment_before_installing() -> None:
    quick_start = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)\n```", quick_start, flags=re.DOTALL)
    assert "python3 -m venv .venv" in blocks[0] and ". .venv/bin/activate" in blocks[0]
    assert blocks[1].startswith("python -m pip install") and "oura-stats demo" in blocks[1]
    before_demo = quick_start.split(blocks[1])[0].rsplit("```sh", 1)[0]
    assert "offline" in before_demo and "no account" in before_demo
    sandbox = quick_start.index("--sandbox")
    assert "internet" in quick_start[sandbox - 200 : sandbox]  # said before the sandbox command


def cron_jobs(text: str) -> list[str]:
    block = re.findall(r"```cron\n(.*?)```", text, flags=re.DOTALL)[0]
    return [line for line in block.splitlines() if line and not line.startswith(("#", "MAILTO"))]


def test_readme_cron_line_is_the_one_in_docs_cron_md() -> None:
    guide = (Path(__file__).resolve().parent.parent / "docs" / "cron.md").read_text()
    (readme_job,) = cron_jobs(README.split("### cron, every two hours", 1)[1])
    (guide_job,) = cron_jobs(guide)
    assert readme_job.split() == guide_job.split()


def test_cron_recipe_creates_its_directory_before_entering_it() -> None:
    guide = (Path(__file__).resolve().parent.parent / "docs" / "cron.md").read_text()
    for job in cron_jobs(guide) + re.findall(r"^0 9 .*$", guide, flags=re.MULTILINE):
        command = job.split(None, 5)[5]
        assert command.startswith('mkdir -p "$HOME/oura" && cd "$HOME/oura" && '), job


def test_quick_start_begins_with_clone_and_cd() -> None:
    quick = README[README.index("## Quick start") :]
    first = re.search(r"```sh\n(.*?)```", quick, flags=re.DOTALL)
    assert first is not None
    lines = first.group(1).splitlines()
    assert lines[0].startswith("git clone ") and lines[0].endswith("&& cd oura-stats")
