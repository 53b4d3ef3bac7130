"""Options shared by several commands, each defined once, and how a command names its handler.

Building the parser imports only this side of the command line: argparse, the option
definitions and the few constants they show. A command's handler, and all it needs, is
imported when that command runs (`run_by`).
"""

from __future__ import annotations

import argparse
import importlib
import logging
from argparse import SUPPRESS
from typing import TYPE_CHECKING, Any, TypeAlias

from oura_stats.api.categories import Category, select
from oura_stats.cli.argtypes import positive_float
from oura_stats.db.target import Target, usable_target
from oura_stats.errors import ConfigError
from oura_stats.monitor.judged import DAILY_BY_NATURE, DEFAULT_STALE_HOURS

if TYPE_CHECKING:  # subscriptable only for the type checker
    Subparsers: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]
else:
    Subparsers = argparse._SubParsersAction

LIST_FORMS = "space- or comma-separated, or repeated; case-insensitive"


LOG_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}


def add_output_options(parser: argparse.ArgumentParser) -> None:
    """-v/-q/--log-level, accepted before the command, after it and after an action.

    Each is absent from the namespace unless given, so that a later parser's defaults
    cannot undo what an earlier one was given; `log_level` settles them.
    """
    group = parser.add_mutually_exclusive_group()
    add = group.add_argument
    add("-v", "--verbose", action="store_true", default=SUPPRESS, help="debug logging, tracebacks")
    add("-q", "--quiet", action="store_true", default=SUPPRESS, help="only warnings and errors")
    add(
        "--log-level",
        type=str.lower,
        choices=tuple(LOG_LEVELS),
        default=SUPPRESS,
        metavar="LEVEL",
        help="debug, info, warning or error (info); -v is debug, -q warning",
    )


def log_level(args: argparse.Namespace) -> int:
    """The level -v, -q and --log-level ask for (the command line's over the environment's);
    sets `args.verbose` and `args.quiet` to match."""
    from_environment: dict[str, str] = getattr(args, "from_environment", {})

    def asked(environment: bool) -> dict[str, int]:
        levels = {
            "-v/--verbose": logging.DEBUG if getattr(args, "verbose", False) else None,
            "-q/--quiet": logging.WARNING if getattr(args, "quiet", False) else None,
            "--log-level": LOG_LEVELS.get(getattr(args, "log_level", "")),
        }
        dests = {"-v/--verbose": "verbose", "-q/--quiet": "quiet", "--log-level": "log_level"}
        return {
            name: level
            for name, level in levels.items()
            if level is not None and (dests[name] in from_environment) == environment
        }

    chosen = asked(environment=False) or asked(environment=True)
    if len(set(chosen.values())) > 1:
        raise ConfigError(f"{' and '.join(chosen)} exclude each other; choose one")
    level = next(iter(chosen.values()), logging.INFO)
    args.verbose, args.quiet = level <= logging.DEBUG, level >= logging.WARNING
    return level


def output_parent() -> argparse.ArgumentParser:
    """A parent parser holding -v/-q/--log-level, for `parents=[...]`."""
    parent = argparse.ArgumentParser(add_help=False)
    add_output_options(parent)
    return parent


def add_category_option(
    parser: argparse.ArgumentParser, flag: str, help_text: str, *, default: str | None = None
) -> None:
    """An option naming categories: `--x a b`, `--x a,b` and `--x a --x b` alike."""
    shown = f" ({default})" if default else ""
    parser.add_argument(
        flag,
        action="extend",
        nargs="+",
        metavar="NAME",
        help=f"{help_text}; {LIST_FORMS}{shown}",
    )


def collected_categories(names: list[str] | None, excluded: list[str] | None) -> list[Category]:
    """--categories minus --exclude; excluding every category is a usage error."""
    chosen = select(names)
    if not excluded:
        return chosen
    dropped = {c.name for c in select(excluded)}
    kept = [c for c in chosen if c.name not in dropped]
    if not kept:
        raise ConfigError(
            "--exclude leaves no category to collect; exclude fewer (see `oura-stats categories`)"
        )
    return kept


def add_freshness_options(parser: argparse.ArgumentParser) -> None:
    """--stale-hours and --stale-categories, shared by `status` and `service --health-port`."""
    parser.add_argument(
        "--stale-hours",
        type=positive_float,
        default=DEFAULT_STALE_HOURS,
        help=f"a category is stale after this many hours without new data "
        f"({DEFAULT_STALE_HOURS:g})",
    )
    add_category_option(
        parser,
        "--stale-categories",
        "categories that can be stale, or 'all'; sparse ones such as tag, workout or "
        "vO2_max are not judged by default",
        default=",".join(DAILY_BY_NATURE),
    )


def add_command(commands: Subparsers, name: str, **options: Any) -> argparse.ArgumentParser:
    """A command's parser with the settings every command shares: help laid out as written
    (examples, exit codes) and no abbreviated options."""
    parser: argparse.ArgumentParser = commands.add_parser(
        name, formatter_class=argparse.RawDescriptionHelpFormatter, allow_abbrev=False, **options
    )
    return parser


def run_by(parser: argparse.ArgumentParser, reference: str) -> None:
    """The command `parser` parses runs the function `reference` names (`module:function`)."""
    parser.set_defaults(handler=Handler(reference))


class Handler:
    """A command's handler, imported when the command runs rather than when the parser is
    built: `fetch` then never imports what `report`, `demo` or a study needs."""

    def __init__(self, reference: str) -> None:
        self.reference = reference

    def __call__(self, args: argparse.Namespace) -> int:
        code: int = imported(self.reference)(args)
        return code

    def __repr__(self) -> str:
        return f"Handler({self.reference!r})"


def imported(reference: str) -> Any:
    """The function `module:function` names, its module imported now if it was not yet."""
    module, _, name = reference.partition(":")
    return getattr(importlib.import_module(module), name)


def db_target(args: argparse.Namespace) -> Target | None:
    """The parsed --db, its driver checked (a missing driver is a usage error)."""
    return usable_target(args.db) if args.db else None
