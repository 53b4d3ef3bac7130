"""`oura-stats categories`: the categories, their kind and key."""

from __future__ import annotations

import argparse
import sys

from oura_stats.api.categories import CATEGORIES
from oura_stats.cli.common import Subparsers
from oura_stats.cli.helptext import SIMPLE_EXIT, epilog

CATEGORIES_EPILOG = epilog(
    [
        "oura-stats categories",
        "oura-stats fetch --categories sleep daily_readiness   # names as listed here",
    ],
    SIMPLE_EXIT,
    notes="kind: daily (documents by day), series (timestamped samples), single (one "
    "document),\nundated (a list without dates). key: the columns that identify a row.",
)


def add_categories_command(commands: Subparsers, parents: list[argparse.ArgumentParser]) -> None:
    categories = commands.add_parser(
        "categories",
        parents=parents,
        help="list the categories, their kind and key",
        description="List every category oura-stats collects (one CSV file each), with its "
        "kind and the key columns that identify a row. The names are those --categories, "
        "--exclude and --stale-categories accept.",
        epilog=CATEGORIES_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    categories.set_defaults(handler=run_categories)


def run_categories(_args: argparse.Namespace) -> int:
    width = max(len(c.name) for c in CATEGORIES)
    for category in CATEGORIES:
        sys.stdout.write(
            f"{category.name:<{width}}  {category.kind.value:<8}  key: {','.join(category.key)}\n"
        )
    return 0
