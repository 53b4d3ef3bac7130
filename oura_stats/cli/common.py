"""Options shared by several commands, each defined once."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, TypeAlias

from oura_stats.api.categories import CATEGORIES, select
from oura_stats.cli.argtypes import positive_float
from oura_stats.monitor.freshness import DAILY_BY_NATURE, DEFAULT_STALE_HOURS, NEVER_STALE, Policy

if TYPE_CHECKING:  # subscriptable only for the type checker
    Subparsers: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]
else:
    Subparsers = argparse._SubParsersAction


def add_output_options(parser: argparse.ArgumentParser) -> None:
    """-v/-q, which `cli.main` reads from every command's namespace."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-v", "--verbose", action="store_true", help="debug logging, tracebacks")
    group.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")


def output_parent() -> argparse.ArgumentParser:
    """A parent parser holding -v/-q, for `parents=[...]`."""
    parent = argparse.ArgumentParser(add_help=False)
    add_output_options(parent)
    return parent


def add_freshness_options(parser: argparse.ArgumentParser) -> None:
    """--stale-hours and --stale-categories, shared by `status` and `service --health-port`."""
    parser.add_argument(
        "--stale-hours",
        type=positive_float,
        default=DEFAULT_STALE_HOURS,
        help=f"a category is stale after this many hours without new data "
        f"({DEFAULT_STALE_HOURS:g})",
    )
    parser.add_argument(
        "--stale-categories",
        metavar="LIST",
        default=",".join(DAILY_BY_NATURE),
        help="comma-separated categories that can be stale, or 'all'; sparse ones such as "
        f"tag, workout or vO2_max are not judged by default ({','.join(DAILY_BY_NATURE)})",
    )


def policy_from_args(args: argparse.Namespace) -> Policy:
    """The freshness policy given by --stale-hours and --stale-categories."""
    text = str(args.stale_categories).strip()
    if text.lower() == "all":
        judged = frozenset(c.name for c in CATEGORIES) - NEVER_STALE
    else:
        judged = frozenset(c.name for c in select([text]))
    return Policy(stale_hours=args.stale_hours, judged=judged)
