"""The options of `oura-stats demo` (the handler is in `demo.py`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from oura_stats.cli.argtypes import positive_int
from oura_stats.cli.common import Subparsers, add_command, run_by
from oura_stats.cli.fetch_args import add_db_option
from oura_stats.cli.helptext import DEMO_EXIT, epilog

DEMO_EPILOG = epilog(
    [
        "oura-stats demo",
        "oura-stats demo --output-dir /tmp/oura-demo --days 90",
        "oura-stats demo --participants 20 --days 120 --db postgresql://localhost/study",
    ],
    DEMO_EXIT,
)
MAX_DAYS = 3660  # ten years
MAX_PARTICIPANTS = 1000


def add_demo_command(commands: Subparsers, parents: list[argparse.ArgumentParser]) -> None:
    parser = add_command(
        commands,
        "demo",
        parents=parents,
        help="try everything offline: a synthetic account, a real fetch, then the report",
        description="Serve a synthetic Oura account on 127.0.0.1 (realistic data for every "
        "category), collect it with the real fetch into --output-dir (CSVs and state), then "
        "write report.html there. Needs no account and no network.",
        epilog=DEMO_EPILOG,
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=Path("oura-demo"),
        help="where the CSVs, the state file and report.html go (./oura-demo)",
    )
    parser.add_argument(
        "--days",
        type=positive_int,
        default=365,
        help=f"days of synthetic history, ending today (365; at most {MAX_DAYS})",
    )
    add_db_option(parser, env=False)
    parser.add_argument(
        "--participants",
        type=positive_int,
        metavar="N",
        help="a synthetic study of N participants instead (distinct data each, some with "
        "gaps, one with a revoked consent), collected into --db postgresql://…, then its "
        f"cohort page in --output-dir (at most {MAX_PARTICIPANTS})",
    )
    run_by(parser, "oura_stats.cli.demo:run_demo_command")
