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
    assert "oura-stats fetch" in main_job
    assert "pytest" in tests
    assert tests in ci
