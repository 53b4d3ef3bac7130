"""The options of `oura-stats status` (the handler is in `status.py`)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from oura_stats.api.defaults import DEFAULT_BASE_URL
from oura_stats.cli.auth_args import add_credential_options
from oura_stats.cli.common import (
    Subparsers,
    add_category_option,
    add_command,
    add_freshness_options,
    run_by,
)
from oura_stats.cli.fetch_args import add_db_option
from oura_stats.cli.helptext import STATUS_EXIT, epilog

STATUS_EPILOG = epilog(
    [
        "oura-stats status --output-dir ~/oura",
        "oura-stats status --utc                 # times in UTC instead of local time",
        "oura-stats status --json | jq '.categories | map_values(.verdict)'",
        "oura-stats status -q     # cron: prints nothing while every category is fresh",
        "oura-stats status --db postgresql://oura@db/oura --no-csv  # a database-only run's",
    ],
    STATUS_EXIT,
)


def add_status_command(
    commands: Subparsers,
    parents: list[argparse.ArgumentParser],
) -> None:
    """Add `oura-stats status` to the CLI."""
    parser = add_command(
        commands,
        "status",
        parents=parents,
        help="is collection current? per category: newest data, rows, last success, errors",
        description="Report, per category, the newest data stored, the row count, the last "
        "successful run, the last error and a verdict: ok, stale or failing. Reads only the "
        "state file and the CSVs (with --no-csv: the state and the rows of a database-only "
        "run in the PostgreSQL --db) unless --check-api is given.",
        epilog=STATUS_EPILOG,
    )
    parser.add_argument(
        "--state-file",
        type=Path,
        help="state file written by fetch/service (default: .oura_state.json in --output-dir)",
    )
    parser.add_argument(
        "--output-dir", type=Path, default=Path("data"), help="where the CSV files are (./data)"
    )
    add_category_option(
        parser,
        "--categories",
        "categories to report (default: those collected by the runs of the last "
        "--stale-hours; all known ones when there was no run in that time)",
    )
    add_freshness_options(parser)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--utc",
        action="store_true",
        help="show times in UTC (default: this machine's local time, with its UTC offset)",
    )
    _add_check_api_options(parser)
    parser.add_argument(
        "--accounts",
        action="store_true",
        help="a study's adherence instead, per participant (needs --db postgresql://…): last "
        "day with sleep, daily and heart-rate data, nights missing of the last 14, failing "
        "since, needs consent",
    )
    add_db_option(parser)
    parser.add_argument(
        "--no-csv",
        action="store_true",
        help="report a database-only run's collection (fetch/service --no-csv): the state "
        "and the rows in the PostgreSQL --db; without it the state file and the CSVs are "
        "read, also when --db names their mirror",
    )
    run_by(parser, "oura_stats.cli.status:run_status")


def _add_check_api_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--check-api",
        action="store_true",
        help="also ask the API for personal_info: is it reachable, is the token accepted?",
    )
    parser.add_argument(
        "--token",
        help="access token for --check-api (env OURA_PERSONAL_ACCESS_TOKEN or OURA_ACCESS_TOKEN)",
    )
    parser.add_argument(
        "--base-url",
        default=os.environ.get("OURA_API_BASE_URL", DEFAULT_BASE_URL),
        help=f"API base URL for --check-api (env OURA_API_BASE_URL; {DEFAULT_BASE_URL})",
    )
    add_credential_options(parser)
