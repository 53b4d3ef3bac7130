"""The options of `oura-stats fetch`, and the collection options it shares with `service`
(the handlers are in `fetch.py`)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from oura_stats.api.defaults import ATTEMPTS, DEFAULT_BASE_URL, READ_TIMEOUT
from oura_stats.cli.argtypes import (
    backfill_days,
    iso_date,
    lookback_days,
    non_negative_int,
    positive_float,
    positive_int,
)
from oura_stats.cli.auth_args import add_credential_options
from oura_stats.cli.common import Subparsers, add_category_option, add_command, run_by
from oura_stats.cli.envopts import NO_ENVIRONMENT
from oura_stats.cli.helptext import COLLECT_EXIT, epilog
from oura_stats.db.studyterms import DEFAULT_BUDGET
from oura_stats.run.defaults import DEFAULT_CONCURRENCY

FETCH_EPILOG = epilog(
    [
        "oura-stats fetch --sandbox --output-dir ./sample     # sample data, needs internet",
        "oura-stats fetch --output-dir ~/oura --categories sleep daily_readiness heartrate",
        "oura-stats fetch --output-dir ~/oura --exclude heartrate,ring_battery_level",
        "oura-stats fetch --start-date 2024-01-01 --end-date 2024-01-31 -q",
    ],
    COLLECT_EXIT,
)


def add_fetch_command(commands: Subparsers, parents: list[argparse.ArgumentParser]) -> None:
    fetch = add_command(
        commands,
        "fetch",
        parents=parents,
        help="collect new and recently changed data once",
        description="Collect every selected category once into <output-dir>/<category>.csv.",
        epilog=FETCH_EPILOG,
    )
    add_collect_options(fetch)
    run_by(fetch, "oura_stats.cli.fetch:run_fetch")


def add_collect_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--token",
        help="access token (env OURA_PERSONAL_ACCESS_TOKEN or OURA_ACCESS_TOKEN); "
        "without it, the credentials saved by `oura-stats auth login` are used",
    )
    add_category_option(
        parser, "--categories", "categories to collect (default: all; see `oura-stats categories`)"
    )
    add_category_option(parser, "--exclude", "categories to leave out (default: none)")
    parser.add_argument(
        "--output-dir", type=Path, default=Path("data"), help="where the CSV files go (./data)"
    )
    parser.add_argument(
        "--state-file",
        type=Path,
        help="cursor and run history file (default: .oura_state.json in --output-dir, so "
        "each folder keeps its own)",
    )
    parser.add_argument("--start-date", type=iso_date, help="first day to fetch (YYYY-MM-DD)")
    parser.add_argument("--end-date", type=iso_date, help="last day to fetch (YYYY-MM-DD)")
    parser.add_argument(
        "--lookback-days",
        type=lookback_days,
        default=3,
        help="days before the newest stored data to fetch again, for revised scores (3)",
    )
    parser.add_argument(
        "--backfill-days",
        type=backfill_days,
        metavar="DAYS",
        help="a category's first run fetches only its last DAYS days (default: the whole "
        "history); later runs go on from there",
    )
    parser.add_argument(
        "--base-url",
        default=os.environ.get("OURA_API_BASE_URL", DEFAULT_BASE_URL),
        help=f"API base URL (env OURA_API_BASE_URL; {DEFAULT_BASE_URL})",
    )
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="use Oura's sandbox routes (sample data, no account needed)",
    )
    parser.add_argument(
        "--concurrency",
        type=positive_int,
        default=DEFAULT_CONCURRENCY,
        help=f"requests in flight at once ({DEFAULT_CONCURRENCY})",
    )
    parser.add_argument(
        "--reset-state",
        action="store_true",
        help="forget all cursors and refetch the whole history (the CSVs are kept and merged)",
    )
    add_request_options(parser)
    add_db_option(parser)
    parser.add_argument(
        "--no-csv",
        action="store_true",
        help="keep everything in the PostgreSQL --db only: rows, cursors, run history, the "
        "run lock and the credentials (`auth login --db`); no file is written",
    )
    parser.add_argument(
        "--report",
        type=Path,
        metavar="PATH",
        help="rewrite this HTML report (see `oura-stats report`) after each run",
    )
    add_credential_options(parser)
    add_study_options(parser)


def add_request_options(parser: argparse.ArgumentParser) -> None:
    """--timeout and --retries: how long to wait for Oura, how often to ask again."""
    parser.add_argument(
        "--timeout",
        type=positive_float,
        default=READ_TIMEOUT,
        metavar="SECONDS",
        help=f"seconds to wait for an answer to one request ({READ_TIMEOUT:g})",
    )
    parser.add_argument(
        "--retries",
        type=non_negative_int,
        default=ATTEMPTS - 1,
        metavar="N",
        help="times to repeat a request after a server error, a timeout or a dropped "
        f"connection, with growing waits, before its category fails ({ATTEMPTS - 1})",
    )


def add_db_option(
    parser: argparse.ArgumentParser, *, required: bool = False, env: bool = True
) -> None:
    """--db TARGET, shared by `fetch`, `service`, `db` and (without the environment
    variable, which names the real database) `demo`."""
    default = os.environ.get("OURA_STATS_DB") if env else None
    action = parser.add_argument(
        "--db",
        metavar="TARGET",
        default=default,
        required=required and not default,
        help="also keep a typed copy in a database"
        + (" (env OURA_STATS_DB)" if env else " (never from OURA_STATS_DB)")
        + ": sqlite:///oura.db, "
        "a path ending in .db/.sqlite/.sqlite3, or postgresql://user@host/dbname (needs the "
        "postgres extra); off by default",
    )
    if not env:
        setattr(action, NO_ENVIRONMENT, False)


def add_study_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("a study (participants kept in a PostgreSQL --db)")
    group.add_argument(
        "--all-accounts",
        action="store_true",
        help="collect every enrolled participant (see `oura-stats accounts`); rows, cursors "
        "and tokens stay in the database, no CSV is written",
    )
    group.add_argument(
        "--account",
        action="append",
        metavar="NAME",
        help="collect this participant only (repeatable)",
    )
    group.add_argument(
        "--shard",
        metavar="INDEX/COUNT",
        help="collect only this process's share of the participants: INDEX of COUNT "
        "(INDEX defaults to JOB_COMPLETION_INDEX, as in a Kubernetes Indexed Job: --shard /4)",
    )
    group.add_argument(
        "--app-budget",
        metavar="REQUESTS/SECONDS",
        default=str(DEFAULT_BUDGET),
        help=f"requests the Oura application may make, shared by every process of the "
        f"study through the database ({DEFAULT_BUDGET})",
    )
    group.add_argument(
        "--plain-tokens",
        action="store_true",
        help="participants' tokens were stored unencrypted (no OURA_STATS_SECRET_KEY)",
    )
