"""Command line: arguments, logging set-up and exit codes; the work happens elsewhere."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from oura_stats import __version__, cli_auth, status
from oura_stats.argtypes import iso_date, lookback_days, positive_int
from oura_stats.categories import CATEGORIES, select
from oura_stats.client import DEFAULT_BASE_URL
from oura_stats.collector import DEFAULT_CONCURRENCY
from oura_stats.errors import ConfigError, OuraStatsError
from oura_stats.run import Settings, run_round
from oura_stats.service import add_service_options, install_stop_handlers, serve
from oura_stats.tokens import TokenProvider

log = logging.getLogger("oura_stats")

FETCH_EPILOG = """examples:
  oura-stats fetch --sandbox --output-dir ./sample
  oura-stats fetch --output-dir ~/oura --categories sleep,daily_readiness,heartrate
  oura-stats fetch --start-date 2024-01-01 --end-date 2024-01-31 -q
"""
SERVICE_EPILOG = """examples:
  oura-stats service --output-dir ~/oura
  oura-stats service --interval-hours 6 --max-runs 1
"""


def main(argv: Sequence[str] | None = None) -> int:
    # A backfill allocates millions of small acyclic objects (rows); with the default
    # thresholds the cyclic collector rescans them over and over (measured: ~15 % of CPU).
    gc.set_threshold(50_000, 20, 100)
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.verbose, args.quiet)
    try:
        code: int = args.handler(args)
    except OuraStatsError as error:
        log.debug("details", exc_info=True)
        log.error("%s", error)
        return error.exit_code
    except KeyboardInterrupt:
        log.error("interrupted")
        return 130
    return code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="oura-stats",
        description="Keep your Oura Ring data as one deduplicated CSV file per category.",
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    output = argparse.ArgumentParser(add_help=False)
    group = output.add_mutually_exclusive_group()
    group.add_argument("-v", "--verbose", action="store_true", help="debug logging, tracebacks")
    group.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    fetch = commands.add_parser(
        "fetch",
        parents=[output],
        help="collect new and recently changed data once",
        description="Collect every selected category once into <output-dir>/<category>.csv.",
        epilog=FETCH_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    add_collect_options(fetch)
    fetch.set_defaults(handler=run_fetch)

    service = commands.add_parser(
        "service",
        parents=[output],
        help="collect now and then every interval until stopped",
        description="Run a collection round now and then every --interval-hours; "
        "SIGTERM or Ctrl-C stop it cleanly.",
        epilog=SERVICE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    add_collect_options(service)
    add_service_options(service)
    service.set_defaults(handler=run_service)

    categories = commands.add_parser(
        "categories", parents=[output], help="list the categories, their kind and key"
    )
    categories.set_defaults(handler=run_categories)
    cli_auth.add_auth_command(commands)
    status.add_status_command(commands, parents=[output])
    return parser


def add_collect_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--token",
        help="access token (env OURA_PERSONAL_ACCESS_TOKEN or OURA_ACCESS_TOKEN); "
        "without it, the credentials saved by `oura-stats auth login` are used",
    )
    parser.add_argument(
        "--categories",
        action="append",
        metavar="LIST",
        help="comma-separated categories to collect (default: all; see `oura-stats categories`)",
    )
    parser.add_argument(
        "--output-dir", type=Path, default=Path("data"), help="where the CSV files go (./data)"
    )
    parser.add_argument(
        "--state-file",
        type=Path,
        default=Path(".oura_state.json"),
        help="cursor and run history file (./.oura_state.json)",
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
    cli_auth.add_credential_options(parser)


def configure_logging(verbose: bool, quiet: bool) -> None:
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter(verbose))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # urllib3 logs request lines at debug level; keep them out (a revoke URL carries a token).
    logging.getLogger("urllib3").setLevel(logging.WARNING)


class _Formatter(logging.Formatter):
    def __init__(self, verbose: bool) -> None:
        super().__init__("%(asctime)s %(name)s %(message)s" if verbose else "%(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if record.levelno >= logging.ERROR:
            return f"oura-stats: error: {text}"
        if record.levelno >= logging.WARNING:
            return f"oura-stats: warning: {text}"
        return text


# commands -------------------------------------------------------------------------------


def run_categories(_args: argparse.Namespace) -> int:
    width = max(len(c.name) for c in CATEGORIES)
    for category in CATEGORIES:
        sys.stdout.write(
            f"{category.name:<{width}}  {category.kind.value:<8}  key: {','.join(category.key)}\n"
        )
    return 0


def run_fetch(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    tokens = token_provider(args)
    stop = threading.Event()
    install_stop_handlers(stop)
    return run_round(settings, tokens, stop)


def run_service(args: argparse.Namespace) -> int:
    return serve(args, settings_from_args(args), token_provider(args))


def settings_from_args(args: argparse.Namespace) -> Settings:
    if args.start_date and args.end_date and args.end_date < args.start_date:
        raise ConfigError(
            f"--end-date {args.end_date} is before --start-date {args.start_date}; swap them"
        )
    if args.state_file.is_dir():
        raise ConfigError(f"--state-file {args.state_file} is a directory; name a file")
    return Settings(
        base_url=args.base_url,
        output_dir=args.output_dir,
        state_path=args.state_file,
        categories=select(args.categories),
        start=args.start_date,
        end=args.end_date,
        lookback_days=args.lookback_days,
        sandbox=args.sandbox,
        concurrency=args.concurrency,
        reset_state=args.reset_state,
    )


def token_provider(args: argparse.Namespace) -> TokenProvider:
    """--token, then the token environment variables, then saved OAuth2 credentials."""
    return cli_auth.resolve_tokens(args, sandbox=args.sandbox)


if __name__ == "__main__":
    sys.exit(main())
