"""`oura-stats fetch`, and the collection options it shares with `service`."""

from __future__ import annotations

import argparse
import os
import sys
import threading
from dataclasses import replace
from pathlib import Path

from oura_stats.api.client import DEFAULT_BASE_URL, RetryPolicy
from oura_stats.api.neterrors import READ_TIMEOUT
from oura_stats.api.tokens import TokenProvider
from oura_stats.cli.argtypes import (
    backfill_days,
    iso_date,
    lookback_days,
    non_negative_int,
    positive_float,
    positive_int,
)
from oura_stats.cli.auth import add_credential_options
from oura_stats.cli.common import Subparsers, add_category_option, add_command, collected_categories
from oura_stats.cli.envopts import NO_ENVIRONMENT
from oura_stats.cli.helptext import COLLECT_EXIT, epilog
from oura_stats.cli.progress import progress_for
from oura_stats.cli.study import add_study_options, cohort_from_args, run_study
from oura_stats.cli.tokens import resolve_tokens
from oura_stats.db.target import Target, usable_target
from oura_stats.errors import ConfigError
from oura_stats.run.collector import DEFAULT_CONCURRENCY
from oura_stats.run.homes import NO_CSV_NEEDS_POSTGRESQL
from oura_stats.run.rounds import Settings, run_round
from oura_stats.run.service import install_stop_handlers, interrupted_code
from oura_stats.store.statehome import folder_state

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
    fetch.set_defaults(handler=run_fetch)


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
        default=RetryPolicy.attempts - 1,
        metavar="N",
        help="times to repeat a request after a server error, a timeout or a dropped "
        f"connection, with growing waits, before its category fails ({RetryPolicy.attempts - 1})",
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


def db_target(args: argparse.Namespace) -> Target | None:
    """The parsed --db, its driver checked (a missing driver is a usage error)."""
    return usable_target(args.db) if args.db else None


def run_fetch(args: argparse.Namespace) -> int:
    settings = with_progress(settings_from_args(args), args)
    cohort = cohort_from_args(args)
    if cohort is not None:
        stop = threading.Event()
        received = install_stop_handlers(stop)
        return interrupted_code(run_study(settings, cohort, stop), received)
    tokens = token_provider(args)
    stop = threading.Event()
    received = install_stop_handlers(stop)
    return interrupted_code(run_round(settings, tokens, stop), received)


def with_progress(settings: Settings, args: argparse.Namespace) -> Settings:
    """A live display on stderr when it is a terminal and the run is not quiet."""
    return replace(settings, observer=progress_for(sys.stderr, quiet=args.quiet))


def settings_from_args(args: argparse.Namespace) -> Settings:
    if args.start_date and args.end_date and args.end_date < args.start_date:
        raise ConfigError(
            f"--end-date {args.end_date} is before --start-date {args.start_date}; swap them"
        )
    if args.state_file is not None and args.state_file.is_dir():
        raise ConfigError(f"--state-file {args.state_file} is a directory; name a file")
    parents = args.state_file.parents if args.state_file is not None else []
    blocker = next((p for p in parents if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        raise ConfigError(
            f"--state-file {args.state_file}: {blocker} is a file, not a directory; "
            "name a state file in a directory"
        )
    target = db_target(args)
    if args.no_csv and (target is None or target.kind != "postgresql"):
        raise ConfigError(NO_CSV_NEEDS_POSTGRESQL)
    if args.no_csv and args.report is not None:
        raise ConfigError("--report writes a file; a --no-csv run writes none: leave one out")
    if args.report is not None and (args.report.is_dir() or not args.report.parent.is_dir()):
        raise ConfigError(f"--report {args.report}: name a file in an existing directory")
    return Settings(
        base_url=args.base_url,
        output_dir=args.output_dir,
        state_path=args.state_file or folder_state(args.output_dir),
        categories=collected_categories(args.categories, args.exclude),
        start=args.start_date,
        end=args.end_date,
        lookback_days=args.lookback_days,
        sandbox=args.sandbox,
        concurrency=args.concurrency,
        reset_state=args.reset_state,
        db=target,
        no_csv=args.no_csv,
        report_path=args.report,
        backfill_days=args.backfill_days,
        timeout=args.timeout,
        retries=args.retries,
    )


def token_provider(args: argparse.Namespace) -> TokenProvider:
    """--token, then the token environment variables, then saved OAuth2 credentials."""
    return resolve_tokens(args, sandbox=args.sandbox)
