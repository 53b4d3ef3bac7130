"""`oura-stats categories`: the categories, their kind and key."""

from __future__ import annotations

import argparse
import sys

from oura_stats.api.categories import CATEGORIES
from oura_stats.cli.common import Subparsers


def add_categories_command(commands: Subparsers, parents: list[argparse.ArgumentParser]) -> None:
    categories = commands.add_parser(
        "categories", parents=parents, help="list the categories, their kind and key"
    )
    categories.set_defaults(handler=run_categories)


def run_categories(_args: argparse.Namespace) -> int:
    width = max(len(c.name) for c in CATEGORIES)
    for category in CATEGORIES:
        sys.stdout.write(
            f"{category.name:<{width}}  {category.kind.value:<8}  key: {','.join(category.key)}\n"
        )
    return 0
