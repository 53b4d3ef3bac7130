"""The options of `oura-stats categories` (the handler is in `categories.py`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from oura_stats.cli.common import Subparsers, add_command, run_by
from oura_stats.cli.helptext import CATEGORIES_EXIT, epilog

CATEGORIES_EPILOG = epilog(
    [
        "oura-stats categories",
        "oura-stats categories --columns sleep       # sleep.csv's columns: type, unit, meaning",
        "oura-stats categories --columns --markdown > docs/columns.md",
        "oura-stats categories --columns sleep --output-dir ~/oura   # with fields added since",
        "oura-stats fetch --categories sleep daily_readiness   # names as listed here",
    ],
    CATEGORIES_EXIT,
    notes="kind: daily (documents by day), series (timestamped samples), single (one "
    "document),\nundated (a list without dates). key: the columns that identify a row.",
)
ALL = "*all*"


def add_categories_command(commands: Subparsers, parents: list[argparse.ArgumentParser]) -> None:
    categories = add_command(
        commands,
        "categories",
        parents=parents,
        help="list the categories, their kind and key; --columns: the data dictionary",
        description="List every category oura-stats collects (one CSV file each), with its "
        "kind and the key columns that identify a row. The names are those --categories, "
        "--exclude and --stale-categories accept. With --columns, list each column of the "
        "CSV files with its type, unit and meaning.",
        epilog=CATEGORIES_EPILOG,
    )
    categories.add_argument(
        "--columns",
        nargs="?",
        const=ALL,
        metavar="NAME",
        help="list the columns of every category, or of the one named: type, unit, meaning",
    )
    categories.add_argument(
        "--markdown",
        action="store_true",
        help="with --columns: write Markdown tables (how docs/columns.md is made)",
    )
    categories.add_argument(
        "--output-dir",
        type=Path,
        help="with --columns: also list the columns the CSVs there hold that the API's table "
        "does not (fields added since), with their database column",
    )
    run_by(categories, "oura_stats.cli.categories:run_categories")
